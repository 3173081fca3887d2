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
