"""Launching the system Chromium for widget tests, screenshots and browser benchmarks.

`playwright install` downloads its own browser, which fails on offline machines and in CI
without internet, so everything here drives the distribution's Chromium (Debian:
`apt-get install -y chromium`). Set SPURWIDGETS_CHROMIUM to use another binary.

    from playwright.sync_api import sync_playwright
    from spurwidgets.testing import chromium_launch_options

    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch_options())
"""

from __future__ import annotations

import os
import shutil
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
