"""overlay's colour map by hand and the exact messages of activation_maps / feature_attack
(mutation survivors in compute/activation_maps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.activation_maps import activation_maps, feature_attack, overlay
from spurwidgets.models import SmallCNN

IMAGES = np.random.default_rng(0).integers(0, 256, size=(2, 16, 16, 3), dtype=np.uint8)


def test_overlay_blends_the_hot_colour_map_by_hand():
    pictures = np.full((1, 1, 4, 3), 100, dtype=np.uint8)
    heat = np.array([[[0.0, 0.5, 0.8, 1.0]]])
    got = overlay(pictures, heat, alpha=1.0)
    # colour(h) = 255 * (clip(3h), clip(3h - 1), clip(3h - 2)); weight = alpha * h
    # h=0: the picture; h=.5: .5*100 + .5*(255, 127.5, 0); h=.8: .2*100 + .8*(255, 255, 102); h=1: white
    assert got[0, 0].tolist() == [[100, 100, 100], [178, 114, 50], [224, 224, 102], [255, 255, 255]]


def test_an_empty_feature_list_is_refused_with_the_full_message():
    model = SmallCNN(n_classes=2, width=8, random_state=0)
    with pytest.raises(ValueError, match=r"^features must name at least one feature$"):
        activation_maps(model, IMAGES, [], device="cpu")


def test_epsilon_out_of_range_is_named():
    model = SmallCNN(n_classes=2, width=8, random_state=0)
    with pytest.raises(ValueError, match=r"^epsilon must be in \(0\.0, 1\.0\]; got 1\.5$"):
        feature_attack(model, IMAGES, 0, epsilon=1.5, device="cpu")
