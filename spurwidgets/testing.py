"""Chromium and Jupyter servers for widget tests, screenshots and browser benchmarks.

`playwright install` downloads its own browser, which fails on offline machines and in CI
without internet, so everything here drives the distribution's Chromium (Debian:
`apt-get install -y chromium`). Set SPURWIDGETS_CHROMIUM to use another binary.

    from playwright.sync_api import sync_playwright
    from spurwidgets.testing import chromium_launch_options

    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_options())

`serve_jupyter` runs Voila or JupyterLab on a free local port with private Jupyter
directories, so a test never reads or writes the user's own settings and workspaces.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Headless and quiet: no GPU (SwiftShader draws the canvases), no sandbox (containers run as
# root), and no background traffic, so a test never waits on a network it cannot reach.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str:
    """The Chromium binary: $SPURWIDGETS_CHROMIUM, else /usr/bin/chromium."""
    return os.environ.get("SPURWIDGETS_CHROMIUM", "/usr/bin/chromium")


def chromium_available() -> bool:
    """Whether the Chromium binary (or a `chromium` on PATH) is installed."""
    return Path(chromium_path()).exists() or shutil.which("chromium") is not None


def chromium_launch_options() -> dict[str, Any]:
    """Keyword arguments for Playwright's `chromium.launch` (and pytest-playwright's launch args)."""
    return {"executable_path": chromium_path(), "headless": True, "args": list(CHROMIUM_ARGS)}


def write_notebook(path: Path, *sources: str) -> Path:
    """A Python 3 notebook at `path` with one code cell per source string."""
    import nbformat  # a dev extra: only the tests and scripts write notebooks

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(notebook, str(path))
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_jupyter(
    app_args: Sequence[str],
    cwd: Path,
    *,
    state_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Iterator[str]:
    """Run `python -m <app_args> --port=<free port>` in `cwd`; yields "http://127.0.0.1:<port>".

    `app_args` names the app and its options, e.g. ["voila", "nb.ipynb", "--no-browser",
    "--Voila.ip=127.0.0.1"] or ["jupyter", "lab", "--no-browser", "--ip=127.0.0.1", ...].
    Jupyter's config, data and runtime directories and IPython's go under `state_dir`
    (default `cwd`); `env` adds variables. The server's output goes to
    `<state_dir>/<app>.log`, whose tail is printed on exit (pytest shows it for a failing
    test) and raised if the server dies before it listens.
    """
    state_dir = state_dir or cwd
    port = free_port()
    full_env = dict(os.environ, **(env or {}))
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        full_env[var] = str(state_dir / var.lower())
    log_path = state_dir / f"{app_args[0]}.log"
    command = [sys.executable, "-m", *app_args, f"--port={port}"]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(app_args[0], port, process, timeout, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    print(log_path.read_text()[-3000:])


def _wait_for_port(name: str, port: int, process: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with status {process.returncode}: {log_path.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{name} did not listen on port {port} within {timeout} s")
