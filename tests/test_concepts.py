"""Automatic core/spurious suggestions with a tiny randomly initialised CLIP (no downloads)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spurwidgets import SpuriosityRanker
from spurwidgets.compute.concepts import as_annotations, concept_similarity, suggest_annotations

CONCEPTS = ["a digit", "red", "blue"]
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(12, 16, 16, 3), dtype=np.uint8)
FEATURES = RNG.random((12, 4)).astype(np.float32)
LABELS = np.repeat([0, 1], 6)


@pytest.fixture(scope="module")
def ranker():
    return SpuriosityRanker(n_features=2).fit(FEATURES, LABELS, np.ones((2, 4), dtype=np.float32))


def test_concept_similarity_is_a_cosine_per_image_and_concept(tiny_clip):
    model, processor = tiny_clip
    sim = concept_similarity(model, processor, IMAGES[:5], CONCEPTS, batch_size=2, device="cpu")
    assert sim.shape == (5, 3) and sim.dtype == np.float32
    assert np.all(np.abs(sim) <= 1 + 1e-5)


def test_suggestions_follow_the_object_concepts(tiny_clip, ranker):
    model, processor = tiny_clip
    # Class 0: every concept is the object -> core; class 1: none is -> spurious.
    suggestions = suggest_annotations(
        ranker, FEATURES, LABELS, IMAGES, model, processor, CONCEPTS, {0: CONCEPTS, 1: []}, k=3, device="cpu"
    )
    assert sorted(suggestions[0]) == sorted(ranker.top_features_[0].tolist())
    assert {s["label"] for s in suggestions[0].values()} == {"core"}
    assert {s["label"] for s in suggestions[1].values()} == {"spurious"}
    first = next(iter(suggestions[1].values()))
    assert first["concept"] == max(first["scores"], key=first["scores"].get)
    assert as_annotations(suggestions)[1] == {f: "spurious" for f in suggestions[1]}


def test_unknown_object_concept_is_refused(tiny_clip, ranker):
    model, processor = tiny_clip
    with pytest.raises(ValueError, match=r"object_concepts of class 0 name \['a cat'\] which are not in concepts"):
        suggest_annotations(ranker, FEATURES, LABELS, IMAGES, model, processor, CONCEPTS, {0: ["a cat"]}, device="cpu")


def test_non_clip_model_is_refused():
    with pytest.raises(TypeError, match="CLIP-like transformers model with get_image_features"):
        concept_similarity(torch.nn.Linear(2, 2), None, IMAGES, CONCEPTS)
