"""MID window bounds, quantile rounding and refit groups through the public API, plus
refit_head's sample_weight: tests that catch the mutation survivors of issue 15."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from spurwidgets import MID
from spurwidgets.compute.refit import refit_head


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    features = rng.normal(size=(n, 3)).astype(np.float32)
    features[:, 0] += np.where(labels == 1, 1.5, -1.5)
    return features, labels


def test_explicit_window_bounds_are_inclusive():
    features, labels = _data()
    logits = np.linspace(-2, 2, 40).astype(np.float32)  # exact float32 grid values, no ties
    lo, hi = float(logits[15]), float(logits[24])
    mid = MID(window=(lo, hi), n_clusters=1).fit(features, logits, labels)
    assert mid.window_.tolist() == list(range(15, 25))  # both end points included


def test_explicit_window_includes_every_tie_at_a_bound():
    features, labels = _data()
    logits = np.zeros(40, dtype=np.float32)
    logits[:10], logits[30:] = -1.0, 1.0
    mid = MID(window=(-1.0, 0.0), n_clusters=1).fit(features, logits, labels)
    assert mid.window_.tolist() == list(range(30))


@pytest.mark.parametrize(
    ("quantile", "size"),
    [(0.26, 10), (0.34, 14), (0.5, 20), (0.0125, 1), (0.001, 1), (1.0, 40)],  # round(q * 40), at least 1
)
def test_quantile_window_size_is_rounded_and_at_least_one(quantile, size):
    features, labels = _data()
    margin_order = np.random.default_rng(1).permutation(40)
    logits = np.empty(40, dtype=np.float32)
    logits[margin_order] = (np.arange(40) + 1) * np.where(np.arange(40) % 2, 1, -1) / 10  # distinct |margin|
    if size < 4:  # too few samples for two classes: MID refuses, which also shows the size
        with pytest.raises(ValueError, match=rf"\({size} samples\)"):
            MID(quantile=quantile, n_clusters=1).fit(features, logits, labels)
        return
    mid = MID(quantile=quantile, n_clusters=1).fit(features, logits, labels)
    assert len(mid.window_) == size
    assert sorted(mid.window_.tolist()) == sorted(np.argsort(np.abs(logits))[:size].tolist())


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    n = 200
    labels = np.arange(n) % 2
    features = rng.normal(size=(n, 4)).astype(np.float32)
    features[:, 0] += np.where(labels == 1, 2.0, -2.0)
    logits = (features[:, 0] + 0.3 * features[:, 1]).astype(np.float32)
    return MID(quantile=0.5, n_clusters=2, random_state=0, device="cpu").fit(features, logits, labels)


def test_chosen_clusters_of_one_class_form_one_group(fitted):
    groups = fitted.refit_groups([0, 1, 2, 3])
    assert fitted.cluster_classes_.tolist() == [0, 0, 1, 1]
    for c in range(4):
        assert (fitted.groups_ == c).any()
    # merged per class: class 0's clusters 0 and 1 -> group 2, class 1's clusters 2 and 3 -> group 3
    np.testing.assert_array_equal(groups, np.where(fitted.groups_ < 2, 2, 3))
    # one chosen cluster of class 1 only: it is the first minority group (id n_classes = 2)
    np.testing.assert_array_equal(fitted.refit_groups([3]), np.where(fitted.groups_ == 3, 2, fitted.labels_))


def test_unchosen_samples_keep_their_class_as_group(fitted):
    groups = fitted.refit_groups([1])
    chosen = fitted.groups_ == 1
    assert (groups[chosen] == 2).all()
    np.testing.assert_array_equal(groups[~chosen], fitted.labels_[~chosen])
    np.testing.assert_array_equal(fitted.refit_groups([]), fitted.labels_)


def test_refit_weighs_each_group_equally_like_sklearn_with_balanced_weights(fitted):
    groups = fitted.refit_groups([0, 3])
    head = fitted.refit([0, 3], C=0.5)
    counts = np.bincount(groups)
    weights = len(groups) / (len(counts[counts > 0]) * counts[groups])
    ref = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(fitted.features_, fitted.labels_, weights)
    np.testing.assert_allclose(head.coef_, ref.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, ref.intercept_, atol=2e-3)


def test_refit_head_sample_weight_is_used():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 3)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    w = rng.uniform(0.1, 3.0, size=120)
    head = refit_head(x, y, sample_weight=w, C=2.0, device="cpu")
    ref = LogisticRegression(C=2.0 * 120 / w.sum(), tol=1e-10, max_iter=10_000).fit(x, y, w)  # weights -> mean 1
    np.testing.assert_allclose(head.coef_, ref.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, ref.intercept_, atol=2e-3)
    unweighted = refit_head(x, y, C=2.0, device="cpu")
    assert np.abs(unweighted.coef_ - head.coef_).max() > 1e-2


def test_zero_sample_weight_drops_a_sample():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    x_extra = np.vstack([x, [[5.0, 5.0]]]).astype(np.float32)
    y_extra = np.append(y, 0)  # an outlier that would pull the boundary
    w = np.append(np.ones(60), 0.0)
    dropped = refit_head(x_extra, y_extra, sample_weight=w, C=1.0, device="cpu")
    without = refit_head(x, y, C=61 / 60, device="cpu")  # weights are normalised to mean 1 over 61 rows
    np.testing.assert_allclose(dropped.coef_, without.coef_, atol=1e-3)
    np.testing.assert_allclose(dropped.intercept_, without.intercept_, atol=1e-3)
