"""Shared widget plumbing: one class palette and one tick helper for every widget."""

from __future__ import annotations

import json
import re
from pathlib import Path

from spurwidgets.widgets._base import CLASS_PALETTE, class_color, esm_source

WIDGETS = Path(__file__).resolve().parents[1] / "spurwidgets" / "widgets"


def test_esm_source_writes_the_python_palette_first():
    first = esm_source("logit_curve.js").splitlines()[0]
    assert first.startswith("const SW_PALETTE = ")
    assert json.loads(first.removeprefix("const SW_PALETTE = ").rstrip(";")) == list(CLASS_PALETTE)
    assert CLASS_PALETTE[0] == "#4e79a7" and len(CLASS_PALETTE) == 10
    assert class_color(0) == "#4e79a7" and class_color(11) == CLASS_PALETTE[1]


def test_no_widget_js_repeats_the_palette_or_the_tick_helper():
    for path in WIDGETS.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert "#4e79a7" not in text, f"{path.name} repeats the class palette; use swClassColor"
        if path.name != "_common.js":
            assert not re.search(r"function \w*[Tt]icks\(", text), f"{path.name} defines its own ticks; use swNiceTicks"


def test_curve_and_scatter_modules_use_the_shared_helpers():
    for module in (esm_source("logit_curve.js"), esm_source("latent_scatter_draw.js", "latent_scatter.js")):
        assert module.count("function swNiceTicks(") == 1 and "swNiceTicks(" in module.split("function swNiceTicks(")[1]
        assert "swClassColor(" in module.split("function swClassColor(")[1]
