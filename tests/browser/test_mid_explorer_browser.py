"""MIDExplorer in a real Chromium (fast harness): drag the window, mark clusters, refit, table.

The explorer is a VBox of real widgets (curve, gallery, panel), each with its own model; the
harness renders one widget per page, so each step opens the part it drives, and `sync()`
delivers what that part saved to its Python widget, whose observers drive the explorer.
The composed app in a real widget manager is covered by test_mid_explorer_voila.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from mid_toy_data import toy_shortcut

from spurwidgets.widgets.mid_explorer import MIDExplorer


@pytest.fixture()
def explorer():
    x, logits, y, groups, images = toy_shortcut()
    return MIDExplorer(x, images, y, groups=groups, logits=logits, random_state=0, device="cpu")


def _value_to_px(wp, value):
    """Page y of a logit value on the embedded curve's canvas (LC_MARGIN top 10, bottom 42)."""
    canvas = wp.page.locator(".sw-lc-canvas")
    box = canvas.bounding_box()
    ymin = float(canvas.get_attribute("data-ymin"))
    ymax = float(canvas.get_attribute("data-ymax"))
    top, height = 10, box["height"] - 10 - 42
    return box["y"] + top + (ymax - value) / (ymax - ymin) * height, box["x"] + box["width"] / 2


def _drag(wp, start, end):
    """Press at logit `start` on the curve, move to `end`, release (edges resize, band moves)."""
    y0, x = _value_to_px(wp, start)
    y1, _ = _value_to_px(wp, end)
    wp.page.mouse.move(x, y0)
    wp.page.mouse.down()
    wp.page.mouse.move(x, (y0 + y1) / 2, steps=3)
    wp.page.mouse.move(x, y1, steps=3)
    wp.page.mouse.up()
    wp.page.wait_for_timeout(150)  # the curve commits after its debounce


def _resize_window(wp, explorer, lo, hi):
    """Drag the window's top edge to `hi`, then its bottom edge to `lo`, syncing after each."""
    _drag(wp, explorer.window[1], hi)
    wp.sync()
    _drag(wp, explorer.window[0], lo)
    wp.sync()


@pytest.mark.browser
def test_drag_refit_and_table_update(widget_page, explorer):
    wp = widget_page(explorer.panel, width=820)
    assert "Press" in wp.page.locator(".sw-me-table").inner_text()
    wp = widget_page(explorer.curve, width=820)
    assert wp.page.locator(".sw-lc-canvas").count() == 1

    _resize_window(wp, explorer, -2.0, 2.5)
    lo, hi = explorer.window
    assert lo == pytest.approx(-2.0, abs=0.1) and hi == pytest.approx(2.5, abs=0.1)
    expected = np.flatnonzero((explorer.margin >= lo) & (explorer.margin <= hi))
    np.testing.assert_array_equal(explorer.mid.window_, expected)
    wrong = np.flatnonzero((explorer.logits[:, 0] > 0).astype(int) != explorer.labels)  # MID also clusters errors
    np.testing.assert_array_equal(np.sort(explorer.gallery.indices), np.union1d(expected, wrong))
    wp = widget_page(explorer.panel, width=820)
    assert f"{len(expected)} samples in the window" in wp.page.locator(".sw-me-status").inner_text()
    wp = widget_page(explorer.gallery, width=820)
    assert wp.page.locator(".sw-cg-section").count() == len(explorer.mid.cluster_classes_)

    # Mark: add an unflagged cluster as minority, take one automatic flag off.
    flagged = explorer.minority_clusters()
    assert flagged == sorted(explorer.mid.minority_clusters_.tolist())
    extra = next(c for c in explorer.mid.cluster_classes_.argsort() if c not in flagged)
    section = wp.page.locator(f'.sw-cg-section[data-cluster="{extra}"]')
    section.locator(".sw-cg-tag-minority").click()
    wp.sync()
    wp.page.locator(f'.sw-cg-section[data-cluster="{flagged[0]}"] .sw-cg-tag-minority').click()
    wp.sync()
    chosen = sorted([*flagged[1:], int(extra)])
    assert explorer.minority_clusters() == chosen
    assert explorer.marked == {c: "minority" for c in chosen}

    wp = widget_page(explorer.panel, width=820)
    wp.page.locator(".sw-me-refit").click()
    wp.sync()
    np.testing.assert_array_equal(
        explorer.head.coef_, explorer.mid.refit(chosen).coef_
    )  # the button refit exactly the marked clusters
    assert f"cluster(s) {chosen} upweighted" in wp.page.locator(".sw-me-status").inner_text()
    assert explorer.head is not None
    assert explorer.refit_clicks == 1
    rows = wp.page.locator(".sw-me-table tr")
    assert rows.nth(1).inner_text().split("\t")[0] == "overall"
    worst = explorer.table["rows"][1]
    assert worst[0] == "worst group"
    assert f"{worst[3]:.3f}" in rows.nth(2).inner_text()
    assert wp.page.locator(".sw-me-progress").evaluate("p => p.value") == 1
    assert "Refit done" in wp.page.locator(".sw-me-status").inner_text()
    wp.screenshot("mid_explorer_after_refit.png")
    assert wp.errors == []


