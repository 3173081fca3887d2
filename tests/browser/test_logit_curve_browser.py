"""LogitCurve in Chromium (fast tier: harness page + mock model): every gesture, exact results."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.widgets import LogitCurve

pytestmark = pytest.mark.browser

VALUES = np.arange(40, dtype=np.float32) - 20  # one sample per integer logit -20..19
LABELS = (np.arange(40) % 3 == 0).astype(int)


def expected(lo: float, hi: float) -> list[int]:
    return np.flatnonzero((VALUES >= lo) & (VALUES <= hi)).tolist()


class Curve:
    """Page coordinates of logit values on the rendered curve (from the canvas data attributes)."""

    def __init__(self, wp):
        self.wp = wp
        self.canvas = wp.page.locator("canvas.sw-lc-canvas")
        box = self.canvas.bounding_box()
        data = self.canvas.evaluate("c => Object.fromEntries(Object.entries(c.dataset).map(([k, v]) => [k, +v]))")
        self.box, self.data = box, data
        self.x = box["x"] + data["plotX"] + data["plotW"] / 2

    def y(self, value: float) -> float:
        d = self.data
        return self.box["y"] + d["plotY"] + (d["ymax"] - value) / (d["ymax"] - d["ymin"]) * d["plotH"]

    def drag(self, start: float, end: float, steps: int = 8) -> None:
        mouse = self.wp.page.mouse
        mouse.move(self.x, self.y(start))
        mouse.down()
        mouse.move(self.x, self.y(end), steps=steps)
        mouse.up()

    def shown_window(self) -> tuple[float, float]:
        data = self.canvas.evaluate("c => [+c.dataset.lo, +c.dataset.hi]")
        return data[0], data[1]


@pytest.fixture()
def curve_page(widget_page):
    w = LogitCurve(VALUES, labels=LABELS, window=(-2.5, 2.5), class_names=["no", "yes"])
    wp = widget_page(w)
    return w, wp, Curve(wp)


def test_drag_band_moves_window_and_kernel_selection_follows(curve_page):
    w, wp, curve = curve_page
    curve.drag(0.0, 10.0)
    lo, hi = wp.last_saved("window")
    assert hi - lo == pytest.approx(5.0) and lo == pytest.approx(7.5, abs=1.0)
    wp.sync()  # what the comm does: Python gets the window, computes the selection, replies
    assert w.window == (lo, hi)
    assert w.selection.tolist() == expected(7.5, 12.5) == [28, 29, 30, 31, 32]
    assert wp.page.locator(".sw-lc-count").inner_text() == "5 of 40 samples"
    assert wp.errors == []


def test_dragging_the_top_edge_resizes_only_hi(curve_page):
    w, wp, curve = curve_page
    curve.drag(2.5, 10.5)
    lo, hi = wp.last_saved("window")
    assert lo == -2.5 and hi == pytest.approx(10.5, abs=0.4)
    wp.sync()
    assert w.selection.tolist() == expected(-2.5, 10.5)


def test_dragging_the_bottom_edge_resizes_only_lo(curve_page):
    w, wp, curve = curve_page
    curve.drag(-2.5, -6.5)
    lo, hi = wp.last_saved("window")
    assert hi == 2.5 and lo == pytest.approx(-6.5, abs=0.4)
    wp.sync()
    assert w.selection.tolist() == expected(-6.5, 2.5)


def test_dragging_on_empty_space_draws_a_new_window(curve_page):
    w, wp, curve = curve_page
    curve.drag(-10.5, -15.5)  # drawn downwards: stored as lo <= hi
    lo, hi = wp.last_saved("window")
    assert lo == pytest.approx(-15.5, abs=0.4) and hi == pytest.approx(-10.5, abs=0.4)
    assert all(a <= b for a, b in (entry["window"] for entry in wp.saved()))
    wp.sync()
    assert w.selection.tolist() == expected(-15.5, -10.5) == [5, 6, 7, 8, 9]


def test_arrow_keys_nudge_and_widen_the_window(curve_page):
    w, wp, curve = curve_page
    curve.canvas.focus()
    for _ in range(3):
        wp.page.keyboard.press("Shift+ArrowUp")  # +1.0 each (Shift: 10 x 0.1)
    for _ in range(5):
        wp.page.keyboard.press("ArrowRight")  # widen by 0.1 on both sides
    wp.page.wait_for_function("window.__model.saved.length > 0")
    wp.page.wait_for_timeout(150)  # let the debounced commit fire
    lo, hi = wp.last_saved("window")
    assert (lo, hi) == pytest.approx((0.0, 6.0))
    wp.sync()
    assert w.selection.tolist() == expected(0.0, 6.0) == [20, 21, 22, 23, 24, 25, 26]


def test_python_window_assignment_moves_the_band_and_shows_class_mix(curve_page):
    w, wp, curve = curve_page
    w.window = (5.0, 8.0)
    wp.push("window", "count", "class_counts")
    assert curve.shown_window() == (5.0, 8.0)
    info = wp.page.locator(".sw-lc-info").inner_text()
    assert "4 of 40 samples" in info and "no: 3 (75%)" in info and "yes: 1 (25%)" in info


def test_python_callback_error_is_visible_in_the_widget(curve_page):
    w, wp, _ = curve_page
    w.error = "ValueError: window must satisfy lo <= hi"
    wp.push("error")
    banner = wp.page.locator(".sw-error")
    assert banner.is_visible() and banner.inner_text() == "ValueError: window must satisfy lo <= hi"
    w.error = ""
    wp.push("error")
    assert not banner.is_visible()


def test_js_render_error_is_visible_and_reported_to_python(curve_page):
    w, wp, _ = curve_page
    wp.page.evaluate(
        "window.__push({state: {envelope: {dtype: 'complex64', shape: [1, 2]}, label_counts: {}}, buffer_paths: [['envelope', 'buffer']], buffers: ['AAAAAAAAAAA=']})"
    )
    banner = wp.page.locator(".sw-error")
    assert banner.is_visible() and "unsupported dtype complex64" in banner.inner_text()
    assert wp.sent()[0]["kind"] == "js-error" and "unsupported dtype complex64" in wp.sent()[0]["message"]


def test_screenshots_light_and_dark(widget_page, artifacts_dir):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 100_000)
    logits = rng.normal(size=100_000).astype(np.float32) * 2 + (labels * 2 - 1) * 1.5
    w = LogitCurve(logits, labels=labels, window=(-0.5, 0.5), class_names=["majority", "minority"])
    for theme in ("light", "dark"):
        wp = widget_page(w, theme=theme)
        assert wp.screenshot(f"logit_curve_{theme}.png").stat().st_size > 5000
        assert wp.errors == []


def test_drag_with_pauses_commits_one_window_on_release_and_shows_the_exact_count(curve_page):
    w, wp, curve = curve_page
    mouse = wp.page.mouse
    mouse.move(curve.x, curve.y(0.0))
    mouse.down()
    for target in (3.0, 6.0, 10.0):
        mouse.move(curve.x, curve.y(target), steps=4)
        wp.page.wait_for_timeout(150)  # pauses longer than the old 60 ms commit debounce
    assert [s for s in wp.saved() if "window" in s] == []  # nothing sent while the pointer is down
    assert wp.page.locator(".sw-lc-count").inner_text().startswith("≈")
    mouse.up()
    windows = [s["window"] for s in wp.saved() if "window" in s]
    assert len(windows) == 1
    wp.sync()
    lo, hi = w.window
    assert (lo, hi) == tuple(windows[0]) and hi - lo == pytest.approx(5.0)
    count = len(expected(lo, hi))
    assert wp.page.locator(".sw-lc-count").inner_text() == f"{count} of 40 samples"
    assert wp.errors == []


def test_release_without_moving_clears_the_approximate_header(curve_page):
    w, wp, curve = curve_page
    mouse = wp.page.mouse
    mouse.move(curve.x, curve.y(0.0))
    mouse.down()
    mouse.move(curve.x, curve.y(4.0), steps=3)
    mouse.move(curve.x, curve.y(0.0), steps=3)  # back to where it started: same window
    mouse.up()
    assert [s for s in wp.saved() if "window" in s] == []
    assert wp.page.locator(".sw-lc-count").inner_text() == "5 of 40 samples"
