"""MIDExplorer through a real kernel (Voila): drag -> Python reclusters, mark + refit -> table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from voila_server import serve_voila, write_notebook

TESTS = Path(__file__).resolve().parents[1]
CELL = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from mid_toy_data import toy_shortcut
from spurwidgets.widgets import MIDExplorer
x, logits, y, groups, images = toy_shortcut()
explorer = MIDExplorer(x, images, y, groups=groups, logits=logits, device="cpu")
explorer
"""


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    with serve_voila(write_notebook(tmp_path / "mid_explorer.ipynb", CELL), tmp_path) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
def test_drag_mark_refit_through_a_real_kernel(voila_url: str, page, artifacts_dir: Path):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.goto(voila_url, timeout=180_000)
    canvas = page.locator(".sw-me .sw-lc-canvas")
    canvas.wait_for(state="visible", timeout=120_000)
    status = page.locator(".sw-me-status")
    assert "36 samples in the window" in status.inner_text()

    # Drag the window's top edge down: the kernel re-runs MID and the status follows.
    box = canvas.bounding_box()
    ymin, ymax = float(canvas.get_attribute("data-ymin")), float(canvas.get_attribute("data-ymax"))
    to_px = lambda v: box["y"] + 10 + (ymax - v) / (ymax - ymin) * (box["height"] - 52)  # noqa: E731
    hi = float(re.search(r"in \[([-\d.]+), ([-\d.]+)\]", page.locator(".sw-lc-info").inner_text()).group(2))
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, to_px(hi))
    page.mouse.down()
    page.mouse.move(x, to_px(1.0), steps=5)
    page.mouse.up()
    page.wait_for_function(
        "() => !document.querySelector('.sw-me-status').textContent.includes('36 samples')", timeout=30_000
    )
    assert "samples in the window" in status.inner_text()

    # Mark cluster 0 as minority in the gallery (the kernel keeps the marks), then refit.
    page.locator('.sw-cg-section[data-cluster="0"] .sw-cg-tag-minority').click()
    page.locator(".sw-me-refit").click()
    page.wait_for_function("() => document.querySelectorAll('.sw-me-table tr').length > 3", timeout=60_000)
    assert "upweighted" in status.inner_text()
    assert "cluster(s) [0" in status.inner_text()
    rows = page.locator(".sw-me-table tr")
    assert rows.nth(1).inner_text().startswith("overall")
    assert rows.nth(2).inner_text().startswith("worst group")
    page.screenshot(path=str(artifacts_dir / "mid_explorer_voila.png"), full_page=True)
    assert errors == []
