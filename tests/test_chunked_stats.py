"""Chunked per-class statistics, SpuriosityRanker on memory-mapped features, copy-free validation."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets import SpuriosityRanker
from spurwidgets.compute.chunked_stats import class_moments
from spurwidgets.compute.validation import check_features


def _data(n=1000, d=12, k=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    # a large common offset makes a naive sum-of-squares variance lose digits
    features = (1e3 + rng.normal(size=(n, d)) * (1 + labels[:, None])).astype(np.float32)
    return features, labels


def _reference_moments(features, labels, k):
    mean = np.zeros((k, features.shape[1]))
    var = np.zeros((k, features.shape[1]))
    for c in range(k):
        members = features[labels == c].astype(np.float64)
        if len(members):
            mean[c], var[c] = members.mean(0), members.var(0)
    return np.bincount(labels, minlength=k), mean, var


@pytest.mark.parametrize("chunk_bytes", [8, 96 * 7, 1 << 24])  # one row per block, uneven blocks, one block
def test_class_moments_match_two_pass_reference(chunk_bytes):
    features, labels = _data()
    labels[labels == 2] = 1  # class 2 absent
    counts, mean, var = class_moments(features, labels, 5, chunk_bytes=chunk_bytes)
    ref_counts, ref_mean, ref_var = _reference_moments(features, labels, 5)
    np.testing.assert_array_equal(counts, ref_counts)
    assert counts[2] == 0 and counts[4] == 0
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(var, ref_var, rtol=1e-9, atol=1e-9)


def _brute_force_ranker(features, labels, weight, spurious, n_features, min_std=1e-6):
    """The original (full-copy) implementation, kept here as the reference."""
    k = weight.shape[0]
    mean, std = np.zeros((k, features.shape[1])), np.ones((k, features.shape[1]))
    for c in range(k):
        members = features[labels == c].astype(np.float64)
        if len(members):
            mean[c], std[c] = members.mean(0), np.maximum(members.std(0), min_std)
    importance = mean * weight
    top = {c: np.argsort(-importance[c], kind="stable")[:n_features] for c in range(k)}
    z = (features - mean[labels]) / std[labels]
    scores = np.zeros(len(features))
    for c, feats in spurious.items():
        rows = labels == c
        scores[rows] = z[np.ix_(rows, feats)].mean(1)
    return importance, top, std, scores


def test_ranker_matches_brute_force_reference_on_memmap(tmp_path):
    features, labels = _data(n=600, d=20, k=3, seed=1)
    features[:, 5] = 7.0  # a constant feature: std floored at min_std
    weight = np.random.default_rng(2).normal(size=(3, 20))
    stored = np.lib.format.open_memmap(tmp_path / "f.npy", mode="w+", dtype=np.float32, shape=features.shape)
    stored[:] = features
    stored.flush()
    mapped = np.load(tmp_path / "f.npy", mmap_mode="r")
    spurious = {0: [1, 5], 2: [3, 4, 19]}
    ranker = SpuriosityRanker(n_features=4).fit(mapped, labels, weight)
    importance, top, std, scores = _brute_force_ranker(features, labels, weight, spurious, 4)
    np.testing.assert_allclose(ranker.importance_, importance, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ranker.class_std_, std, rtol=1e-9)
    for c in range(3):
        assert ranker.top_features_[c].tolist() == top[c].tolist()
    got = ranker.score(mapped, labels, spurious=spurious)
    np.testing.assert_allclose(got, scores, rtol=1e-9, atol=1e-9)
    assert (got[labels == 1] == 0).all()


def test_check_features_does_not_copy_float32_or_memmaps(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert check_features(x) is x
    stored = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.float32, shape=(50, 3))
    stored[:] = 1.0
    stored.flush()
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    checked = check_features(mapped)
    assert np.shares_memory(checked, mapped)
    assert check_features(x.astype(np.float64)).dtype == np.float32  # other dtypes are still converted


def test_check_features_counts_every_bad_value_across_blocks():
    x = np.zeros((200_000, 30), dtype=np.float32)  # 24 MB: more than one 16 MB block
    x[3, 1], x[-1, -1], x[150_000, 0] = np.nan, np.inf, -np.inf
    with pytest.raises(ValueError, match="features contains 3 NaN or infinite values"):
        check_features(x)
    huge = np.full((4, 2), 3e38, dtype=np.float32)  # large but finite: must pass
    assert check_features(huge).shape == (4, 2)
