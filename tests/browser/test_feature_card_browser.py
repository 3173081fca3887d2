"""FeatureCard in Chromium: the title names the class, heatmaps show their colour scale, the
attack view shows the activation before and after under each image."""

from __future__ import annotations

import pytest

import spurwidgets as sw
from spurwidgets.widgets.feature_card import FeatureCard


@pytest.fixture(scope="module")
def card_args():
    data = sw.datasets.colored_digits("val", size=16)[::6]
    model = sw.models.SmallCNN(n_classes=2, width=8, random_state=0)
    fs = sw.extract(model, data, device="cpu")
    ranker = sw.SpuriosityRanker(n_features=2).fit(fs.features, data.labels, model.fc)
    return data, model, fs, ranker


@pytest.mark.browser
def test_card_shows_class_title_heat_scale_and_attack_values(widget_page, card_args):
    data, model, fs, ranker = card_args
    feature = int(ranker.top_features_[1][0])
    card = FeatureCard(ranker, 1, feature, data, features=fs.features, model=model, k=3, device="cpu")
    wp = widget_page(card)
    assert wp.el.locator(".sw-fc-title").inner_text() == card.card["title"]
    assert wp.el.locator(".sw-fc-title").inner_text().startswith(f"class {data.class_names[1]} · ")
    assert wp.el.locator(".sw-fc-scale").count() == 0  # images view: no scale
    wp.el.locator("button.sw-fc-view[data-view=heatmaps]").click()
    assert wp.el.locator(".sw-fc-scale").count() == 1
    assert wp.el.locator(".sw-fc-scale").inner_text().split() == [
        "weakest",
        "strongest",
        "activation,",
        "scaled",
        "per",
        "image",
    ]
    gradient = wp.el.locator(".sw-fc-scale-bar").evaluate("el => getComputedStyle(el).backgroundImage")
    assert gradient.startswith("linear-gradient") and "rgb(0, 0, 0)" in gradient and "rgb(255, 255, 255)" in gradient
    wp.screenshot("feature_card_heatmaps.png")
    wp.el.locator("button.sw-fc-view[data-view=attacks]").click()
    shown = wp.el.locator(".sw-fc-row").first.locator(".sw-fc-value").all_inner_texts()
    expected = [f"{b:.2f}→{a:.2f}" for b, a in zip(card.card["attack_before"], card.card["attack_after"])]
    assert shown == expected and len(shown) == 3
    assert all(before != after for before, after in (s.split("→") for s in shown))
    wp.screenshot("feature_card_attacks.png")
    assert wp.errors == []
