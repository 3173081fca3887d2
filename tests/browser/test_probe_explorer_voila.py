"""ProbeExplorer through a real kernel (Voilà): a box gesture in the scatter fills the gallery."""

from __future__ import annotations

from pathlib import Path

import pytest
from voila_server import serve_voila, write_notebook

NOTEBOOK_CODE = """
import numpy as np, torch
from torch import nn
from spurwidgets.datasets import solid_color_probes
from spurwidgets.compute.probe_clusters import ProbeClusters
from spurwidgets.widgets import ProbeExplorer
# a pure colour-shortcut classifier: logits 10 (r - b), 10 (b - r) of the mean colour
model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
with torch.no_grad():
    model[2].weight.copy_(torch.tensor([[10.0, 0.0, -10.0], [-10.0, 0.0, 10.0]])); model[2].bias.zero_()
probes = solid_color_probes(n=120, size=12, random_state=0)
pc = ProbeClusters(2, 0, vae_params=dict(epochs=3, width=4), device="cpu").fit(model, probes)
ProbeExplorer(probes=probes, clusters=pc, class_names=["red", "blue"])
"""


@pytest.mark.browser
@pytest.mark.slow
def test_box_selection_reaches_the_kernel_and_fills_the_gallery(tmp_path: Path, page, artifacts_dir: Path):
    notebook = write_notebook(tmp_path / "probes.ipynb", NOTEBOOK_CODE)
    with serve_voila(notebook, tmp_path) as url:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_viewport_size({"width": 1100, "height": 1000})
        page.goto(url, timeout=240_000)
        overlay = page.locator(".sw-ls-overlay")
        overlay.wait_for(state="visible", timeout=180_000)
        assert page.get_by_text("Average cluster probability", exact=False).first.is_visible()
        page.click("button[data-tool=box]")
        box = overlay.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 30, box["y"] + 5)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 30, steps=8)  # left half
        page.mouse.up()
        # the kernel computes the selection and the linked ImageGallery shows it
        count = page.locator(".sw-latent-scatter").get_attribute("data-n-selected")
        assert count is not None and 0 < int(count) < 120
        page.get_by_text(f"{count} images", exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=str(artifacts_dir / "probe_explorer_voila.png"), full_page=True)
        assert errors == []
