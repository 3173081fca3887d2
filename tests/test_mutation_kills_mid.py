"""MID's exact messages, enrichment when every sample is a minority one, and the window
clustering helpers by hand (mutation survivors in compute/mid.py and window_clusters.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute import window_clusters as wc
from spurwidgets.compute.mid import MID

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3)).astype(np.float32)
Y = np.repeat([0, 1], 30)
LOGITS = (X[:, 0] + (2 * Y - 1)).astype(np.float32)


def test_n_clusters_below_one_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"^n_clusters must be an integer >= 1; got 0$"):
        MID(n_clusters=0).fit(X, LOGITS, Y)


def test_a_bad_mislabel_mask_is_refused_with_the_full_message():
    mid = MID(quantile=0.5, mislabel_filter=lambda features, labels, window: np.zeros(2, dtype=bool))
    with pytest.raises(ValueError) as info:
        mid.fit(X, LOGITS, Y)
    assert str(info.value) == (
        "mislabel_filter must return a boolean mask of shape (30,) over the window; got shape (2,) and dtype bool"
    )


def test_enrichment_is_one_when_every_sample_is_minority_and_refuses_absent_groups():
    mid = MID(quantile=0.5, n_clusters=2, random_state=0).fit(X, LOGITS, Y)
    groups = np.repeat([0, 1, 2, 3], 15)
    assert mid.enrichment(groups, [0, 1, 2, 3]) == 1.0
    # window share / overall share, counted by hand
    in_window = np.isin(groups[mid.window_], [0]).mean()
    assert mid.enrichment(groups, 0) == pytest.approx(in_window / 0.25)
    with pytest.raises(ValueError, match=r"^minority names no group present in true_groups$"):
        mid.enrichment(groups, 7)


def test_nearest_center_by_hand_with_centres_of_different_norms():
    centres = np.array([[0.0, 0.0], [10.0, 0.0]])
    points = np.array([[4.0, 0.0], [6.0, 1.0], [-3.0, 5.0], [5.5, -2.0]])
    # squared distances: (16, 36), (37, 17), (34, 194), (34.25, 24.25)
    assert wc.nearest_center(points, np.arange(4), centres).tolist() == [0, 1, 0, 1]


def test_evenly_spaced_keeps_both_ends():
    rows = np.arange(100, 110)
    assert wc.evenly_spaced(rows, 4).tolist() == [100, 103, 106, 109]
    assert wc.evenly_spaced(rows, 10).tolist() == list(range(100, 110))


class _PredictsClassZero:
    def predict(self, features):
        return np.zeros(len(features), dtype=np.int64)


def test_report_counts_are_ints_and_bad_labels_are_named():
    groups = np.tile([0, 1], 30)
    table = MID().report(X, np.stack([-LOGITS, LOGITS], 1), Y, groups, head=_PredictsClassZero())
    assert table["n"].tolist() == [30, 30, 60, 60] and table["n"].dtype.kind == "i"
    bad = Y.copy()
    bad[0] = -1
    with pytest.raises(ValueError, match=r"^labels must be non-negative integers; got minimum -1$"):
        MID().report(X, np.stack([-LOGITS, LOGITS], 1), bad, groups, head=_PredictsClassZero())


def test_enrichment_names_true_groups_in_its_message():
    mid = MID()
    mid.window_, mid.labels_ = np.array([0]), np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match=r"^true_groups must be non-negative integers; got minimum -1$"):
        mid.enrichment(np.array([0, 1, -1, 0]), [1])
