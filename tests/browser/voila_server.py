"""Serve a notebook with Voila on 127.0.0.1 for real-kernel browser tests (one helper for all)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spurwidgets.testing import serve_jupyter, write_notebook

__all__ = ["serve_voila", "write_notebook"]

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def serve_voila(notebook: Path, workdir: Path) -> Iterator[str]:
    """Voila serving `notebook` (kernel cwd `workdir`, private Jupyter dirs); yields its URL.

    Voila, unlike JupyterLab, has no root check, so no --allow-root is needed.
    """
    args = ["voila", str(notebook), "--no-browser", "--Voila.ip=127.0.0.1"]
    with serve_jupyter(args, workdir, env={"PYTHONPATH": str(REPO)}) as url:
        yield url + "/"
