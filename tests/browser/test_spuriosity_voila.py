"""SpuriosityExplorer through a real kernel (Voila): annotate -> JSON file + gap table, Tune head."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from voila_server import serve_voila, write_notebook

CELL = """
import spurwidgets as sw
from spurwidgets.widgets import SpuriosityExplorer
data = sw.datasets.colored_digits("val", size=16)[::4]
model = sw.models.SmallCNN(n_classes=2, width=8, random_state=0)
explorer = SpuriosityExplorer(model, data, data, n_features=2, k=5, n_per_class=10, card_k=3,
                              annotations_path="notes.json", device="cpu")
explorer
"""


@pytest.fixture
def voila_url(tmp_path: Path) -> Iterator[str]:
    with serve_voila(write_notebook(tmp_path / "spuriosity_explorer.ipynb", CELL), tmp_path) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
def test_annotate_and_tune_through_a_real_kernel(voila_url: str, page, artifacts_dir: Path, tmp_path: Path):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.goto(voila_url, timeout=180_000)
    cards = page.locator(".sw-sx-cards .sw-fc")
    cards.first.wait_for(state="visible", timeout=120_000)
    assert cards.count() == 2
    feature = cards.first.get_attribute("data-feature")

    cards.first.locator("button.sw-fc-mark-spurious").click()
    gap_cell = page.locator(".sw-sx-gaps tr[data-cls='0'] td").nth(2)
    page.wait_for_function(
        "() => document.querySelector(\".sw-sx-gaps tr[data-cls='0'] td:nth-child(3)\").textContent !== '—'",
        timeout=30_000,
    )
    assert gap_cell.inner_text() != "—"
    notes = json.loads((tmp_path / "notes.json").read_text())
    assert notes["annotations"] == {"0": {feature: "spurious"}}

    page.locator("button.sw-sx-tune-button").click()
    page.wait_for_function("() => document.querySelectorAll('.sw-sx-results tr[data-strategy]').length === 3",
                           timeout=120_000)  # fmt: skip
    # An untrained model's gaps already meet the stop rule here: no epoch runs and the status says why.
    assert page.locator(".sw-sx-status").inner_text().startswith("nothing to tune: stop rule met at epoch 0")
    page.screenshot(path=str(artifacts_dir / "spuriosity_explorer_voila.png"), full_page=True)
    assert errors == []
