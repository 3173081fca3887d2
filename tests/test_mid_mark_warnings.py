"""Marks get a sanity rule: `MID.refit` warns (`refit_warnings_`) when a class's merged
chosen group is made mostly of the class's confident majority (`confident_`: right, outside
the window), and MIDExplorer shows that warning after a Refit. Hand-worked data: every count below follows
from the layout in `_marked_data`."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.mid import MID
from spurwidgets.compute.mid_refit import chosen_group_warnings
from spurwidgets.compute.refit import refit_head
from spurwidgets.widgets.mid_explorer import MIDExplorer
from spurwidgets.widgets.mid_explorer_data import refit_warnings

WINDOW = (-0.5, 0.5)


def _marked_data():
    """31 samples, one logit, 2-D features at four spots.

    class 0: 10 right and confident (logit -3) at (0, 0); 4 right in the window (-0.2) at
        (0, 1); 3 wrong (+2, the error set) at (10, 10).
    class 1: 10 right and confident (+3) at (20, 0); 3 in the window (+0.2) at (20, 1) and
        1 at (20, 6).
    With 2 clusters per class: cluster 0 = class 0's window spot (4), cluster 1 = its error
    spot (3, all wrong: flagged), cluster 2 = class 1's spot (20, 1) (3), cluster 3 = (20, 6)
    (1). Propagation: class 0's confident samples join cluster 0 (the unflagged one), class
    1's join cluster 2 (nearest): member counts 14, 3, 13, 1, of which 10, 0, 10, 0 confident.
    """
    spots = [((0, 0), 0, -3.0, 10), ((0, 1), 0, -0.2, 4), ((10, 10), 0, 2.0, 3)]
    spots += [((20, 0), 1, 3.0, 10), ((20, 1), 1, 0.2, 3), ((20, 6), 1, 0.2, 1)]
    features = np.concatenate([np.tile(np.float32(xy), (n, 1)) for xy, _, _, n in spots])
    labels = np.concatenate([np.full(n, label) for _, label, _, n in spots])
    logits = np.concatenate([np.full(n, logit, dtype=np.float32) for _, _, logit, n in spots])
    groups = np.concatenate([np.full(n, g) for g, (_, _, _, n) in enumerate(spots)])  # one per spot
    return features, logits, labels, groups


def _message(cls, ids, size, from_majority):
    return (
        f"the minority group of class {cls} (cluster(s) {ids}) holds {size} samples, {from_majority} of them "
        "from the class's confident majority (right, outside the window); it is probably mostly majority and "
        "can undo the refit: check the marks in the gallery"
    )


@pytest.fixture(scope="module")
def mid():
    features, logits, labels, _ = _marked_data()
    return MID(window=WINDOW, n_clusters=2, device="cpu").fit(features, logits, labels)


def test_the_hand_worked_layout(mid):
    assert mid.cluster_classes_.tolist() == [0, 0, 1, 1]
    assert mid.cluster_sizes_.tolist() == [4, 3, 3, 1]
    assert mid.minority_clusters_.tolist() == [1]
    assert np.bincount(mid.propagate()).tolist() == [14, 3, 13, 1]
    assert mid.confident_counts_ == {0: 10, 1: 10}
    assert np.flatnonzero(mid.confident_).tolist() == list(range(10)) + list(range(17, 27))
    assert mid.warnings_ == []  # the flagged cluster (3) is well under class 0's confident majority


def test_marking_a_majority_cluster_warns_and_a_minority_one_does_not(mid):
    mid.refit([0])
    assert mid.refit_warnings_ == [_message(0, "0", 14, 10)]
    mid.refit([1])
    assert mid.refit_warnings_ == []
    mid.refit()  # MID's own flag (cluster 1)
    assert mid.refit_warnings_ == []
    mid.refit({1: "minority", 3: "minority"})  # 3 and 1 members, none confident
    assert mid.refit_warnings_ == []


def test_the_rule_applies_to_each_class_s_merged_group(mid):
    # class 0: clusters 0 and 1 merge into 14 + 3 = 17 (10 confident); class 1: cluster 2, 13 (10)
    mid.refit({0: "minority", 1: "minority", 2: "minority", 3: "majority"})
    assert mid.refit_warnings_ == [_message(0, "0, 1", 17, 10), _message(1, "2", 13, 10)]


def test_the_warning_changes_nothing_in_the_refit(mid):
    head = mid.refit([0])
    reference = refit_head(mid.features_, mid.labels_, groups=mid.refit_groups([0]), C=mid.C, device="cpu")
    np.testing.assert_array_equal(head.coef_, reference.coef_)
    np.testing.assert_array_equal(head.intercept_, reference.intercept_)


def test_a_group_half_from_the_confident_majority_is_not_warned_about():
    # groups as refit_groups returns them with n_classes = 2: group 2 = class 0's chosen
    # cluster 1 (3 members, 2 confident), group 3 = class 1's chosen cluster 3 (4 members, 2 confident)
    groups = np.array([0, 2, 2, 2, 1, 3, 3, 3, 3])
    confident = np.array([1, 1, 1, 0, 1, 1, 1, 0, 0], dtype=bool)
    classes = np.array([0, 0, 1, 1])
    got = chosen_group_warnings(groups, np.array([1, 3]), classes, 2, confident)
    assert got == [_message(0, "1", 3, 2)]  # 2 of 3 warns; 2 of 4 (exactly half) does not


def test_explorer_shows_the_mark_warning_after_a_refit():
    features, logits, labels, groups = _marked_data()
    images = np.zeros((len(labels), 4, 4, 3), dtype=np.uint8)
    explorer = MIDExplorer(features, images, labels, groups, logits=logits, n_clusters=2, device="cpu")
    explorer.window = WINDOW
    assert explorer.marked == {1: "minority"} and explorer.warnings == []
    explorer.marked = {0: "minority"}  # a majority-sized mark in the gallery
    explorer.refit_clicks += 1  # what the button does
    assert explorer.warnings == [_message(0, "0", 14, 10), *refit_warnings(explorer.table)]
    explorer.marked = {1: "minority"}
    explorer.refit_clicks += 1
    assert explorer.warnings == refit_warnings(explorer.table)
    assert _message(0, "0", 14, 10) not in explorer.warnings
