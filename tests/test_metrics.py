import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from spurwidgets import metrics


def test_group_accuracy_hand_made():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0, 1, 1, 1, 0])
    g = np.array([0, 0, 1, 1, 2])
    assert metrics.group_accuracy(y, p, g) == {0: 0.5, 1: 1.0, 2: 0.0}
    assert metrics.worst_group_accuracy(y, p, g) == 0.0


def test_report_marks_the_worst_group():
    table = metrics.report([0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1], group_names=["a", "b"])
    assert table.loc["a", "accuracy"] == 0.5 and bool(table.loc["a", "worst"])
    assert table.loc["overall", "n"] == 4 and table.loc["overall", "accuracy"] == 0.75


def test_spurious_gap_hand_made():
    correct = np.array([1, 1, 0, 0, 1, 0])
    spuriosity = np.array([3.0, 2.0, 1.0, 0.0, 5.0, -1.0])
    labels = np.array([0, 0, 0, 0, 1, 1])
    assert metrics.spurious_gap(correct, spuriosity, labels, k=2) == {0: 1.0, 1: 0.0}
    assert metrics.spurious_gap(correct, -spuriosity, labels, k=1) == {0: -1.0, 1: -1.0}


def test_spurious_gap_k_too_large():
    with pytest.raises(ValueError, match="k=3 is larger than the 2 items of class 0"):
        metrics.spurious_gap([1, 1, 0, 1], [0.0, 1.0, 2.0, 3.0], [0, 0, 1, 1], k=3)


def test_average_cluster_probability_hand_made():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    assert metrics.average_cluster_probability(probs, [0, 0, 1, 1], [0, 1]) == pytest.approx(0.825)
    assert metrics.average_cluster_probability(probs, [0, 0, 1, 1], [1, 0]) == pytest.approx(0.175)


def test_metrics_refuse_mismatched_lengths():
    with pytest.raises(ValueError, match="length mismatch: y_true has 3, y_pred has 2, groups has 3"):
        metrics.group_accuracy([0, 1, 1], [0, 1], [0, 0, 1])
    with pytest.raises(ValueError, match="cluster_classes holds class 5 but only 2 classes exist"):
        metrics.average_cluster_probability(np.ones((2, 2)) / 2, [0, 1], [0, 5])


labels_st = arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 3))


@given(labels_st, st.data())
def test_worst_group_is_min_of_groups_and_bounded(y, data):
    p = data.draw(arrays(np.int64, len(y), elements=st.integers(0, 3)))
    g = data.draw(arrays(np.int64, len(y), elements=st.integers(0, 4)))
    accuracy = metrics.group_accuracy(y, p, g)
    assert set(accuracy) == set(np.unique(g).tolist())
    assert all(0.0 <= a <= 1.0 for a in accuracy.values())
    assert metrics.worst_group_accuracy(y, p, g) == min(accuracy.values())
    # Overall accuracy is a weighted mean of the group accuracies.
    weights = np.array([(g == k).sum() for k in accuracy])
    assert np.isclose((np.array(list(accuracy.values())) * weights).sum() / len(y), (y == p).mean())


