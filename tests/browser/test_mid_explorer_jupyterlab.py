"""MIDExplorer in a real JupyterLab: the VBox of curve, gallery and panel renders, each part
with its own comm, and a click on Refit reaches the kernel (see test_jupyterlab_comm.py for
the pitfalls handled: private dirs, a fresh workspace, waiting for "Idle")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from spurwidgets.testing import serve_jupyter, write_notebook

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
CELL = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from mid_toy_data import toy_shortcut
from spurwidgets.widgets import MIDExplorer
x, logits, y, groups, images = toy_shortcut()
explorer = MIDExplorer(x, images, y, groups=groups, logits=logits, n_clusters=2, device="cpu")  # 4 sections below
explorer
"""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work / "mid.ipynb", CELL)
    args = ["jupyter", "lab", "--no-browser", "--ip=127.0.0.1", "--allow-root",
            "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={work}"]  # fmt: skip
    with serve_jupyter(args, work, state_dir=tmp_path, env={"PYTHONPATH": str(REPO)}) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
def test_mid_explorer_renders_and_refits_in_jupyterlab(lab, page, artifacts_dir):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1200, "height": 1400})
    page.goto(f"{lab}/lab/workspaces/{uuid.uuid4().hex}/tree/mid.ipynb?reset", timeout=60_000)
    page.locator("#jp-main-statusbar").get_by_text("Idle").wait_for(timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()
    page.locator(".sw-me .sw-lc-canvas").wait_for(timeout=90_000)
    assert page.locator(".sw-me .sw-cg-section").count() == 4
    status = page.locator(".sw-me .sw-me-status")
    assert "36 samples in the window" in status.inner_text()
    page.locator(".sw-me .sw-me-refit").click()
    page.wait_for_function("() => document.querySelectorAll('.sw-me-table tr').length > 3", timeout=60_000)
    assert "Refit done" in status.inner_text()
    assert page.locator(".sw-me-table tr").nth(1).inner_text().startswith("overall")
    page.locator(".jp-OutputArea-output").last.screenshot(path=str(artifacts_dir / "mid_explorer_jupyterlab.png"))
    assert errors == []
