"""suggest_annotations' default k (scores = the mean similarity over the 5 most activating
images, recomputed from concept_similarity) and replace_head's exact messages (mutation survivors)."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from spurwidgets import SpuriosityRanker
from spurwidgets.compute.concepts import concept_similarity, suggest_annotations
from spurwidgets.compute.heads import replace_head
from spurwidgets.compute.linear_head import LinearHead

CONCEPTS = ["a digit", "red", "blue"]
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(12, 16, 16, 3), dtype=np.uint8)
FEATURES = RNG.random((12, 4)).astype(np.float32)
LABELS = np.repeat([0, 1], 6)


def test_default_k_scores_the_five_most_activating_images(tiny_clip):
    model, processor = tiny_clip
    ranker = SpuriosityRanker(n_features=1).fit(FEATURES, LABELS, np.ones((2, 4), dtype=np.float32))
    suggestions = suggest_annotations(
        ranker, FEATURES, LABELS, IMAGES, model, processor, CONCEPTS, {0: []}, device="cpu"
    )
    similarity = concept_similarity(model, processor, IMAGES, CONCEPTS)  # the default device, "auto"
    for cls in (0, 1):
        (feature,) = ranker.top_features_[cls].tolist()
        members = np.flatnonzero(LABELS == cls)  # 6 images per class: k=5 leaves one out
        top5 = members[np.argsort(-FEATURES[members, feature], kind="stable")[:5]]
        want = similarity[top5].mean(0)
        got = suggestions[cls][feature]["scores"]
        assert [got[c] for c in CONCEPTS] == pytest.approx(want.tolist(), abs=1e-5)


def _model(n_out=3):
    return nn.Sequential(nn.Flatten(), nn.Linear(4, n_out))


def test_replace_head_messages_name_the_expected_outputs():
    with pytest.raises(ValueError) as info:
        replace_head(_model(), nn.Linear(4, 2))
    assert str(info.value) == "head has 2 outputs but the model's head '1' has 3; expected one output per model class"
    head = LinearHead(np.zeros((2, 4), np.float32), np.zeros(2, np.float32), np.array([0, 5]))
    with pytest.raises(ValueError) as info:
        replace_head(_model(), head)
    assert str(info.value) == (
        "head predicts classes [0, 5] but the model's head has 3 outputs; expected class ids in 0..2"
    )


def test_replace_head_refuses_class_ids_beyond_the_model_outputs_and_wrong_widths():
    head = LinearHead(np.zeros((2, 4), np.float32), np.zeros(2, np.float32), np.array([0, 2]))
    with pytest.raises(ValueError, match=r"^head predicts classes \[0, 2\] but the model's head has 2 outputs; "):
        replace_head(_model(2), head)
    two_rows = LinearHead(np.zeros((2, 4), np.float32), np.zeros(2, np.float32), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"^the model has a single-logit head \(logit > 0 means class 1\) but head"):
        replace_head(_model(1), two_rows)
    with pytest.raises(ValueError) as info:
        replace_head(_model(3), nn.Linear(5, 3))
    assert str(info.value) == (
        "head reads 5 features but the model's head '1' reads 4; "
        "expected a head fitted on the features extract() gives for this model (layer=None)"
    )


def test_object_concepts_outside_the_concepts_are_refused_with_the_full_message():
    ranker = SpuriosityRanker(n_features=1).fit(FEATURES, LABELS, np.ones((2, 4), dtype=np.float32))
    with pytest.raises(
        ValueError,
        match=r"^object_concepts of class 0 name \['green'\] which are not in concepts \['a digit', 'red', 'blue'\]$",
    ):
        suggest_annotations(ranker, FEATURES, LABELS, IMAGES, None, None, CONCEPTS, {0: ["green"]}, device="cpu")


def test_replace_head_full_messages_for_single_logit_and_headless_models():
    two_rows = LinearHead(np.zeros((2, 4), np.float32), np.zeros(2, np.float32), np.array([0, 1]))
    with pytest.raises(ValueError) as info:
        replace_head(_model(1), two_rows)
    assert str(info.value) == (
        "the model has a single-logit head (logit > 0 means class 1) but head predicts classes [0, 1]; "
        "expected a two-class head over classes [0, 1]"
    )
    with pytest.raises(ValueError) as info:
        replace_head(nn.Sequential(nn.ReLU()), two_rows)
    assert str(info.value) == "model has no nn.Linear head to replace; expected a classifier ending in an nn.Linear"
