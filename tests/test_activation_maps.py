"""Activation maps, gradient maps, feature attacks, overlays and core crops."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.activation_maps import (
    activation_maps,
    core_box,
    core_crops,
    feature_attack,
    gradient_maps,
    overlay,
)
from spurwidgets.compute.extract import extract
from spurwidgets.models import SmallCNN

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(3, 16, 16, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def model():
    return SmallCNN(n_classes=2, width=8, random_state=0)


def test_activation_maps_are_upsampled_and_normalised(model):
    maps = activation_maps(model, IMAGES, 3, device="cpu")
    assert maps.shape == (3, 16, 16) and maps.dtype == np.float32
    assert maps.min() >= 0 and np.isclose(maps.reshape(3, -1).max(1), 1).all()


def test_activation_maps_refuse_unknown_feature(model):
    with pytest.raises(ValueError, match="feature 8 does not exist; the layer has features 0..7"):
        activation_maps(model, IMAGES, 8, device="cpu")


def test_gradient_maps_have_image_shape(model):
    maps = gradient_maps(model, IMAGES, 2, device="cpu")
    assert maps.shape == (3, 16, 16) and 0 <= maps.min() and maps.max() <= 1


def test_feature_attack_amplifies_the_feature_within_epsilon(model):
    live = int(extract(model, IMAGES, device="cpu").features.mean(0).argmax())  # a feature that fires
    attacked, before, after = feature_attack(model, IMAGES, live, steps=5, step_size=0.02, epsilon=0.06, device="cpu")
    assert attacked.shape == IMAGES.shape and attacked.dtype == np.uint8
    assert (after >= before).all() and (after > before).any()
    assert np.abs(attacked.astype(int) - IMAGES.astype(int)).max() <= round(0.06 * 255) + 1


def test_overlay_keeps_cold_pixels_and_paints_hot_ones():
    pictures = np.full((1, 4, 4, 3), 100, dtype=np.uint8)
    heat = np.zeros((1, 4, 4), dtype=np.float32)
    heat[0, 0, 0] = 1.0
    out = overlay(pictures, heat, alpha=0.5)
    assert out[0, 3, 3].tolist() == [100, 100, 100]
    assert out[0, 0, 0].tolist() == [178, 178, 178]  # half way to white (255)


def test_overlay_refuses_wrong_shape():
    with pytest.raises(ValueError, match=r"heatmaps must have shape \(1, 4, 4\)"):
        overlay(np.zeros((1, 4, 4, 3), dtype=np.uint8), np.zeros((1, 5, 5)))


def test_core_box_thresholds_expands_and_squares():
    heat = np.zeros((20, 20), dtype=np.float32)
    heat[5:10, 8:10] = 1.0  # 5 high x 2 wide hot region; 0.5 elsewhere is below 0.9
    heat[0, 0] = 0.5
    top, left, h, w = core_box(heat, threshold=0.9, expand=0.2)
    assert (h, w) == (6, 6)  # 5 * 1.2 = 6, square
    assert (top, left) == (4, 6)  # centred on (7.5, 9)


def test_core_box_is_clipped_inside_the_image():
    heat = np.zeros((10, 10), dtype=np.float32)
    heat[0:9, 0] = 1.0
    top, left, h, w = core_box(heat)
    assert (top, left, h, w) == (0, 0, 10, 10)


def test_core_crops_returns_square_crops(model):
    crops, boxes = core_crops(model, IMAGES, [0, 1], device="cpu")
    assert len(crops) == 3 and boxes.shape == (3, 4)
    for crop, (_, _, h, w) in zip(crops, boxes):
        assert crop.shape == (h, w, 3) and h == w
