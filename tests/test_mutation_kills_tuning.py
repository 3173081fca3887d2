"""tune_head: the val_features mismatch message (a mutation survivor in compute/spurious_tuning.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.spurious_tuning import negative_gaps, tune_head

RNG = np.random.default_rng(0)
FEATURES = RNG.normal(size=(80, 2)).astype(np.float32)
LABELS = (FEATURES[:, 0] > 0).astype(np.int64)
SPURIOSITY = RNG.normal(size=80).astype(np.float32)
HEAD = (np.array([[-1.0, 0.0], [1.0, 0.0]], dtype=np.float32), np.zeros(2, dtype=np.float32))


def test_val_features_of_the_wrong_width_are_named():
    with pytest.raises(ValueError, match=r"^val_features have 3 columns but the head reads 2$"):
        tune_head(HEAD, FEATURES, LABELS, SPURIOSITY, np.zeros((80, 3), np.float32), LABELS, SPURIOSITY, device="cpu")


def test_only_strictly_negative_gaps_are_flagged():
    spuriosity = np.array([0.1, 0.9, 0.5, 0.3, 0.8, 0.2])
    labels = np.array([0, 0, 0, 1, 1, 1])
    flagged = negative_gaps({0: 0.0, 1: -0.2}, spuriosity, labels, k=2)
    assert list(flagged) == [1]
    assert flagged[1].tolist() == [4, 3]  # class 1's highest spuriosity first: 0.8, 0.3


def test_a_two_row_array_is_not_a_weight_bias_pair():
    with pytest.raises(
        TypeError, match=r"^head must be a LinearHead, an nn.Linear or a \(weight, bias\) pair; got ndarray$"
    ):
        tune_head(
            np.zeros((2, 2), np.float32), FEATURES, LABELS, SPURIOSITY, FEATURES, LABELS, SPURIOSITY, device="cpu"
        )


def test_gap_classes_may_name_class_0_and_out_of_range_ones_are_refused_in_full():
    result = tune_head(
        HEAD, FEATURES, LABELS, SPURIOSITY, FEATURES, LABELS, SPURIOSITY, gap_classes=[0], max_epochs=1, device="cpu"
    )
    assert list(result.before["gaps"]) == [0]
    with pytest.raises(ValueError, match=r"^gap_classes must be a non-empty list of classes in 0\.\.1; got \[5\]$"):
        tune_head(HEAD, FEATURES, LABELS, SPURIOSITY, FEATURES, LABELS, SPURIOSITY, gap_classes=[5], device="cpu")


def test_the_note_of_an_unmet_stop_rule_ends_with_the_untuned_accuracy():
    # a head reading the noise column: its accuracy, worked out directly, is far from 100 %
    noise_head = (np.array([[0.0, -1.0], [0.0, 1.0]], dtype=np.float32), np.zeros(2, dtype=np.float32))
    accuracy = float(((FEATURES[:, 1] > 0).astype(np.int64) == LABELS).mean())
    result = tune_head(
        noise_head, FEATURES, LABELS, SPURIOSITY, FEATURES, LABELS, SPURIOSITY,
        gap_threshold=1e-9, max_epochs=1, lr=1e-9, device="cpu",
    )  # fmt: skip
    assert not result.reached_threshold
    assert result.note.startswith("stop rule NOT met in 1 epochs")
    assert result.note.endswith(f"(untuned {accuracy:.1%})")