@given(st.integers(2, 40), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_average_cluster_probability_is_a_probability(n, n_clusters, seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(3), size=n)
    clusters = rng.integers(0, n_clusters, size=n)
    value = metrics.average_cluster_probability(probs, clusters, rng.integers(0, 3, size=n_clusters))
    assert 0.0 <= value <= 1.0


def test_average_cluster_probability_averages_over_clusters_not_items():
    # cluster 0: three items of class 0 with p = 1.0, 1.0, 0.7 -> mean 0.9
    # cluster 1: one item of class 1 with p = 0.3               -> mean 0.3
    # over clusters: (0.9 + 0.3) / 2 = 0.6; over items it would be (1 + 1 + 0.7 + 0.3) / 4 = 0.75
    probs = np.array([[1.0, 0.0], [1.0, 0.0], [0.7, 0.3], [0.7, 0.3]])
    assert metrics.average_cluster_probability(probs, [0, 0, 0, 1], [0, 1]) == pytest.approx(0.6)


def test_average_cluster_probability_skips_empty_clusters():
    probs = np.array([[0.2, 0.8], [0.4, 0.6]])
    # cluster 1 (class 0) is empty and must not count as 0: mean over cluster 0 and 2 only
    assert metrics.average_cluster_probability(probs, [0, 2], [1, 0, 0]) == pytest.approx((0.8 + 0.4) / 2)


def test_average_cluster_probability_needs_a_class_per_cluster():
    with pytest.raises(ValueError, match="cluster_classes has 1 entries but cluster_labels go up to 1"):
        metrics.average_cluster_probability(np.eye(2), [0, 1], [0])
    with pytest.raises(ValueError, match="probs must be probabilities"):
        metrics.average_cluster_probability(-np.eye(2), [0, 1], [0, 1])


def test_report_counts_rows_names_groups_and_marks_only_the_worst():
    table = metrics.report([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2], [0, 0, 1, 1, 1, 2], group_names=["a", "b"])
    assert table.index.tolist() == ["a", "b", "2", "overall"]  # unnamed group 2 keeps its number
    assert table["n"].tolist() == [2, 3, 1, 6]
    assert table["accuracy"].tolist() == pytest.approx([0.5, 2 / 3, 1.0, 4 / 6])
    assert table["worst"].tolist() == [True, False, False, False]


def test_group_accuracy_brute_force_against_a_loop():
    rng = np.random.default_rng(1)
    y, p, g = rng.integers(0, 3, 50), rng.integers(0, 3, 50), rng.integers(0, 4, 50)
    expected = {}
    for group in sorted(set(g.tolist())):
        members = [i for i in range(50) if g[i] == group]
        expected[group] = sum(y[i] == p[i] for i in members) / len(members)
    assert metrics.group_accuracy(y, p, g) == pytest.approx(expected)


def test_spurious_gap_uses_exactly_k_items_at_each_end():
    # class 0 sorted by spuriosity: correct = [0, 1, 1, 1, 0, 1] (lowest first)
    correct = np.array([0, 1, 1, 1, 0, 1])
    spuriosity = np.arange(6.0)
    labels = np.zeros(6, dtype=int)
    assert metrics.spurious_gap(correct, spuriosity, labels, k=1) == {0: 1.0}
    assert metrics.spurious_gap(correct, spuriosity, labels, k=2) == {0: pytest.approx(0.5 - 0.5)}
    assert metrics.spurious_gap(correct, spuriosity, labels, k=3) == {0: pytest.approx(2 / 3 - 2 / 3)}
    assert metrics.spurious_gap(correct, spuriosity, labels, k=6) == {0: 0.0}
    assert metrics.spurious_gap(correct[::-1].copy(), spuriosity, labels, k=1) == {0: -1.0}


def test_ranked_within_class_orders_each_class_by_spuriosity_stably():
    correct, ranked = metrics.ranked_within_class(
        [1, 0, 1, 0, 1], [2.0, 1.0, 1.0, 5.0, 0.0], [0, 0, 0, 1, 1], minimum=2, name="k"
    )
    assert correct.dtype == bool and correct.tolist() == [True, False, True, False, True]
    assert ranked[0].tolist() == [1, 2, 0] and ranked[1].tolist() == [4, 3]
    with pytest.raises(ValueError, match="n=3 is larger than the 2 items of class 1; pass a smaller n"):
        metrics.ranked_within_class([1, 0, 1, 0, 1], [0.0] * 5, [0, 0, 0, 1, 1], minimum=3, name="n")


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: metrics.group_accuracy([0.5, 1], [0, 1], [0, 1]), "y_true"),
        (lambda: metrics.group_accuracy([0, 1], [0.5, 1], [0, 1]), "y_pred"),
        (lambda: metrics.group_accuracy([0, 1], [0, 1], [0.5, 1]), "groups"),
        (lambda: metrics.spurious_gap(["a", "b"], [0.0, 1.0], [0, 0], k=1), "correct"),
        (lambda: metrics.spurious_gap([1, 0], [0.0, np.nan], [0, 0], k=1), "spuriosity"),
        (lambda: metrics.spurious_gap([1, 0], [0.0, 1.0], [0, -1], k=1), "labels"),
        (lambda: metrics.spurious_gap([1, 0], [0.0, 1.0], [0, 0], k=0), "k"),
        (lambda: metrics.average_cluster_probability([[np.nan, 1.0]], [0], [0]), "probs"),
        (lambda: metrics.average_cluster_probability([[0.0, 1.0]], [0.5], [0]), "cluster_labels"),
    ],
)
def test_every_metric_argument_is_named_in_its_error(call, name):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert str(info.value).startswith(name + " ") or f"{name}=" in str(info.value)


def test_group_ids_may_be_large_since_they_are_only_compared():
    assert metrics.group_accuracy([0, 1, 1], [0, 1, 0], [10**9, 7, 7]) == {7: 0.5, 10**9: 1.0}


def test_probabilities_out_of_range_message_is_exact():
    with pytest.raises(ValueError) as info:
        metrics.average_cluster_probability(np.array([[0.0, 1.5], [1.0, 0.0]]), [0, 0], [1])
    assert str(info.value) == "probs must be probabilities in [0, 1]; got values in [0, 1.5]"
