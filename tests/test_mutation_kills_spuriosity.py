"""SpuriosityRanker: extreme_images' default k by brute force and exact messages (mutation
survivors in compute/spuriosity.py)."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from spurwidgets import SpuriosityRanker
from spurwidgets.compute.spuriosity import fit_linear_head

RNG = np.random.default_rng(0)
FEATURES = RNG.random((20, 3)).astype(np.float32)
LABELS = np.repeat([0, 1], 10)


def test_extreme_images_default_to_the_five_most_and_least_activating():
    ranker = SpuriosityRanker(n_features=1).fit(FEATURES, LABELS, np.ones((2, 3), dtype=np.float32))
    top, bottom = ranker.extreme_images(FEATURES, LABELS, 1, 2)
    members = np.arange(10, 20)
    by_value = members[np.argsort(FEATURES[members, 2])]  # brute force: sort the class's values
    assert sorted(top.tolist()) == sorted(by_value[-5:].tolist())
    assert sorted(bottom.tolist()) == sorted(by_value[:5].tolist())


def test_bad_labels_in_extreme_images_are_named():
    ranker = SpuriosityRanker(n_features=1).fit(FEATURES, LABELS, np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"^labels must be non-negative integers; got minimum -1$"):
        ranker.extreme_images(FEATURES, np.r_[LABELS[:-1], -1], 1, 2)


def test_a_model_without_linear_head_is_refused_with_the_full_message():
    with pytest.raises(ValueError) as info:
        SpuriosityRanker().fit(FEATURES, LABELS, nn.Sequential(nn.ReLU()))
    assert str(info.value) == (
        "head_weight is a Sequential without an nn.Linear head; expected a (C, D) "
        "weight, an nn.Linear or a model whose head extract() finds"
    )


def test_a_one_d_head_weight_is_named():
    with pytest.raises(ValueError, match=r"^head_weight must be a 2-D array \(N, D\); got "):
        SpuriosityRanker().fit(FEATURES, LABELS, np.ones(3, dtype=np.float32))


def test_fit_linear_head_warns_with_the_full_deprecation_message():
    with pytest.warns(DeprecationWarning) as record:
        fit_linear_head(FEATURES, LABELS, device="cpu")
    assert str(record[0].message) == (
        "fit_linear_head is deprecated; use refit_head(features, labels, C=...) (a LinearHead; "
        ".to_torch() gives the nn.Linear)"
    )


def test_min_std_zero_is_refused_naming_min_std():
    with pytest.raises(ValueError, match=r"^min_std must satisfy min_std > 0; got 0$"):
        SpuriosityRanker(min_std=0).fit(FEATURES, LABELS, np.ones((2, 3), dtype=np.float32))


def test_fit_linear_head_with_its_defaults_warns_at_the_callers_line():
    with pytest.warns(DeprecationWarning, match=r"^fit_linear_head is deprecated") as record:
        head = fit_linear_head(FEATURES, LABELS)  # device="auto" by default
    assert record[0].filename == __file__
    assert isinstance(head, nn.Linear) and head.weight.shape == (2, 3)
