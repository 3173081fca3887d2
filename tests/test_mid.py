"""MID: exact windows and cluster ids on fixed seeds, minority discovery, refit, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spurwidgets import metrics
from spurwidgets.compute.mid import MID, margins
from spurwidgets.compute.refit import refit_head


def shortcut(n=400, d=6, minority=0.1, seed=0):
    """Gaussian features: dim 0 = core (weak), dim 1 = spurious (strong), the model leans on dim 1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    spur = np.where(rng.random(n) < minority, 1 - y, y)
    x = rng.normal(size=(n, d)).astype(np.float32)
    x[:, 0] += 1.0 * (2 * y - 1)
    x[:, 1] += 3.0 * (2 * spur - 1)
    logits = (0.5 * x[:, 0] + 1.5 * x[:, 1])[:, None].astype(np.float32)
    return x, logits, y, y * 2 + spur


@pytest.fixture(scope="module")
def fitted():
    x, logits, y, groups = shortcut()
    # n_clusters=2: the hand-worked values below (the default is 8)
    return MID(quantile=0.2, n_clusters=2, random_state=0, device="cpu").fit(x, logits, y), (x, logits, y, groups)


def test_quantile_window_is_the_smallest_abs_margins(fitted):
    mid, (x, logits, y, _) = fitted
    assert len(mid.window_) == 80
    expected = np.sort(np.argsort(np.abs(logits[:, 0]), kind="stable")[:80])
    np.testing.assert_array_equal(mid.window_, expected)
    assert mid.window_.dtype == np.int64
    assert mid.window_[:10].tolist() == [1, 2, 3, 7, 10, 16, 19, 22, 28, 34]


def test_clusters_are_per_class_with_unique_ids(fitted):
    mid, (x, logits, y, _) = fitted
    assert mid.cluster_classes_.tolist() == [0, 0, 1, 1]
    assert (mid.cluster_classes_[mid.window_clusters_] == y[mid.window_]).all()
    assert mid.window_clusters_[:10].tolist() == [2, 2, 0, 1, 2, 2, 2, 3, 2, 1]
    assert mid.cluster_sizes_.tolist() == [22, 18, 48, 15]  # window + misclassified samples
    assert mid.cluster_error_rates_.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert mid.warnings_ == []
    assert mid.minority_clusters_.tolist() == [1, 3]


def test_groups_propagate_within_class_and_agree_on_the_window(fitted):
    mid, (x, logits, y, _) = fitted
    assert mid.groups_.shape == (400,)
    assert (mid.cluster_classes_[mid.groups_] == y).all()
    np.testing.assert_array_equal(mid.groups_[mid.window_], mid.window_clusters_)


def test_flagged_cluster_of_class_0_is_exactly_its_true_minority(fitted):
    mid, (x, logits, y, groups) = fitted
    in_cluster_1 = mid.window_[mid.window_clusters_ == 1]
    assert set(groups[in_cluster_1].tolist()) == {1}  # class 0 with the class-1 shortcut
    assert mid.enrichment(groups, [1, 2]) > 1.4


def test_refit_raises_worst_group_accuracy_on_a_shortcut(fitted):
    mid, (x, logits, y, groups) = fitted
    xt, lt, yt, gt = shortcut(seed=1, minority=0.5)
    before = metrics.worst_group_accuracy(yt, (lt[:, 0] > 0).astype(int), gt)
    head = mid.refit()
    after = metrics.worst_group_accuracy(yt, head.predict(xt), gt)
    assert before == 0.0
    assert after > before + 0.3
    assert head.predict_proba(xt).shape == (400, 2)
    assert isinstance(head.to_torch(), torch.nn.Linear)
    assert mid.head_ is head


def test_refit_groups_follow_the_chosen_clusters(fitted):
    mid, (x, logits, y, _) = fitted
    groups = mid.refit_groups([3])
    np.testing.assert_array_equal(groups == 2, mid.groups_ == 3)
    np.testing.assert_array_equal(mid.refit_groups([]), y)
    with pytest.raises(
        ValueError, match=r"clusters must be cluster ids of window_clusters_ \(0..3\); got unknown ids \[7\]"
    ):
        mid.refit([7])


