"""Comm tier: LogitCurve in a real JupyterLab; a mouse drag changes the kernel's selection.

The notebook's kernel writes `window` and `selection` to selection.json from an `observe`
callback, so the test reads what the kernel really computed after the browser's message.
Pitfalls handled (see BROWSER_TESTING.md): private Jupyter dirs, a fresh workspace
(`/lab/workspaces/<unique>/...?reset`), waiting for "Idle" before "Run All Cells".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from jupyter_pages import CURVE_CELLS, START_WINDOW, VALUES, drag_curve_band, read_selection

from spurwidgets.testing import serve_jupyter, write_notebook

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab on 127.0.0.1 with private dirs, serving a fresh notebook; stopped afterwards."""
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work / "curve.ipynb", *CURVE_CELLS)
    args = ["jupyter", "lab", "--no-browser", "--ip=127.0.0.1", "--allow-root",
            "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={work}"]  # fmt: skip
    with serve_jupyter(args, work, state_dir=tmp_path, env={"PYTHONPATH": str(REPO)}) as url:
        yield url, work


@pytest.mark.browser
@pytest.mark.slow
def test_window_drag_updates_selection_in_kernel(lab, page, artifacts_dir):
    url, work = lab
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{url}/lab/workspaces/{uuid.uuid4().hex}/tree/curve.ipynb?reset", timeout=60_000)
    page.locator("#jp-main-statusbar").get_by_text("Idle").wait_for(timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()
    page.locator("canvas.sw-lc-canvas").wait_for(timeout=60_000)
    drag_curve_band(page, by=10.0)  # move the band up by 10 logits

    data = read_selection(work / "selection.json", window_changed_from=START_WINDOW, timeout=20)
    lo, hi = data["window"]
    assert hi - lo == pytest.approx(5.0) and lo == pytest.approx(7.5, abs=1.0)
    assert data["selection"] == np.flatnonzero((VALUES >= lo) & (VALUES <= hi)).tolist() == [28, 29, 30, 31, 32]
    page.wait_for_function("() => document.querySelector('.sw-lc-count').textContent.startsWith('5 of 40')")
    page.locator(".jp-OutputArea-output").last.screenshot(path=str(artifacts_dir / "logit_curve_jupyterlab.png"))