@pytest.mark.browser
def test_bad_window_shows_error_and_keeps_clusters(widget_page, explorer):
    wp = widget_page(explorer.curve, width=820)
    before = explorer.mid.window_.copy()
    before_window = explorer.mid.window
    m = np.sort(explorer.margin)
    labels = explorer.labels[np.argsort(explorer.margin)]
    # Three neighbours on the curve, above the current band, all of one class.
    i = next(i for i in range(1, len(m) - 3) if m[i] > explorer.window[1] + 0.5 and len(set(labels[i : i + 3])) == 1)
    lo, hi = (m[i - 1] + m[i]) / 2, (m[i + 2] + m[i + 3]) / 2
    _drag(wp, float(hi), float(lo))  # draw a new window on empty space above the band
    wp.sync()
    assert explorer.mid.window == pytest.approx(before_window)
    wp = widget_page(explorer.panel, width=820)
    banner = wp.page.locator("#widget > .sw-error")
    assert banner.is_visible()
    assert "the window holds samples of class" in banner.inner_text()
    assert "only" in banner.inner_text()
    np.testing.assert_array_equal(explorer.mid.window_, before)
    assert "was not applied" in wp.page.locator(".sw-me-status").inner_text()
    wp.screenshot("mid_explorer_error.png")


@pytest.mark.browser
def test_dark_theme_renders_table_and_gallery(widget_page, explorer):
    explorer.refit()
    wp = widget_page(explorer.panel, theme="dark", width=820)
    color = wp.page.locator(".sw-me-table th").first.evaluate("e => getComputedStyle(e).color")
    assert color != "rgb(31, 35, 40)"  # the light-theme text colour would be unreadable on dark
    wp.screenshot("mid_explorer_panel_dark.png")
    assert wp.errors == []
    wp = widget_page(explorer.gallery, theme="dark", width=820)
    assert wp.page.locator(".sw-cg-section").count() == len(explorer.mid.cluster_classes_)
    assert wp.errors == []


@pytest.mark.browser
def test_panel_shows_warnings_only_when_there_are_some(widget_page, explorer):
    wp = widget_page(explorer.panel, width=820)
    assert not wp.page.locator(".sw-me-warnings").is_visible()
    explorer.panel.warnings = ["The refit costs 39.8 points of overall accuracy (0.955 -> 0.557): check the marks"]
    wp.push("warnings")
    items = wp.page.locator(".sw-me-warning")
    assert items.count() == 1 and items.first.is_visible()
    assert items.first.inner_text() == "⚠ " + explorer.warnings[0]
    wp.screenshot("mid_explorer_warning.png")
    assert wp.errors == []
