"""MIDExplorer through a real kernel (Voila): drag -> Python reclusters, mark + refit -> table.

The kernel records every message its widgets send to the browser (tests/comm_recorder.py
wraps each part's comm), so the test also measures what one drag and one mark cost on the
wire: a drag sends the curve's window and counts (< 1 KB) plus the gallery's new clusters
and only the thumbnails the view does not have yet; a mark sends only the mark.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from voila_server import serve_voila, write_notebook

TESTS = Path(__file__).resolve().parents[1]


def _cell(record_path: Path) -> str:
    return f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from mid_toy_data import toy_shortcut
from comm_recorder import CommRecorder
from spurwidgets.widgets import MIDExplorer
x, logits, y, groups, images = toy_shortcut()
explorer = MIDExplorer(x, images, y, groups=groups, logits=logits, n_clusters=2, device="cpu")  # 4 sections below
recorder = CommRecorder({str(record_path)!r}, curve=explorer.curve, gallery=explorer.gallery, panel=explorer.panel)
explorer
"""


def _records(path: Path, since: int, until: callable, timeout: float = 30) -> list[dict]:
    """The kernel's send records after index `since`, once `until(records)` holds (then 0.5 s more)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = json.loads(path.read_text())[since:]
        if until(records):
            time.sleep(0.5)  # messages the same action sends a little later
            return json.loads(path.read_text())[since:]
        time.sleep(0.05)
    raise AssertionError(f"the kernel did not send the expected messages; got {json.loads(path.read_text())[since:]}")


def _bytes(records: list[dict], widget: str) -> int:
    return sum(r["json"] + r["binary"] for r in records if r["widget"] == widget)


@pytest.mark.browser
@pytest.mark.slow
def test_drag_mark_refit_through_a_real_kernel(tmp_path: Path, page, artifacts_dir: Path):
    sent = tmp_path / "sent.json"
    notebook = write_notebook(tmp_path / "mid_explorer.ipynb", _cell(sent))
    with serve_voila(notebook, tmp_path) as url:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_viewport_size({"width": 1000, "height": 1400})
        page.goto(url, timeout=180_000)
        canvas = page.locator(".sw-me .sw-lc-canvas")
        canvas.wait_for(state="visible", timeout=120_000)
        status = page.locator(".sw-me .sw-me-status")
        assert "36 samples in the window" in status.inner_text()
        assert page.locator(".sw-me .sw-cg-section").count() == 4
        start = len(json.loads(sent.read_text()))

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
        drag = _records(sent, start, lambda rs: any("status" in r["keys"] for r in rs))
        commits = sum(1 for r in drag if r["widget"] == "curve" and "count" in r["keys"])
        assert commits >= 1
        assert {k for r in drag if r["widget"] == "curve" for k in r["keys"]} <= {"window", "count", "class_counts"}
        assert _bytes(drag, "curve") / commits < 1000  # per committed window: window + counts only
        gallery_keys = {k for r in drag if r["widget"] == "gallery" for k in r["keys"]}
        assert gallery_keys <= {"sections", "thumb_indices", "marked"}  # pictures: only those the view lacks
        assert sum(r["json"] + r["binary"] for r in drag) < 3000  # all thumbnails again would be ~5 KB more
        print(f"bytes per drag: curve {_bytes(drag, 'curve') / commits:.0f} per commit ({commits} commits), "
              f"gallery {_bytes(drag, 'gallery')}, panel {_bytes(drag, 'panel')}")  # fmt: skip

        # Mark an unmarked cluster as minority in the gallery: only the mark travels back, then refit.
        unmarked = page.locator('.sw-me .sw-cg-section[data-tag=""]').first.get_attribute("data-cluster")
        start += len(drag)
        page.locator(f'.sw-me .sw-cg-section[data-cluster="{unmarked}"] .sw-cg-tag-minority').click()
        page.wait_for_timeout(1500)  # the kernel echoes the mark (ipywidgets 8) or sends nothing
        mark = json.loads(sent.read_text())[start:]
        assert [(r["widget"], r["keys"]) for r in mark] in ([], [("gallery", ["marked"])])
        assert _bytes(mark, "gallery") < 200
        print(f"bytes per mark: {_bytes(mark, 'gallery')}")
        page.locator(".sw-me-refit").click()
        page.wait_for_function("() => document.querySelectorAll('.sw-me-table tr').length > 3", timeout=60_000)
        page.wait_for_function(
            "() => document.querySelector('.sw-me-status').textContent.includes('upweighted')", timeout=60_000
        )
        chosen = re.search(r"cluster\(s\) \[([\d, ]+)\] upweighted", status.inner_text()).group(1)
        assert unmarked in chosen.split(", ")  # the mark made in the browser is part of the refit
        rows = page.locator(".sw-me-table tr")
        assert rows.nth(1).inner_text().startswith("overall")
        assert rows.nth(2).inner_text().startswith("worst group")
        page.screenshot(path=str(artifacts_dir / "mid_explorer_voila.png"), full_page=True)
        assert errors == []
