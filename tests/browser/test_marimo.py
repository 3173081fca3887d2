"""marimo (`mo.ui.anywidget`): LogitCurve, ClusterGallery and LatentScatter render in an app
served by `marimo run`, and a drag, a cluster mark and a lasso reach the Python widgets.

The app's last cell reads the three wrappers' `.value` (so marimo re-runs it on every change
from the browser) and writes the widgets' Python-side results to state.json.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from jupyter_pages import VALUES
from scatter_points import drag_scatter

from spurwidgets.compute.projection import points_in_polygon
from spurwidgets.testing import serve_jupyter

pytest.importorskip("marimo", reason="marimo is in the dev extra")

REPO = Path(__file__).resolve().parents[2]

APP = """
import marimo

app = marimo.App()


@app.cell
def _():
    import json, os
    import marimo as mo
    import numpy as np
    from spurwidgets.widgets import ClusterGallery, LatentScatter, LogitCurve
    return ClusterGallery, LatentScatter, LogitCurve, json, mo, np, os


@app.cell
def _(ClusterGallery, LatentScatter, LogitCurve, mo, np):
    values = np.arange(40, dtype=np.float32) - 20
    curve = mo.ui.anywidget(LogitCurve(values, labels=(np.arange(40) % 3 == 0).astype(int), window=(-2.5, 2.5)))
    images = np.random.default_rng(0).integers(0, 255, size=(30, 8, 8, 3), dtype=np.uint8)
    gallery = mo.ui.anywidget(ClusterGallery(images, np.array([7] * 20 + [2] * 10), n_thumbs=4))
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 8.0]])
    points = centres[np.repeat([0, 1, 2], 20)] + np.random.default_rng(1).normal(scale=0.5, size=(60, 2))
    scatter = mo.ui.anywidget(LatentScatter(points, {"blob": np.repeat([0, 1, 2], 20), "x": points[:, 0]}))
    return curve, gallery, scatter


@app.cell
def _(curve):
    curve
    return


@app.cell
def _(gallery):
    gallery
    return


@app.cell
def _(scatter):
    scatter
    return


@app.cell
def _(curve, gallery, json, os, scatter):
    _ = (curve.value, gallery.value, scatter.value)
    _state = {
        "window": [float(v) for v in curve.widget.window],
        "selection": curve.widget.selection.tolist(),
        "marked": {str(k): v for k, v in gallery.widget.marked.items()},
        "scatter": scatter.widget.selection.tolist(),
        "lasso": scatter.widget.lasso,
        "color_by": scatter.widget.color_by,
    }
    with open("state.json.tmp", "w") as _f:
        json.dump(_state, _f)
    os.replace("state.json.tmp", "state.json")
    return
"""


# the app's scatter points (its second cell draws them the same way)
CENTRES = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 8.0]])
POINTS = CENTRES[np.repeat([0, 1, 2], 20)] + np.random.default_rng(1).normal(scale=0.5, size=(60, 2))


def inside(polygon) -> list[int]:
    """Indices of the app's scatter points inside `polygon` (data coordinates)."""
    return points_in_polygon(POINTS.astype(np.float32), [list(map(float, v)) for v in polygon]).tolist()


@pytest.fixture
def marimo_app(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    work = tmp_path / "work"
    work.mkdir()
    (work / "app.py").write_text(APP)
    args = ["marimo", "run", "app.py", "--headless", "--host=127.0.0.1", "--no-token"]
    with serve_jupyter(args, work, state_dir=tmp_path, env={"PYTHONPATH": str(REPO)}) as url:
        yield url, work


def _wait_state(path: Path, done, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    data: dict = {}
    while time.monotonic() < deadline:
        if path.exists():
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError:
                data = {}
            if data and done(data):
                return data
        time.sleep(0.1)
    raise AssertionError(f"the app never wrote the expected state; last: {data}")


@pytest.mark.browser
@pytest.mark.slow
def test_widgets_render_and_report_to_python_in_marimo(marimo_app, page, artifacts_dir):
    url, work = marimo_app
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1200, "height": 1400})
    page.goto(url, timeout=60_000)
    state = work / "state.json"
    _wait_state(state, lambda d: d["window"] == [-2.5, 2.5], timeout=120)

    # LogitCurve: drag the window band up by 10 logits
    canvas = page.locator("canvas.sw-lc-canvas").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_function("(c) => c.dataset.plotH > 0", arg=canvas.element_handle(), timeout=30_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    d = canvas.evaluate("c => Object.fromEntries(Object.entries(c.dataset).map(([k, v]) => [k, +v]))")
    x = box["x"] + d["plotX"] + d["plotW"] / 2

    def y(value: float) -> float:
        return box["y"] + d["plotY"] + (d["ymax"] - value) / (d["ymax"] - d["ymin"]) * d["plotH"]

    page.mouse.move(x, y(0.0))
    page.mouse.down()
    page.mouse.move(x, y(10.0), steps=10)
    page.mouse.up()
    data = _wait_state(state, lambda s: s["window"][0] > 6)  # intermediate windows arrive during the drag
    lo, hi = data["window"]
    assert hi - lo == pytest.approx(5.0) and lo == pytest.approx(7.5, abs=1.0)
    assert data["selection"] == np.flatnonzero((VALUES >= lo) & (VALUES <= hi)).tolist() != []

    # ClusterGallery: both clusters render with thumbnails; mark cluster 7 as minority
    section = page.locator('.sw-cg-section[data-cluster="7"]')
    section.scroll_into_view_if_needed()
    assert page.locator(".sw-cg-section").count() == 2
    section.locator('.sw-cg-tag[data-tag="minority"]').click()
    assert _wait_state(state, lambda s: s["marked"] != {})["marked"] == {"7": "minority"}

    # LatentScatter: renders its 60 points; choosing a colouring in its dropdown reaches Python.
    plot = page.locator(".sw-latent-scatter").first
    plot.scroll_into_view_if_needed()
    assert page.get_by_text("0 of 60 selected").count() == 1
    page.locator(".sw-latent-scatter select").first.select_option("x")
    assert _wait_state(state, lambda s: s["color_by"] != "blob")["color_by"] == "x"

    # a lasso around blob 1 at (10, 0) (inside the plot: the view spans about x -1.9..11.2,
    # y -1.4..8.9): the exact points inside the drawn ring reach Python
    ring = [(10 + 1.1 * np.cos(a), 1.1 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 13)]
    drag_scatter(page, ring, plot)
    data = _wait_state(state, lambda s: s["scatter"] != [])
    assert len(data["lasso"]) >= 12  # the polygon drawn in the page
    assert data["scatter"] == inside(data["lasso"]) == inside(ring) == list(range(20, 40))
    assert plot.get_attribute("data-n-selected") == "20"
    page.screenshot(path=str(artifacts_dir / "marimo_app.png"), full_page=True)

    # the box tool over blobs 0 and 1
    plot.locator("button[data-tool=box]").click()
    drag_scatter(page, [(-1.7, -1.2), (11.0, 2.5)], plot)
    data = _wait_state(state, lambda s: len(s["lasso"]) == 4)
    corners = [(-1.7, -1.2), (11.0, -1.2), (11.0, 2.5), (-1.7, 2.5)]
    assert data["scatter"] == inside(data["lasso"]) == inside(corners) == list(range(40))
    assert plot.get_attribute("data-n-selected") == "40"
    assert page.locator(".sw-error:visible").count() == 0
    assert errors == []
