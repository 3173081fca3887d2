"""MID at scale: k-means on a capped subsample of the window, `fit_window` for drags."""

from __future__ import annotations

import numpy as np
import pytest
from test_mid import shortcut

from spurwidgets.compute.mid import MID
from spurwidgets.compute.window_clusters import cluster_per_class


def _brute_force_nearest(x, centers):
    return ((x[:, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2).sum(2).argmin(1)


def test_capped_clustering_is_deterministic_and_gives_every_sample_its_nearest_centre():
    x, _, y, _ = shortcut(n=3000, seed=1)
    kept = np.arange(0, 3000, 2)  # 1500 samples, ~750 per class, clustered on 100 per class
    first = cluster_per_class(x, y, kept, 2, random_state=5, max_samples=100)
    again = cluster_per_class(x, y, kept, 2, random_state=5, max_samples=100)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    clusters, centers, classes = first
    assert classes.tolist() == [0, 0, 1, 1] and centers.shape == (4, 6)
    assert len(clusters) == len(kept) and set(clusters.tolist()) == {0, 1, 2, 3}  # every sample has a cluster
    for cls in (0, 1):
        members = y[kept] == cls
        ids = np.flatnonzero(classes == cls)
        assert np.isin(clusters[members], ids).all()  # clusters stay within the class
        nearest = ids[_brute_force_nearest(x[kept[members]], centers[ids])]
        np.testing.assert_array_equal(clusters[members], nearest)
        sizes = np.bincount(clusters[members], minlength=4)[ids]
        assert sizes[0] >= sizes[1]  # ids ordered by size, largest first


def test_capped_clustering_finds_the_same_groups_as_the_full_kmeans_on_separated_data():
    x, logits, y, groups = shortcut(n=4000, seed=2)
    full = MID(quantile=0.3, n_clusters=2, random_state=0, device="cpu", max_cluster_samples=None).fit(x, logits, y)
    capped = MID(quantile=0.3, n_clusters=2, random_state=0, device="cpu", max_cluster_samples=64).fit(x, logits, y)
    np.testing.assert_array_equal(capped.candidates_, full.candidates_)
    assert (np.bincount(full.labels_[full.candidates_]) > 64).all()  # the cap is really used
    # The same partition up to a few borderline samples (centres from 64 samples per class).
    agree = (capped.candidate_clusters_ == full.candidate_clusters_).mean()
    assert agree > 0.99
    np.testing.assert_array_equal(capped.minority_clusters_, full.minority_clusters_)
    flagged = np.isin(capped.candidate_clusters_, capped.minority_clusters_)
    assert (groups[capped.candidates_][flagged] % 2 != y[capped.candidates_][flagged]).mean() > 0.9  # minority


def test_fit_window_equals_a_fit_with_that_window_and_keeps_state_on_errors():
    x, logits, y, _ = shortcut(n=1500, seed=3)
    mid = MID(random_state=0, device="cpu", max_cluster_samples=50).fit(x, logits, y, propagate=False)
    window = (-1.0, 2.0)
    assert mid.fit_window(window) is mid
    reference = MID(window=window, random_state=0, device="cpu", max_cluster_samples=50).fit(x, logits, y)
    for name in ("window_", "candidates_", "candidate_clusters_", "cluster_centers_", "minority_clusters_"):
        np.testing.assert_array_equal(getattr(mid, name), getattr(reference, name))
    assert mid.window == window and mid.groups_ is None
    np.testing.assert_array_equal(mid.propagate(), reference.groups_)
    before = mid.window_.copy()
    with pytest.raises(ValueError, match=r"window \(40, 50\) selects no samples"):
        mid.fit_window((40.0, 50.0))
    assert mid.window == window
    np.testing.assert_array_equal(mid.window_, before)


def test_fit_window_before_fit_and_a_bad_cap_are_clear_errors():
    x, logits, y, _ = shortcut(n=300)
    with pytest.raises(Exception, match="not fitted"):
        MID().fit_window((-1.0, 1.0))
    with pytest.raises(ValueError, match="max_cluster_samples"):
        MID(max_cluster_samples=0, device="cpu").fit(x, logits, y)


def test_stable_subsample_keeps_most_rows_when_the_window_moves_a_little():
    from spurwidgets.compute.window_kmeans import stable_subsample

    a, b = np.arange(0, 10_000), np.arange(500, 10_500)  # 95 % of the rows shared
    first = stable_subsample(a, 1024, random_state=3)
    np.testing.assert_array_equal(first, stable_subsample(a, 1024, random_state=3))  # deterministic
    assert len(first) == 1024 and (np.diff(first) > 0).all()  # ascending positions, no repeats
    shared = np.intersect1d(a[first], b[stable_subsample(b, 1024, random_state=3)])
    assert len(shared) > 900  # a fresh random draw would share ~10 %
    other = np.intersect1d(a[first], a[stable_subsample(a, 1024, random_state=4)])
    assert len(other) < 300  # another random_state draws other rows


def test_warm_start_reuses_the_centres_only_for_an_overlapping_window():
    x, logits, y, _ = shortcut(n=4000, seed=4)
    mid = MID(quantile=0.3, random_state=0, device="cpu", max_cluster_samples=64).fit(x, logits, y, propagate=False)
    assert mid.warm_started_ is False
    window = (float(mid.margin_[mid.window_].min()), float(mid.margin_[mid.window_].max()))
    mid.fit_window(window)  # the same window as an explicit range
    centers, clusters, candidates = mid.cluster_centers_.copy(), mid.candidate_clusters_.copy(), mid.candidates_
    assert mid.fit_window(window, warm_start=True).warm_started_ is True
    np.testing.assert_array_equal(mid.cluster_centers_, centers)  # converged centres stay where they are
    np.testing.assert_array_equal(mid.candidate_clusters_, clusters)
    nudged = (window[0], window[1] + 0.05)
    mid.fit_window(nudged, warm_start=True)
    assert mid.warm_started_ is True
    shared, before = np.intersect1d(mid.candidates_, candidates, return_indices=True)[1:]
    table = np.zeros((len(centers), len(centers)), dtype=np.int64)
    np.add.at(table, (clusters[before], mid.candidate_clusters_[shared]), 1)
    assert table.max(1).sum() / table.sum() > 0.95  # kept their clusters (up to ids); a fresh fit here: 0.85
    far = (window[1] + 1.0, window[1] + 3.0)  # shares nothing with the previous window: a fresh fit
    mid.fit_window(far, warm_start=True)
    assert mid.warm_started_ is False
    reference = MID(window=far, random_state=0, device="cpu", max_cluster_samples=64).fit(x, logits, y)
    np.testing.assert_array_equal(mid.candidate_clusters_, reference.candidate_clusters_)


def test_reused_distances_and_cached_statistics_give_the_same_results():
    from spurwidgets.compute.window_clusters import errors_join_flagged, minority_scores

    x, logits, y, _ = shortcut(n=3000, seed=5)
    wrong = (logits[:, 0] > 0).astype(int) != y
    kept = np.union1d(np.flatnonzero(np.abs(logits[:, 0]) < 1.0), np.flatnonzero(wrong))
    distances: dict = {}
    clusters, centers, classes = cluster_per_class(x, y, kept, 3, 0, max_samples=100, distances=distances)
    assert sorted(distances) == [0, 1]
    members, dist = distances[1]
    assert dist.shape == (len(members), 3) and dist.dtype == np.float32
    np.testing.assert_array_equal(classes[dist.argmin(1) + 3], classes[clusters[members]])
    np.testing.assert_array_equal(dist.argmin(1) + 3, clusters[members])  # columns in cluster id order
    flagged = np.array([1, 4])
    with_cache = errors_join_flagged(x, y, wrong, kept, clusters, centers, classes, flagged, distances)
    without = errors_join_flagged(x, y, wrong, kept, clusters, centers, classes, flagged)
    np.testing.assert_array_equal(with_cache, without)
    assert (with_cache[wrong[kept]] == np.where(y[kept][wrong[kept]] == 0, 1, 4)).all()
    predicted = (logits[:, 0] > 0).astype(int)
    margin = logits[:, 0]
    window = np.flatnonzero(np.abs(margin) < 1.0)
    cache: dict = {}
    first = minority_scores(x, y, margin, window, predicted, centers, classes, cache)
    assert sorted(cache) == [("scale", 0), ("scale", 1)]
    np.testing.assert_array_equal(first, minority_scores(x, y, margin, window, predicted, centers, classes))
    np.testing.assert_array_equal(first, minority_scores(x, y, margin, window, predicted, centers, classes, cache))
