"""The lesson renders as a dashboard in Voilà: code hidden, widgets live in a real Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LESSON = REPO / "notebooks" / "01_shortcut_learning.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"voila exited with status {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"voila did not listen on port {port} within {timeout} s")


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    """Voilà serving the lesson on 127.0.0.1 with private Jupyter dirs; stopped afterwards."""
    port = _free_port()
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(tmp_path / sub)
    log = (tmp_path / "voila.log").open("w")
    # Voilà (unlike JupyterLab) has no root check, so no --allow-root is needed here.
    process = subprocess.Popen(
        [sys.executable, "-m", "voila", str(LESSON), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print((tmp_path / "voila.log").read_text()[-3000:])


@pytest.mark.browser
@pytest.mark.slow
def test_lesson_renders_in_voila_with_a_live_logit_curve(voila_url: str, page, artifacts_dir: Path):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Voilà runs the whole notebook before the page is complete (training included).
    page.goto(voila_url, timeout=240_000)
    canvas = page.locator(".sw-lc-canvas").first
    canvas.wait_for(state="visible", timeout=120_000)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100
    # Voilà hides the code: no input areas, but the lesson's markdown and widgets are there.
    assert page.locator(".jp-InputArea-editor").count() == 0
    assert page.get_by_text("Shortcut learning", exact=False).first.is_visible()
    page.screenshot(path=str(artifacts_dir / "voila_lesson01.png"), full_page=False)
    canvas.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "voila_lesson01_logit_curve.png"), full_page=False)
    assert errors == []
