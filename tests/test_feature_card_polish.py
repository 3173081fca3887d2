"""FeatureCard, what a person sees: class in the title, heatmap colour scale, attack before/after."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.activation_maps import feature_attack, overlay
from spurwidgets.compute.images import ImageSource
from spurwidgets.widgets import FeatureCard
from spurwidgets.widgets.feature_card import heat_scale


def test_title_names_the_class_from_the_imageset_or_class_names(feature_card_data):
    data, _, fs, ranker = feature_card_data
    feature = int(ranker.top_features_[1][0])
    card = FeatureCard(ranker, 1, feature, data, features=fs.features)
    assert card.card["title"] == f"class {data.class_names[1]} · feature {feature} (#1 for this class)"
    named = FeatureCard(ranker, 1, feature, data, features=fs.features, class_names=["zero", "one"])
    assert named.card["title"].startswith("class one · feature ")
    plain = FeatureCard(ranker, 1, feature, data.images, labels=data.labels, features=fs.features)
    assert plain.card["title"].startswith("class 1 · feature ")


def test_heatmaps_come_with_the_overlay_colour_scale(feature_card_data):
    data, model, fs, ranker = feature_card_data
    card = FeatureCard(ranker, 0, 0, data, features=fs.features, model=model, attack=False, device="cpu")
    scale = card.card["heat_scale"]
    assert scale["colors"][0] == "#000000" and scale["colors"][-1] == "#ffffff" and len(scale["colors"]) == 9
    # the bar's middle stop is exactly what overlay paints at activation 0.5 (alpha 1)
    mid = overlay(np.zeros((1, 1, 1, 3), np.uint8), np.full((1, 1, 1), 0.5, np.float32), alpha=1.0)[0, 0, 0]
    assert scale["colors"][4] == "#{:02x}{:02x}{:02x}".format(*map(int, mid))
    assert (scale["low"], scale["high"]) == ("weakest", "strongest")
    assert card.card["attack_before"] == [] and card.card["top_attack"] == []
    assert FeatureCard(ranker, 0, 0, data, features=fs.features).card["heat_scale"] == {}
    assert heat_scale(3)["colors"] == ["#000000", "#804000", "#ffffff"]  # red-yellow, fading to the picture


def test_attack_view_shows_the_activation_before_and_after(feature_card_data):
    data, model, fs, ranker = feature_card_data
    feature = int(ranker.top_features_[0][0])
    card = FeatureCard(ranker, 0, feature, data, features=fs.features, model=model, k=3, device="cpu")
    top = np.asarray(card.card["top_indices"])
    _, before, after = feature_attack(model, ImageSource(data).float_images(top), feature, device="cpu")
    assert card.card["attack_before"] == pytest.approx(before.tolist(), abs=1e-6)
    assert card.card["attack_after"] == pytest.approx(after.tolist(), abs=1e-6)
    assert len(card.card["attack_before"]) == len(card.card["top_attack"]) == 3
    # before = the ranker's feature values of those images; the attack raises every one of them
    assert card.card["attack_before"] == pytest.approx(fs.features[top, feature].tolist(), abs=1e-4)
    assert all(a > b for a, b in zip(card.card["attack_after"], card.card["attack_before"]))
