"""The lesson renders as a dashboard in Voilà: code hidden, widgets live in a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from voila_server import serve_voila

LESSON = Path(__file__).resolve().parents[2] / "notebooks" / "01_shortcut_learning.ipynb"


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    """Voilà serving the lesson on 127.0.0.1; stopped afterwards."""
    with serve_voila(LESSON, tmp_path) as url:
        yield url


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
