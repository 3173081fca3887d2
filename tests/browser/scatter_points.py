"""Page coordinates of a LatentScatter data point, from the view the widget publishes.

The scatter writes its visible data window (`data-view="x0,x1,y0,y1"`) and plot box
(`data-plot="left,top,width,height"`, CSS px inside the canvas stage) on its root element.
"""

from __future__ import annotations

from typing import Any

_TO_CLIENT = """([x, y]) => {
  const root = document.querySelector('.sw-latent-scatter');
  const [x0, x1, y0, y1] = root.dataset.view.split(',').map(Number);
  const [px, py, pw, ph] = root.dataset.plot.split(',').map(Number);
  const r = root.querySelector('.sw-ls-overlay').getBoundingClientRect();
  return [r.left + px + ((x - x0) / (x1 - x0)) * pw, r.top + py + ((y1 - y) / (y1 - y0)) * ph];
}"""


def scatter_client_xy(page: Any, x: float, y: float) -> tuple[float, float]:
    """Client (page) coordinates of the data point (x, y) in the first LatentScatter on `page`."""
    cx, cy = page.evaluate(_TO_CLIENT, [float(x), float(y)])
    return float(cx), float(cy)
