"""Spuriosity widgets in Chromium (fast tier: harness page with a mock model)."""

from __future__ import annotations

import json

import pytest

import spurwidgets as sw
from spurwidgets.widgets.feature_card import FeatureCard


@pytest.fixture(scope="module")
def setup():
    data = sw.datasets.colored_digits("val", size=16)[::6]  # 60 images, both classes
    model = sw.models.SmallCNN(n_classes=2, width=8, random_state=0)
    fs = sw.extract(model, data, device="cpu")
    ranker = sw.SpuriosityRanker(n_features=2).fit(fs.features, data.labels, model.fc)
    return data, model, fs, ranker


@pytest.mark.browser
def test_feature_card_toggle_writes_the_annotations_file(widget_page, setup, tmp_path):
    data, model, fs, ranker = setup
    path = tmp_path / "notes.json"
    feature = int(ranker.top_features_[1][0])
    card = FeatureCard(ranker, 1, feature, data, features=fs.features, model=model, annotations_path=path, device="cpu")
    wp = widget_page(card)
    assert wp.el.locator("img.sw-fc-img").count() == 10
    wp.el.locator("button.sw-fc-mark-spurious").click()
    assert wp.last_saved("annotation") == "spurious"
    wp.sync()
    assert json.loads(path.read_text())["annotations"] == {"1": {str(feature): "spurious"}}
    assert wp.el.locator("button.sw-fc-mark-spurious[aria-pressed=true]").count() == 1
    wp.el.locator("button.sw-fc-mark-spurious").click()  # clicking the active label removes it
    wp.sync()
    assert json.loads(path.read_text())["annotations"] == {}
    assert wp.errors == []


@pytest.mark.browser
def test_feature_card_views_switch_to_heatmaps_and_attacks(widget_page, setup):
    data, model, fs, ranker = setup
    card = FeatureCard(
        ranker, 0, int(ranker.top_features_[0][0]), data, features=fs.features, model=model, device="cpu"
    )
    wp = widget_page(card)
    first = wp.el.locator("img.sw-fc-img").first.get_attribute("src")
    wp.el.locator("button.sw-fc-view[data-view=heatmaps]").click()
    assert wp.last_saved("view") == "heatmaps"
    assert wp.el.locator("img.sw-fc-img").first.get_attribute("src") != first
    wp.el.locator("button.sw-fc-view[data-view=attacks]").click()
    assert wp.el.locator(".sw-fc-label").first.inner_text() == "most activating, after a feature attack"
    wp.screenshot("feature_card.png")
    assert wp.errors == []
