"""Shared test configuration: browser availability and Playwright launch settings."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SPURWIDGETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests (with a printed reason) when Chromium is absent, unless required."""
    if chromium_available():
        return
    browser_items = [item for item in items if "browser" in item.keywords]
    if not browser_items:
        return
    if os.environ.get("SPURWIDGETS_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(
            f"SPURWIDGETS_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}: apt-get install -y chromium"
        )
    reason = f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install -y chromium to run it)"
    print(f"\n{reason} ({len(browser_items)} tests)")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """pytest-playwright: use Debian's Chromium (never `playwright install`)."""
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where browser tests save screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
