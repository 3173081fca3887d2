"""MID's confident-majority reference: the centroid behind `cluster_scores_` and the count
behind `warnings_` use only the class's correctly predicted samples outside the window (and,
for the centroid, their more confident half). Using every sample of the class, or the
window, instead must fail here."""

from __future__ import annotations

import numpy as np
import pytest
from test_mid import shortcut

from spurwidgets.compute import window_clusters as wc
from spurwidgets.compute.mid import MID
from spurwidgets.compute.predictions import predicted_classes


def test_minority_scores_measure_from_the_confident_half_of_the_right_samples_outside_the_window():
    # class 0: samples 0-5; window = {0, 1}; sample 2 is predicted wrong (class 1), so the
    # right samples outside the window are 3, 4, 5 with |margin| 1, 2, 3: median 2 keeps 4, 5.
    features = np.array([[10.0], [20], [30], [0], [4], [8], [1], [2], [3], [5]])
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    margin = np.array([0.1, -0.1, 0.5, -1.0, -2.0, -3.0, 0.2, 3.0, 2.0, 1.0])
    window = np.array([0, 1, 6])
    # logits column 1 - column 0 = margin: predicted 1 where margin > 0
    logits = np.stack([np.zeros(10), margin], axis=1)
    centers = np.array([[6.0], [18.0], [3.0]])
    classes = np.array([0, 0, 1])
    scores = wc.minority_scores(features, labels, margin, window, predicted_classes(logits), centers, classes)
    std0 = np.std([10.0, 20, 30, 0, 4, 8]) + 1e-6  # hand: sqrt(616 / 6) = 10.1325...
    assert std0 == pytest.approx(np.sqrt(616 / 6), abs=2e-6)
    # reference of class 0 = mean(4, 8) = 6: cluster 0 sits on it, cluster 1 is 12 away
    np.testing.assert_allclose(scores[:2], [0.0, 12.0 / std0], rtol=1e-12, atol=1e-12)
    # class 1: right and outside the window are 7, 8, 9 (|margin| 3, 2, 1): keeps 7, 8 -> mean 2.5
    # (all of class 1 would give 2.75, the window 1, every right sample 2.75 as well)
    std1 = np.std([1.0, 2, 3, 5]) + 1e-6
    np.testing.assert_allclose(scores[2], 0.5 / std1, rtol=1e-12)


def test_minority_scores_fall_back_to_the_whole_class_when_under_two_samples_are_confident():
    features = np.array([[0.0], [2], [4], [100]])
    labels = np.array([0, 0, 0, 1])
    margin = np.array([-0.5, 1.0, -3.0, 5.0])  # sample 1 wrong, sample 0 in the window
    logits = np.stack([np.zeros(4), margin], axis=1)
    scores = wc.minority_scores(
        features, labels, margin, np.array([0]), predicted_classes(logits), np.array([[0.0]]), np.array([0])
    )
    # only sample 2 is confident (< 2): the reference is the whole class's upper |margin| half,
    # |margin| 0.5, 1, 3 -> median 1 keeps samples 1, 2 -> mean 3
    std = np.std([0.0, 2, 4]) + 1e-6
    np.testing.assert_allclose(scores, [3.0 / std], rtol=1e-12)


@pytest.fixture(scope="module")
def strong_shortcut():
    # a 45 % "minority": the flagged clusters outnumber the right samples outside the window
    x, logits, y, _ = shortcut(n=200, minority=0.45, seed=1)
    return MID(quantile=0.4, n_clusters=2, random_state=0, device="cpu").fit(x, logits, y), (x, logits, y)


def _confident_counts(mid, logits, y):
    outside = np.ones(len(y), dtype=bool)
    outside[mid.window_] = False
    right = (logits[:, 0] > 0).astype(int) == y
    return {c: int((outside & right & (y == c)).sum()) for c in (0, 1)}


def test_size_warnings_compare_flagged_clusters_with_the_confident_majority_count(strong_shortcut):
    mid, (x, logits, y) = strong_shortcut
    counts = _confident_counts(mid, logits, y)
    assert counts == {0: 39, 1: 35}
    assert mid.minority_clusters_.tolist() == [0, 2]
    assert mid.cluster_sizes_.tolist() == [46, 11, 52, 17]
    assert mid.warnings_ == [
        f"cluster {c} (class {cls}) is flagged as a minority but holds {size} samples, more than the class's "
        f"confident majority ({counts[cls]}); it is probably a majority group: check it in the gallery before "
        "refitting"
        for c, cls, size in [(0, 0, 46), (2, 1, 52)]
    ]
    # every sample of the class as the reference would hide both warnings (another reference
    # count changes the number in the message)
    assert (y == 0).sum() > 46 and (y == 1).sum() > 52


def test_cluster_scores_match_a_brute_force_confident_majority_reference(strong_shortcut):
    mid, (x, logits, y) = strong_shortcut
    margin = logits[:, 0]
    in_window = np.isin(np.arange(len(y)), mid.window_)
    right = (margin > 0).astype(int) == y
    expected, other_refs = [], []
    for c, cls in enumerate(mid.cluster_classes_):
        idx = [i for i in range(len(y)) if y[i] == cls and not in_window[i] and right[i]]
        strengths = sorted(abs(float(margin[i])) for i in idx)
        m = len(strengths)
        median = (strengths[(m - 1) // 2] + strengths[m // 2]) / 2
        half = [i for i in idx if abs(float(margin[i])) >= median]
        reference = x[half].astype(np.float64).mean(0)
        scale = x[y == cls].std(0) + 1e-6
        expected.append(np.sqrt((((mid.cluster_centers_[c] - reference) / scale) ** 2).sum()))
        # the references a mutant would use: the whole class, its window samples
        for alt in (x[y == cls].mean(0), x[in_window & (y == cls)].mean(0)):
            other_refs.append(abs(np.linalg.norm((mid.cluster_centers_[c] - alt) / scale) - expected[-1]))
    np.testing.assert_allclose(mid.cluster_scores_, expected, rtol=1e-5)
    assert min(other_refs) > 0.02  # far above rtol 1e-5: this data tells the references apart