def test_explicit_window_selects_the_margin_range():
    x, logits, y, _ = shortcut()
    mid = MID(window=(-2.5, 2.0), random_state=0).fit(x, logits, y)
    expected = np.flatnonzero((logits[:, 0] >= -2.5) & (logits[:, 0] <= 2.0))
    np.testing.assert_array_equal(mid.window_, expected)


def test_margins_for_multi_logit_models():
    logits = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 4.0]], dtype=np.float32)
    np.testing.assert_allclose(margins(logits), [1.0, 4.0])  # top-1 minus top-2
    np.testing.assert_allclose(margins(logits, class_index=0), [-2.0, -4.0])
    np.testing.assert_allclose(margins(logits[:, :2]), [2.0, -1.0])  # two logits: logit 1 - logit 0


def test_multiclass_fit_with_class_index():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    x = (rng.normal(size=(120, 4)) + np.eye(3, 4)[y] * 2).astype(np.float32)
    logits = x[:, :3]
    mid = MID(window=(-1.0, 1.0), class_index=2, n_clusters=2, random_state=0).fit(x, logits, y)
    np.testing.assert_array_equal(mid.window_, np.flatnonzero(np.abs(margins(logits, 2)) <= 1.0))
    assert mid.cluster_classes_.tolist() == [0, 0, 1, 1, 2, 2]


def test_reading_before_fit_is_a_clear_error():
    with pytest.raises(RuntimeError, match="This MID is not fitted yet"):
        MID().refit()


@pytest.mark.parametrize(
    ("params", "change", "match"),
    [
        ({"window": (50.0, 60.0)}, None, r"window \(50, 60\) selects no samples"),
        ({"window": (8.0, 60.0)}, None, "the window holds samples of class 1 only"),
        ({}, "label", "labels holds class 2 but logits has 1 column"),
        ({}, "nan", "logits contains 1 NaN"),
        ({"quantile": 1.5}, None, r"quantile must be in \(0.0, 1.0\]; got 1.5"),
    ],
)
def test_bad_input_is_refused_and_state_is_kept(fitted, params, change, match):
    x, logits, y, _ = shortcut()
    mid = MID(quantile=0.2, n_clusters=2, random_state=0).fit(x, logits, y)
    window_before = mid.window_.copy()
    if change == "label":
        y = y.copy()
        y[0] = 2
    if change == "nan":
        logits = logits.copy()
        logits[5, 0] = np.nan
    mid.set_params(**params)
    with pytest.raises(ValueError, match=match):
        mid.fit(x, logits, y)
    np.testing.assert_array_equal(mid.window_, window_before)
    assert mid.minority_clusters_.tolist() == [1, 3]


def test_mislabel_filter_callable_removes_window_samples_from_clustering():
    x, logits, y, _ = shortcut()

    def flag_first_three(features, labels, window):
        mask = np.zeros(len(window), dtype=bool)
        mask[:3] = True
        return mask

    mid = MID(quantile=0.2, random_state=0, mislabel_filter=flag_first_three).fit(x, logits, y)
    assert mid.mislabeled_.tolist() == [1, 2, 3]
    assert mid.window_clusters_[:3].tolist() == [-1, -1, -1]
    assert (mid.window_clusters_[3:] >= 0).all()
    bad = MID(quantile=0.2, mislabel_filter=lambda features, labels, window: np.zeros(2, dtype=bool))
    with pytest.raises(ValueError, match=r"mislabel_filter must return a boolean mask of shape \(80,\)"):
        bad.fit(x, logits, y)


def test_oracle_refit_is_at_least_as_good_as_mid(fitted):
    mid, (x, logits, y, groups) = fitted
    xt, lt, yt, gt = shortcut(seed=1, minority=0.5)
    oracle = refit_head(x, y, groups=groups, device="cpu")
    assert (
        metrics.worst_group_accuracy(yt, oracle.predict(xt), gt)
        >= metrics.worst_group_accuracy(yt, mid.refit().predict(xt), gt) - 0.05
    )


