"""MID.refit's helpers by hand: reading `clusters` (marked dicts, sets, bad ids) and widening a
two-class head to every model class (mutation survivors in compute/mid_heads.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.linear_head import LinearHead
from spurwidgets.compute.mid_heads import MISSING_CLASS_LOGIT, cluster_ids, one_output_per_class


def test_marked_dicts_give_their_minority_ids_and_sets_are_sorted():
    assert cluster_ids({3: "minority", 1: "majority", 0: "minority"}, 5).tolist() == [3, 0]
    assert cluster_ids({4, 0, 2}, 5).tolist() == [0, 2, 4]
    assert cluster_ids(np.int64(2), 5).tolist() == [2]


@pytest.mark.parametrize(
    ("clusters", "error", "message"),
    [
        ("3", TypeError, r"^clusters must be cluster ids \(integers\); got the string '3'$"),
        ([1, 2.5], TypeError, r"^clusters must be cluster ids \(integers\) of window_clusters_; got 2\.5$"),
        (
            [1, 7, 5],
            ValueError,
            r"^clusters must be cluster ids of window_clusters_ \(0\.\.4\); got unknown ids \[5, 7\]$",
        ),
    ],
)
def test_bad_clusters_are_named(clusters, error, message):
    with pytest.raises(error, match=message):
        cluster_ids(clusters, 5)


def test_a_two_class_head_becomes_the_equivalent_pair_plus_a_missing_class():
    s = np.array([[2.0, -4.0]], dtype=np.float32)
    head = LinearHead(s, np.array([6.0], dtype=np.float32), np.array([0, 2]))
    wide = one_output_per_class(head, 3)
    # one logit z for class 2 vs class 0 -> logits (-z/2, missing, z/2)
    assert wide.classes_.tolist() == [0, 1, 2]
    assert wide.coef_.tolist() == [[-1.0, 2.0], [0.0, 0.0], [1.0, -2.0]]
    assert wide.intercept_.tolist() == [-3.0, MISSING_CLASS_LOGIT, 3.0]
    # z = 2 x0 - 4 x1 + 6: (1, 1) -> 4 > 0: class 2; (1, 3) -> -4 < 0: class 0
    assert wide.predict(np.array([[1.0, 1.0], [1.0, 3.0]], dtype=np.float32)).tolist() == [2, 0]


def test_a_head_over_every_class_is_returned_as_it_is():
    head = LinearHead(np.zeros((3, 2), np.float32), np.zeros(3, np.float32), np.arange(3))
    assert one_output_per_class(head, 3) is head
