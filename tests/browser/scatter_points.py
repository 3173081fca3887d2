"""Page coordinates of a LatentScatter data point, from the view the widget publishes.

The scatter writes its visible data window (`data-view="x0,x1,y0,y1"`) and plot box
(`data-plot="left,top,width,height"`, CSS px inside the canvas stage) on its root element.
The root is found with a Playwright locator, which also looks inside open shadow roots
(marimo renders each anywidget in one), where `document.querySelector` finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_TO_CLIENT = """(root, [x, y]) => {
  const [x0, x1, y0, y1] = root.dataset.view.split(',').map(Number);
  const [px, py, pw, ph] = root.dataset.plot.split(',').map(Number);
  const r = root.querySelector('.sw-ls-overlay').getBoundingClientRect();
  return [r.left + px + ((x - x0) / (x1 - x0)) * pw, r.top + py + ((y1 - y) / (y1 - y0)) * ph];
}"""


def scatter_client_xy(page: Any, x: float, y: float, root: Any = None) -> tuple[float, float]:
    """Client (page) coordinates of the data point (x, y) in a LatentScatter on `page`
    (`root`: a locator of its `.sw-latent-scatter` element; default the first on the page)."""
    root = root if root is not None else page.locator(".sw-latent-scatter").first
    cx, cy = root.evaluate(_TO_CLIENT, [float(x), float(y)])
    return float(cx), float(cy)


def drag_scatter(page: Any, path: Sequence[tuple[float, float]], root: Any = None, steps: int = 4) -> None:
    """Press at path[0], move through the other data points, release (a lasso, or a box with
    the box tool)."""
    root = root if root is not None else page.locator(".sw-latent-scatter").first
    start = scatter_client_xy(page, *path[0], root)
    box = root.locator(".sw-ls-overlay").bounding_box()
    if not (box["x"] <= start[0] < box["x"] + box["width"] and box["y"] <= start[1] < box["y"] + box["height"]):
        # a press outside the plot starts no gesture: the test, not the widget, would be wrong
        raise AssertionError(f"the gesture starts at {path[0]}, outside the scatter's plot {box}")
    mouse = page.mouse
    mouse.move(*start)
    mouse.down()
    for point in path[1:]:
        mouse.move(*scatter_client_xy(page, *point, root), steps=steps)
    mouse.up()
