"""LatentScatter in Chromium (fast-tier harness): lasso/box selection, recolouring, hover, zoom."""

from __future__ import annotations

import numpy as np
import pytest
from scatter_points import drag_scatter, scatter_client_xy

from spurwidgets.compute.projection import points_in_polygon
from spurwidgets.widgets.latent_scatter import LatentScatter

pytestmark = pytest.mark.browser


def three_blobs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """63 points: three tight blobs of 20 at (0, 0), (10, 0), (5, 8) and 3 far corner points
    (blob 3) that leave room around the blobs for the gestures; blob id and a float score."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 8.0]])
    blob = np.repeat([0, 1, 2, 3], [20, 20, 20, 3])
    points = np.vstack([centres[blob[:60]] + rng.normal(scale=0.5, size=(60, 2)), [[-5, -5], [15, -5], [15, 12]]])
    score = (points[:, 0] / 10).clip(0, 1)
    return points, blob, score


def client(wp, x: float, y: float) -> tuple[float, float]:
    return scatter_client_xy(wp.page, x, y)


def drag_path(wp, path: list[tuple[float, float]], *, shift: bool = False) -> None:
    if shift:
        wp.page.keyboard.down("Shift")
    drag_scatter(wp.page, path)
    if shift:
        wp.page.keyboard.up("Shift")


def dataset(wp, key: str) -> str:
    return wp.page.evaluate("(k) => document.querySelector('.sw-latent-scatter').dataset[k]", key)


def test_lasso_around_one_blob_selects_exactly_its_points(widget_page):
    points, blob, score = three_blobs()
    w = LatentScatter(points, color={"blob": blob, "score": score})
    wp = widget_page(w)
    # a hexagon-ish lasso around blob 1 at (10, 0)
    ring = [(10 + 2.6 * np.cos(a), 2.6 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 13)]
    drag_path(wp, ring)
    wp.sync()
    assert w.selection.dtype == np.int64
    assert w.selection.tolist() == list(range(20, 40))
    assert dataset(wp, "nSelected") == "20"
    assert np.array_equal(points_in_polygon(w.points_2d, w.lasso), w.selection)
    wp.screenshot("latent_scatter_lasso.png")
    assert wp.errors == []


def test_box_tool_selects_two_blobs_and_escape_clears(widget_page):
    points, blob, _ = three_blobs()
    w = LatentScatter(points, color=blob)
    wp = widget_page(w)
    wp.page.click("button[data-tool=box]")
    drag_path(wp, [(-3, -3), (13, 3)])
    wp.sync()
    assert w.tool == "box"
    assert w.selection.tolist() == list(range(40))
    wp.page.keyboard.press("Escape")
    wp.sync()
    assert w.selection.tolist() == [] and w.lasso == []
    assert dataset(wp, "nSelected") == "0"


def test_selection_set_from_python_is_highlighted_and_escape_clears_it(widget_page):
    points, blob, _ = three_blobs()
    w = LatentScatter(points, color=blob)
    w.selection = np.flatnonzero(blob == 2)  # before display: part of the first state
    wp = widget_page(w)
    assert dataset(wp, "nSelected") == "20"
    assert "20 of 63 selected" in wp.page.inner_text(".sw-latent-scatter")
    w.selection = np.flatnonzero(blob != 2)  # while displayed
    wp.push("selected_bits", "lasso")
    assert dataset(wp, "nSelected") == "43"
    wp.screenshot("latent_scatter_selection_from_python.png")
    wp.page.focus(".sw-ls-overlay")
    wp.page.keyboard.press("Escape")
    wp.sync()
    assert w.selection.tolist() == [] and dataset(wp, "nSelected") == "0"
    w.selection = [0, 1]
    wp.push("selected_bits", "lasso")
    assert dataset(wp, "nSelected") == "2"
    wp.page.click("button.sw-ls-clear")
    wp.sync()
    assert w.selection.tolist() == [] and dataset(wp, "nSelected") == "0"
    assert wp.errors == []


def pixel(wp, x: float, y: float) -> list[int]:
    return wp.page.evaluate(
        """([x, y]) => { const c = document.querySelector('.sw-ls-canvas');
        const r = c.getBoundingClientRect(); const d = devicePixelRatio || 1;
        return Array.from(c.getContext('2d').getImageData(Math.round((x - r.left) * d), Math.round((y - r.top) * d), 1, 1).data); }""",
        [x, y],
    )


def test_dropdown_recolours_points_and_shows_colour_bar(widget_page):
    points, blob, score = three_blobs()
    w = LatentScatter(points, color={"blob": blob, "score": score}, color_ranges={"score": (0, 1)})
    wp = widget_page(w)
    where = client(wp, *points[0])
    assert pixel(wp, *where)[:3] == [0x4E, 0x79, 0xA7]  # category 0, first colour of the scheme
    assert wp.page.locator(".sw-ls-item").count() == 4
    wp.page.select_option("select.sw-ls-color", "score")
    assert wp.last_saved("color_by") == "score"
    wp.sync()
    assert w.color_kind == "continuous"
    assert dataset(wp, "colorBy") == "score" and dataset(wp, "colorKind") == "continuous"
    assert wp.page.locator(".sw-ls-ramp").count() == 1 and wp.page.locator(".sw-ls-item").count() == 0
    assert wp.page.locator(".sw-ls-ramp-labels span").all_inner_texts() == ["1", "0.5", "0"]
    # point 0 has score ~0 -> the dark purple end of viridis
    r, g, b, _ = pixel(wp, *where)
    assert b > r and b > g and r < 0x80
    wp.screenshot("latent_scatter_continuous.png")
    assert wp.errors == []


def test_hover_shows_thumbnail_and_values(widget_page):
    points, blob, _ = three_blobs()
    images = np.zeros((63, 8, 8, 3), dtype=np.uint8)
    images[:, :, :, 0] = np.arange(63)[:, None, None] * 4
    w = LatentScatter(points, color={"blob": blob}, images=images)
    wp = widget_page(w)
    wp.page.mouse.move(*client(wp, *points[5]))
    wp.page.wait_for_function("window.__model.saved.some((e) => 'hover' in e)")
    wp.sync()
    assert w.hover == 5 and w.hover_text == "#5 · blob: 0"
    assert w.hover_image[:4] == b"\x89PNG"
    wp.page.wait_for_function("document.querySelector('.sw-ls-tip-img').src.startsWith('blob:')")
    assert wp.page.locator(".sw-ls-tip-text").inner_text() == "#5 · blob: 0"
    wp.screenshot("latent_scatter_hover.png")


def test_shift_drag_pans_and_wheel_zooms_without_selecting(widget_page):
    points, blob, _ = three_blobs()
    w = LatentScatter(points, color=blob)
    wp = widget_page(w)
    before = client(wp, 0.0, 0.0)
    drag_path(wp, [(5, 4), (7, 4)], shift=True)
    after = client(wp, 0.0, 0.0)
    assert after[0] > before[0] + 40 and abs(after[1] - before[1]) < 1
    wp.page.mouse.move(*client(wp, 5, 4))
    wp.page.mouse.wheel(0, -300)
    zoomed = client(wp, 0.0, 0.0)
    assert abs(zoomed[0] - client(wp, 5, 4)[0]) > abs(after[0] - client(wp, 5, 4)[0])
    assert wp.saved() == [] or all("lasso" not in e for e in wp.saved())
    assert wp.errors == []


def test_dark_theme_renders(widget_page):
    points, blob, _ = three_blobs()
    wp = widget_page(
        LatentScatter(points, color={"blob": blob}, category_names={"blob": ["a", "b", "c", "far"]}), theme="dark"
    )
    assert wp.page.locator(".sw-ls-item").all_inner_texts() == ["a", "b", "c", "far"]
    wp.screenshot("latent_scatter_dark.png")
    assert wp.errors == []


def test_browser_highlight_and_python_selection_agree_on_a_wavy_lasso(widget_page):
    rng = np.random.default_rng(1)
    points = rng.normal(size=(20_000, 2)).astype(np.float32)
    w = LatentScatter(points)
    wp = widget_page(w)
    angles = np.linspace(0, 2 * np.pi, 40)
    radius = 1.5 + 0.6 * np.sin(5 * angles)  # a star-like, non-convex lasso
    drag_path(wp, list(zip(radius * np.cos(angles), radius * np.sin(angles))))
    wp.sync()
    assert 2_000 < len(w.selection) < 18_000
    assert dataset(wp, "nSelected") == str(len(w.selection))
    assert wp.errors == []


def test_subsampled_view_says_so_and_shows_the_exact_selection_from_python(widget_page):
    rng = np.random.default_rng(1)
    points = np.vstack([rng.normal(size=(2970, 2)), rng.normal(scale=0.1, size=(30, 2)) + [6.0, 6.0]])
    w = LatentScatter(points, color=(np.arange(3000) >= 2970).astype(int), max_points=1000)
    wp = widget_page(w)
    note = wp.page.locator(".sw-ls-note").inner_text()
    assert "showing 1,000 of 3,000 points" in note and "density-aware" in note
    drag_path(wp, [(-0.5, -0.5), (1.5, -0.5), (1.5, 1.5), (-0.5, 1.5), (-0.5, -0.4)])
    assert dataset(wp, "nSelected") == "0"  # no polygon test in the page: it waits for Python
    wp.sync()
    exact = points_in_polygon(w.points_2d, w.lasso)
    assert w.selection.tolist() == exact.tolist() and len(exact) > 200
    assert dataset(wp, "nSelected") == str(len(exact))  # the exact count over all 3,000 points
    assert wp.page.locator(".sw-ls-count").inner_text() == f"{len(exact):,} of 3,000 selected"
    highlighted = wp.page.evaluate("() => { const b = window.__model.get('selected_bits'); return b.byteLength; }")
    assert highlighted == 125  # one bit per drawn point
    assert wp.errors == []
