"""Serve a notebook with Voilà on 127.0.0.1 for real-kernel browser tests (one helper for all)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]


def write_notebook(path: Path, *sources: str) -> Path:
    """A notebook at `path` with one code cell per source string."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(notebook, str(path))
    return path


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


@contextmanager
def serve_voila(notebook: Path, workdir: Path) -> Iterator[str]:
    """Voilà serving `notebook` (kernel cwd `workdir`, private Jupyter dirs); yields its URL.

    Voilà, unlike JupyterLab, has no root check, so no --allow-root is needed. The server log
    is printed on exit so that a failing test shows what the kernel said.
    """
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(workdir / sub)
    log_path = workdir / "voila.log"
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}/"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    print(log_path.read_text()[-3000:])
