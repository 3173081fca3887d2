"""Shared by the real-kernel front-end tests: a LogitCurve notebook and a drag on its canvas.

The notebook's kernel writes `window` and `selection` to selection.json from an `observe`
callback, so a test reads what the kernel really computed after the browser's message.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

VALUES = np.arange(40, dtype=np.float32) - 20
START_WINDOW = [-2.5, 2.5]

CURVE_CELLS = [
    "import json, os\nimport numpy as np\nfrom spurwidgets.widgets import LogitCurve",
    "values = np.arange(40, dtype=np.float32) - 20\n"
    "curve = LogitCurve(values, labels=(np.arange(40) % 3 == 0).astype(int), window=(-2.5, 2.5))\n\n"
    "def dump(_change=None):\n"
    "    with open('selection.json.tmp', 'w') as f:\n"
    "        json.dump({'window': list(curve.window), 'selection': curve.selection.tolist()}, f)\n"
    "    os.replace('selection.json.tmp', 'selection.json')\n\n"
    "curve.observe(dump, 'selection')\ncurve",
]


def drag_curve_band(page: Any, by: float = 10.0, selector: str = "canvas.sw-lc-canvas") -> None:
    """Drag the LogitCurve's window band up by `by` logits with the mouse (canvas must be drawn)."""
    page.wait_for_function(f"() => document.querySelector('{selector}')?.dataset.plotH > 0", timeout=60_000)
    canvas = page.locator(selector).first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    d = canvas.evaluate("c => Object.fromEntries(Object.entries(c.dataset).map(([k, v]) => [k, +v]))")

    def y(value: float) -> float:
        return box["y"] + d["plotY"] + (d["ymax"] - value) / (d["ymax"] - d["ymin"]) * d["plotH"]

    x = box["x"] + d["plotX"] + d["plotW"] / 2
    page.mouse.move(x, y(0.0))
    page.mouse.down()
    page.mouse.move(x, y(by), steps=10)
    page.mouse.up()


def read_selection(path: Path, window_changed_from: list[float], timeout: float = 30) -> dict:
    """What the kernel wrote to `path` once its window differs from `window_changed_from`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            data = json.loads(path.read_text())
            if data["window"] != window_changed_from:
                return data
        time.sleep(0.05)
    raise AssertionError(f"the kernel never wrote a new selection to {path}")


def assert_dragged_selection(data: dict) -> None:
    """The kernel's window moved up by ~10 logits and its selection is the 5 values inside."""
    lo, hi = data["window"]
    assert abs((hi - lo) - 5.0) < 1e-6 and abs(lo - 7.5) <= 1.0, data["window"]
    assert data["selection"] == np.flatnonzero((VALUES >= lo) & (VALUES <= hi)).tolist(), data
    assert len(data["selection"]) in (5, 6) and data["selection"][0] in (27, 28), data
