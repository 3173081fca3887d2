"""Mislabel filters: confident-learning probe and a zero-shot image-text model (tiny random CLIP)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spurwidgets.compute.mid import MID
from spurwidgets.compute.mislabel import ZeroShotFilter, confident_mislabels, out_of_fold_proba


def _separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    x = (rng.normal(size=(n, 4)) + 3.0 * (2 * y[:, None] - 1) * np.array([1, 0, 0, 0])).astype(np.float32)
    return x, y


def test_confident_mislabels_finds_flipped_labels():
    x, y = _separable()
    noisy = y.copy()
    flipped = np.array([3, 50, 120, 151])
    noisy[flipped] = 1 - noisy[flipped]
    flagged = confident_mislabels(x, noisy, random_state=0, device="cpu")
    assert flagged.shape == (200,)
    assert set(flipped.tolist()) <= set(np.flatnonzero(flagged).tolist())
    assert flagged.sum() <= 8


def test_out_of_fold_proba_rows_sum_to_one():
    x, y = _separable()
    proba = out_of_fold_proba(x, y, n_folds=4, device="cpu")
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)


def test_mid_confident_filter_lists_mislabeled_window_samples():
    x, y = _separable()
    noisy = y.copy()
    noisy[[3, 170]] = 1 - noisy[[3, 170]]
    logits = x[:, :1] * 0.1
    mid = MID(quantile=0.5, random_state=0, mislabel_filter="confident", device="cpu").fit(x, logits, noisy)
    assert set(mid.mislabeled_.tolist()) <= set(mid.window_.tolist())
    assert (mid.window_clusters_[np.isin(mid.window_, mid.mislabeled_)] == -1).all()


def test_unknown_mislabel_filter_name_is_refused():
    x, y = _separable()
    with pytest.raises(ValueError, match="mislabel_filter must be None, 'confident' or a callable; got 'blip'"):
        MID(quantile=0.5, mislabel_filter="blip").fit(x, x[:, 0], y)


def test_zero_shot_filter_flags_disagreeing_labels(tiny_clip):
    model, processor = tiny_clip
    images = np.random.default_rng(0).integers(0, 256, (10, 20, 20, 3), dtype=np.uint8)
    zero_shot = ZeroShotFilter(model, processor, images, ["a zero", "a one"], threshold=0.5, device="cpu")
    proba = zero_shot.zero_shot_proba(np.arange(10))
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    labels = np.array([0, 1] * 5)
    mask = zero_shot(None, labels, np.arange(10))
    expected = proba[np.arange(10), 1 - labels] >= 0.5
    np.testing.assert_array_equal(mask, expected)
    assert mask.any() and not mask.all()


def test_zero_shot_filter_plugs_into_mid(tiny_clip):
    model, processor = tiny_clip
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (40, 20, 20, 3), dtype=np.uint8)
    y = np.repeat([0, 1], 20)
    x = (rng.normal(size=(40, 3)) + y[:, None]).astype(np.float32)
    zero_shot = ZeroShotFilter(model, processor, images, ["a zero", "a one"], device="cpu")
    mid = MID(quantile=0.5, n_clusters=1, random_state=0, mislabel_filter=zero_shot).fit(x, x[:, 0] - 0.5, y)
    flagged = zero_shot(x, y, mid.window_)
    np.testing.assert_array_equal(mid.mislabeled_, mid.window_[flagged])


def test_zero_shot_filter_refuses_a_model_without_image_features():
    with pytest.raises(TypeError, match="CLIP-like transformers model with get_image_features"):
        ZeroShotFilter(torch.nn.Linear(2, 2), None, np.zeros((2, 8, 8, 3), np.uint8), ["a", "b"])
