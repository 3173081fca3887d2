"""Low-spuriosity head tuning, baselines, accuracy-vs-rank curve, negative gaps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spurwidgets import LinearHead, refit_head
from spurwidgets.compute.spurious_tuning import (
    accuracy_by_spuriosity_rank,
    compare_strategies,
    negative_gaps,
    select_training_images,
    tune_head,
)


def shortcut_features(n_per_group: np.ndarray, seed: int):
    """2-D features: column 0 = core (sign = class), column 1 = spurious cue.

    n_per_group[class][has_cue]; spuriosity = the cue column.
    """
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for cls in (0, 1):
        for cue in (0, 1):
            n = n_per_group[cls][cue]
            core = (2 * cls - 1) * rng.uniform(0.5, 1.5, size=n)
            spur = (2 * cls - 1) * (2 * cue - 1) * 1.0 + rng.normal(0, 0.1, size=n)
            rows.append(np.stack([core, spur], 1))
            labels.append(np.full(n, cls))
    features = np.concatenate(rows).astype(np.float32)
    labels = np.concatenate(labels)
    spuriosity = features[:, 1] * (2 * labels - 1)
    return features, labels, spuriosity


TRAIN = shortcut_features(np.array([[10, 190], [10, 190]]), seed=0)
VAL = shortcut_features(np.array([[50, 50], [50, 50]]), seed=1)
# A head that relies on the cue only: images without the cue are misclassified.
SHORTCUT_HEAD = (np.array([[0.0, -2.0], [0.0, 2.0]], dtype=np.float32), np.zeros(2, dtype=np.float32))


def test_low_spuriosity_tuning_closes_the_gap_and_stops_early():
    result = tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, n_per_class=20, lr=0.1, max_epochs=200, device="cpu")
    assert result.before["gaps"] == {0: 1.0, 1: 1.0}
    assert max(abs(g) for g in result.after["gaps"].values()) < 0.05
    assert result.reached_threshold and result.epochs_run < 200
    assert result.after["accuracy"] > result.before["accuracy"] == 0.5
    assert len(result.history) == result.epochs_run
    assert result.summary()["val_accuracy_after"] == result.after["accuracy"]


def test_callback_receives_each_epoch_with_the_epoch_budget():
    records = []
    result = tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, n_per_class=20, max_epochs=7, device="cpu", callback=records.append)
    assert [r["epoch"] for r in records] == list(range(1, result.epochs_run + 1))
    assert {r["max_epochs"] for r in records} == {7}
    assert records[-1]["gaps"] == result.history[-1]["gaps"]


def test_tuning_never_modifies_the_given_head():
    head = torch.nn.Linear(2, 2)
    original = head.weight.detach().clone()
    result = tune_head(head, *TRAIN, *VAL, n_per_class=20, max_epochs=3, device="cpu")
    torch.testing.assert_close(head.weight, original)
    assert isinstance(result.head, LinearHead) and isinstance(result.head.to_torch(), torch.nn.Linear)


def test_low_spuriosity_selection_takes_lowest_per_class():
    labels = np.array([0, 0, 0, 1, 1, 1])
    spuriosity = np.array([3.0, 1.0, 2.0, 0.0, -1.0, 5.0])
    correct = np.ones(6, dtype=bool)
    picked = select_training_images("low_spuriosity", labels, spuriosity, correct, 2, np.random.default_rng(0))
    assert picked.tolist() == [1, 2, 3, 4]


def test_misclassified_selection_is_topped_up_with_correct_images():
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    correct = np.array([False, True, True, True, True, True, True, False])
    picked = select_training_images("misclassified", labels, np.zeros(8), correct, 3, np.random.default_rng(0))
    assert len(picked) == 6 and {0, 7} <= set(picked.tolist())
    assert (labels[picked] == 0).sum() == 3


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="strategy must be one of"):
        tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, strategy="best", device="cpu")


def test_compare_strategies_runs_each_with_the_same_tuning_set_size():
    results = compare_strategies(SHORTCUT_HEAD, *TRAIN, *VAL, n_per_class=20, max_epochs=5, device="cpu")
    assert list(results) == ["low_spuriosity", "random", "misclassified"]
    assert {len(r.selected) for r in results.values()} == {40}


def test_single_logit_head_is_tuned_with_binary_loss():
    head = (np.array([[0.0, 2.0]], dtype=np.float32), np.zeros(1, dtype=np.float32))
    result = tune_head(head, *TRAIN, *VAL, n_per_class=20, lr=0.1, max_epochs=200, device="cpu")
    assert result.head.coef_.shape == (1, 2) and result.head.classes_.tolist() == [0, 1]
    assert result.after["accuracy"] > 0.9


def test_accuracy_by_rank_bins_each_class_lowest_first():
    correct = np.array([0, 0, 1, 1, 1, 1, 0, 0], dtype=bool)
    spuriosity = np.array([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    curve = accuracy_by_spuriosity_rank(correct, spuriosity, labels, n_bins=2)
    assert curve["rank"].tolist() == [0.25, 0.75]
    assert curve["per_class"][0].tolist() == [0.0, 1.0] and curve["per_class"][1].tolist() == [1.0, 0.0]
    assert curve["accuracy"].tolist() == [0.5, 0.5]


def test_negative_gaps_flag_the_high_spuriosity_images():
    labels = np.array([0, 0, 0, 1, 1, 1])
    spuriosity = np.array([1.0, 3.0, 2.0, 0.0, 1.0, 2.0])
    flagged = negative_gaps({0: -0.5, 1: 0.2}, spuriosity, labels, k=2)
    assert list(flagged) == [0] and flagged[0].tolist() == [1, 2]


def test_mismatched_head_is_refused():
    with pytest.raises(ValueError, match="train_features have 2 columns but the head reads 3"):
        tune_head((np.zeros((2, 3)), np.zeros(2)), *TRAIN, *VAL, device="cpu")


def test_without_reaching_the_threshold_the_best_head_seen_is_returned():
    result = tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, n_per_class=20, lr=1e-4, max_epochs=2, device="cpu")
    assert not result.reached_threshold and result.epochs_run == 2
    worst = [max(abs(g) for g in h["gaps"].values()) for h in result.history]
    assert max(abs(g) for g in result.after["gaps"].values()) <= min([1.0, *worst])
    if result.best_epoch == 0:
        np.testing.assert_array_equal(result.head.coef_, SHORTCUT_HEAD[0])


def test_gap_classes_limit_the_gaps_to_annotated_classes():
    result = tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, n_per_class=20, max_epochs=1, gap_classes=[1], device="cpu")
    assert list(result.before["gaps"]) == [1] and list(result.after["gaps"]) == [1]
    with pytest.raises(ValueError, match=r"gap_classes must be a non-empty list of classes in 0..1; got \[2\]"):
        tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, gap_classes=[2], device="cpu")


# Validation with the cue on 90% of each class: the cue-only head scores 90%, gap 100 points.
VAL_90 = shortcut_features(np.array([[10, 90], [10, 90]]), seed=1)


def test_a_head_collapsed_to_one_class_does_not_meet_the_stop_rule():
    # Tuning images of class 0 only, all-zero features: only the bias moves, so one large
    # step makes the head predict class 0 for everything -> every gap 0, accuracy 50%.
    # A gap-only stop rule stops there and returns the collapsed head.
    train = (np.zeros((20, 2), dtype=np.float32), np.zeros(20, dtype=np.int64), np.arange(20.0))
    result = tune_head(SHORTCUT_HEAD, *train, *VAL_90, n_per_class=20, lr=5.0, max_epochs=3, device="cpu")
    assert [h["val_accuracy"] for h in result.history] == [0.5, 0.5, 0.5]
    assert all(h["gaps"] == {0: 0.0, 1: 0.0} for h in result.history)
    assert not result.reached_threshold and result.epochs_run == 3
    assert result.best_epoch == 0  # the untuned head is the best trade-off: kept, not the collapse
    np.testing.assert_array_equal(result.head.coef_, SHORTCUT_HEAD[0])
    assert result.after["accuracy"] == 0.9
    assert result.note.startswith("stop rule NOT met in 3 epochs")
    assert result.summary()["reached_threshold"] is False


def test_epochs_that_close_the_gap_by_losing_accuracy_are_passed_over():
    train = shortcut_features(np.array([[20, 180], [0, 1]]), seed=0)
    result = tune_head(SHORTCUT_HEAD, *train, *VAL_90, n_per_class=20, lr=0.3, max_epochs=100, device="cpu")
    small_gap = [h for h in result.history if max(abs(g) for g in h["gaps"].values()) < 0.05]
    assert small_gap[0]["val_accuracy"] < 0.88  # a gap-only rule would have stopped here
    assert result.reached_threshold
    with pytest.warns(DeprecationWarning, match="stopped_early is deprecated; use result.reached_threshold"):
        assert result.stopped_early is True  # deprecated read-only alias
    assert "stopped_early" not in result.summary()
    assert result.after["accuracy"] >= 0.88 and max(abs(g) for g in result.after["gaps"].values()) < 0.05
    assert result.best_epoch == result.epochs_run > small_gap[0]["epoch"]


def test_accuracy_tolerances_are_validated():
    with pytest.raises(ValueError, match="max_accuracy_drop"):
        tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, max_accuracy_drop=1.5, device="cpu")
    with pytest.raises(ValueError, match="max_class_accuracy_drop"):
        tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, max_class_accuracy_drop=-0.1, device="cpu")


def test_a_collapse_from_a_chance_level_head_is_caught_per_class():
    # On VAL the cue is independent of the class, so the cue-only head is at 50% overall and
    # a collapse to class 0 keeps 50% overall: only the per-class accuracy (class 1: 50% -> 0%)
    # shows it. This is the teaching notebook's situation.
    train = (np.zeros((20, 2), dtype=np.float32), np.zeros(20, dtype=np.int64), np.arange(20.0))
    result = tune_head(SHORTCUT_HEAD, *train, *VAL, n_per_class=20, lr=5.0, max_epochs=2, device="cpu")
    assert [h["val_accuracy"] for h in result.history] == [0.5, 0.5] == [result.before["accuracy"]] * 2
    assert [h["val_class_accuracy"] for h in result.history] == [{0: 1.0, 1: 0.0}] * 2
    assert all(h["gaps"] == {0: 0.0, 1: 0.0} for h in result.history)
    assert not result.reached_threshold and result.best_epoch == 0


def test_the_tuned_head_is_a_linear_head_that_predicts_as_the_history_says():
    result = tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, n_per_class=20, lr=0.1, max_epochs=200, device="cpu")
    head = result.head
    assert isinstance(head, LinearHead) and head.coef_.shape == (2, 2) and head.n_iter_ == result.best_epoch
    val_features, val_labels, _ = VAL
    assert head.score(val_features, val_labels) == result.after["accuracy"]
    layer = head.to_torch()  # a two-output head keeps its two rows
    np.testing.assert_array_equal(layer.weight.detach().numpy(), head.coef_)


def test_a_refit_head_result_can_be_tuned_directly():
    start = refit_head(TRAIN[0], TRAIN[1], C=0.01, device="cpu")
    result = tune_head(start, *TRAIN, *VAL, n_per_class=20, max_epochs=2, device="cpu")
    assert result.before["accuracy"] == start.score(VAL[0], VAL[1])
    assert result.head.coef_.shape == start.coef_.shape == (1, 2)
    shifted = LinearHead(start.coef_, start.intercept_, np.array([3, 7]))
    with pytest.raises(ValueError, match=r"head predicts classes \[3, 7\]; tune_head needs a head over classes 0..C-1"):
        tune_head(shifted, *TRAIN, *VAL, device="cpu")


def test_weight_bias_and_to_torch_of_the_result_are_deprecated_aliases_of_its_head():
    result = tune_head(SHORTCUT_HEAD, *TRAIN, *VAL, n_per_class=20, max_epochs=1, device="cpu")
    with pytest.warns(DeprecationWarning, match=r"TuningResult.weight is deprecated; use result.head.coef_"):
        np.testing.assert_array_equal(result.weight, result.head.coef_)
    with pytest.warns(DeprecationWarning, match=r"TuningResult.bias is deprecated; use result.head.intercept_"):
        np.testing.assert_array_equal(result.bias, result.head.intercept_)
    with pytest.warns(DeprecationWarning, match=r"use result.head.to_torch\(\)"):
        layer = result.to_torch()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), result.head.coef_)
