"""overlay's colour map by hand and the exact messages of activation_maps / feature_attack
(mutation survivors in compute/activation_maps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.activation_maps import activation_maps, core_box, feature_attack, feature_visuals, overlay
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


def test_overlay_clips_heat_to_0_1_and_scales_red_below_a_third():
    pictures = np.full((1, 1, 2, 3), 100, dtype=np.uint8)
    got = overlay(pictures, np.array([[[0.2, 1.5]]]), alpha=1.0)
    # h=.2: colour (0.6 * 255, 0, 0), weight .2 -> .8 * 100 + .2 * 153 = 110.6; h=1.5 is clipped to 1: white
    assert got[0, 0].tolist() == [[111, 80, 80], [255, 255, 255]]


def test_core_box_of_a_hot_left_edge_starts_at_column_0():
    heat = np.zeros((10, 10))
    heat[4:6, 0:2] = 1.0
    # hot block rows 4-5, columns 0-1: 2 x 2 grown by 20 % -> side 2, centred on (5, 1) -> top 4, left 0
    assert core_box(heat) == (4, 0, 2, 2)


def test_feature_visuals_attack_with_the_documented_10_steps():
    model = SmallCNN(n_classes=2, width=8, random_state=0)
    default = feature_visuals(model, IMAGES, 0, device="cpu")
    explicit = feature_visuals(model, IMAGES, 0, attack_steps=10, device="cpu")
    np.testing.assert_array_equal(default["attacks"], explicit["attacks"])
