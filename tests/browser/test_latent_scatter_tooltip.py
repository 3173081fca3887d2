"""LatentScatter's hover tooltip keeps a typical text on one line (it used to wrap at 160 px)."""

from __future__ import annotations

import numpy as np
import pytest
from scatter_points import scatter_client_xy

from spurwidgets.widgets.latent_scatter import LatentScatter


@pytest.mark.browser
def test_hover_tooltip_text_stays_on_one_line(widget_page):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 2))
    images = np.zeros((40, 8, 8, 3), dtype=np.uint8)
    w = LatentScatter(points, color={"p(class 1)": np.linspace(0, 1, 40), "cluster": np.arange(40) % 3}, images=images)
    wp = widget_page(w)
    xy = scatter_client_xy(wp.page, *points[7])
    wp.page.mouse.move(*xy)
    wp.page.wait_for_function("window.__model.saved.some((e) => 'hover' in e)")
    wp.sync()
    assert w.hover_text == "#7 · p(class 1): 0.179 · cluster: 1"
    tip = wp.page.locator(".sw-ls-tip-text")
    assert tip.inner_text() == w.hover_text
    lines = tip.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return new Set(Array.from(r.getClientRects()).map((b) => Math.round(b.top))).size; }"
    )
    assert lines == 1
    assert wp.errors == []