def test_report_gives_before_after_per_group(fitted):
    mid, (x, logits, y, groups) = fitted
    xt, lt, yt, gt = shortcut(seed=1, minority=0.5)
    head = mid.refit()
    table = mid.report(xt, lt, yt, gt)
    assert list(table.columns) == ["n", "before", "after", "change"]
    assert list(table.index) == ["0", "1", "2", "3", "overall", "worst group"]
    after = head.predict(xt) == yt
    assert table.loc["1", "after"] == pytest.approx(after[gt == 1].mean())
    assert table.loc["worst group", "before"] == 0.0
    assert table.loc["worst group", "after"] == pytest.approx(metrics.worst_group_accuracy(yt, head.predict(xt), gt))
    assert table.loc["overall", "change"] == pytest.approx(after.mean() - ((lt[:, 0] > 0) == yt).mean())


# ---------------------------------------------------------------- hand-worked parts
from spurwidgets.compute import window_clusters as wc  # noqa: E402


def test_quantile_window_rounds_and_breaks_ties_by_index():
    logits = np.array([[0.5], [-0.5], [2.0], [0.1], [-3.0], [0.5]], dtype=np.float32)
    mid = MID(quantile=0.5)
    # round(0.5 * 6) = 3 samples: |0.1| then the tie |0.5| = |-0.5| = |0.5| broken by index
    np.testing.assert_array_equal(mid._select_window(logits[:, 0]), [0, 1, 3])
    mid.quantile = 0.25  # round(1.5) = 2 (banker's rounding) -> 2 samples
    np.testing.assert_array_equal(mid._select_window(logits[:, 0]), [0, 3])
    mid.quantile = 0.01  # at least one sample
    np.testing.assert_array_equal(mid._select_window(logits[:, 0]), [3])


def test_explicit_window_bounds_are_inclusive():
    margin = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 1.0001], dtype=np.float32)
    np.testing.assert_array_equal(MID(window=(-0.5, 1.0))._select_window(margin), [1, 2, 3, 4])


def test_error_rate_flags():
    wrong = np.array([True, True, False, True, False, False])
    members = np.array([0, 1, 2, 3, 4])  # sample 5 is no candidate
    clusters = np.array([0, 0, 1, 2, 2])
    rates = wc.error_rates(wrong, members, clusters, 4)
    np.testing.assert_allclose(rates[:3], [1.0, 0.0, 0.5])
    assert np.isnan(rates[3])  # empty cluster
    assert wc.flag_minority(rates).tolist() == [0, 2]  # >= 0.5 is flagged, NaN is not
    assert wc.flag_minority(rates, threshold=0.6).tolist() == [0]


def test_confident_majority_is_right_and_outside_the_window():
    labels = np.array([0, 0, 1, 1, 1])
    predicted = np.array([0, 1, 1, 1, 0])
    np.testing.assert_array_equal(wc.confident_majority(labels, np.array([2]), predicted), [1, 0, 0, 1, 0])


def test_propagation_groups_several_clusters_and_skips_excluded_ones():
    features = np.array([[0.0, 0], [0.9, 0], [5, 5], [4, 4], [0, 0.2], [10, 10]], dtype=np.float32)
    labels = np.array([0, 0, 0, 0, 1, 1])
    centers = np.array([[0, 0], [1, 0], [5, 5], [0, 0], [10, 10]], dtype=np.float32)
    classes = np.array([0, 0, 0, 1, 1])
    np.testing.assert_array_equal(wc.propagate_clusters(features, labels, centers, classes), [0, 1, 2, 2, 3, 4])
    # excluded (flagged) clusters take no propagated samples; chunking changes nothing
    got = wc.propagate_clusters(features, labels, centers, classes, chunk=1, exclude=[2, 4])
    np.testing.assert_array_equal(got, [0, 1, 1, 1, 3, 3])
    # a class whose every cluster is excluded still propagates (to its own clusters)
    got = wc.propagate_clusters(features, labels, centers, classes, exclude=[3, 4])
    np.testing.assert_array_equal(got[4:], [3, 4])


def test_size_warning_for_a_flagged_cluster_larger_than_the_confident_majority():
    groups = np.array([0, 1, 1, 1, 2, 3])
    classes = np.array([0, 0, 1, 1])
    messages = wc.size_warnings(groups, None, {0: 2, 1: 5}, np.array([1, 3]), classes)
    assert messages == [
        "cluster 1 (class 0) is flagged as a minority but holds 3 samples, more than the class's confident "
        "majority (2); it is probably a majority group: check it in the gallery before refitting"
    ]


def test_misclassified_samples_join_the_candidates_and_keep_their_cluster():
    x, logits, y, _ = shortcut()
    mid = MID(quantile=0.2, random_state=0).fit(x, logits, y)
    wrong = np.flatnonzero(((logits[:, 0] > 0).astype(int)) != y)
    assert set(wrong) <= set(mid.candidates_) and set(mid.window_) <= set(mid.candidates_)
    np.testing.assert_array_equal(mid.groups_[mid.candidates_], mid.candidate_clusters_)
    plain = MID(quantile=0.2, random_state=0, add_errors=False).fit(x, logits, y)
    np.testing.assert_array_equal(plain.candidates_, plain.window_)


def test_misclassified_candidates_join_the_nearest_flagged_cluster_of_their_class():
    features = np.array([[0, 0], [1, 0], [5, 5], [6, 5], [0, 9], [10, 10]], dtype=np.float32)
    labels = np.array([0, 0, 0, 0, 1, 1])
    wrong = np.array([False, True, True, False, True, False])
    candidates = np.array([0, 1, 2, 3, 4])  # sample 5 is no candidate
    clusters = np.array([0, 0, 2, 2, 3])
    centers = np.array([[0, 0], [9, 9], [5, 5], [0, 9]], dtype=np.float32)
    classes = np.array([0, 0, 0, 1])
    # one flagged cluster of class 0: both wrong class-0 candidates move there; class 1 has
    # no flagged cluster, so its wrong candidate keeps its cluster; right ones never move
    got = wc.errors_join_flagged(features, labels, wrong, candidates, clusters, centers, classes, [1])
    np.testing.assert_array_equal(got, [0, 1, 1, 2, 3])
    # two flagged clusters: the nearest one ([1, 0] is 41 from [5, 5], 145 from [9, 9]);
    # a wrong sample already in a flagged cluster stays
    got = wc.errors_join_flagged(features, labels, wrong, candidates, clusters, centers, classes, [1, 2])
    np.testing.assert_array_equal(got, [0, 2, 2, 2, 3])
    np.testing.assert_array_equal(clusters, [0, 0, 2, 2, 3])  # the input is not modified


def test_default_mid_puts_every_error_of_a_flagged_class_in_a_flagged_cluster():
    x, logits, y, groups = shortcut(n=600, minority=0.15, seed=3)
    mid = MID(random_state=0, device="cpu").fit(x, logits, y)
    assert mid.n_clusters == 8 and len(mid.cluster_classes_) == 16
    wrong = ((logits[:, 0] > 0).astype(int) != y)[mid.candidates_]
    flagged = np.isin(mid.candidate_clusters_, mid.minority_clusters_)
    has_flag = np.isin(y[mid.candidates_], mid.cluster_classes_[mid.minority_clusters_])
    assert has_flag.all()
    assert (flagged | ~wrong).all()  # no misclassified candidate left in an unflagged cluster
    np.testing.assert_array_equal(np.isin(np.arange(16), mid.minority_clusters_), mid.cluster_error_rates_ >= 0.5)
    # refit groups: per class, one minority group = its flagged clusters, merged
    refit_groups = mid.refit_groups()
    assert sorted(np.unique(refit_groups).tolist()) == [0, 1, 2, 3]
    np.testing.assert_array_equal(refit_groups >= 2, np.isin(mid.groups_, mid.minority_clusters_))


def test_a_class_with_fewer_candidates_than_n_clusters_gets_one_cluster_per_candidate():
    x, logits, y, _ = shortcut()
    mid = MID(quantile=0.02, n_clusters=3, add_errors=False, random_state=0).fit(x, logits, y)
    counts = np.bincount(y[mid.window_], minlength=2)
    assert counts.tolist() == [2, 6]
    assert mid.cluster_classes_.tolist() == [0, 0, 1, 1, 1]
    assert sorted(mid.window_clusters_[y[mid.window_] == 0].tolist()) == [0, 1]
