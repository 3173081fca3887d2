"""Automatic core/spurious suggestions with a tiny randomly initialised CLIP (no downloads)."""

from __future__ import annotations

import json

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
def tiny_clip(tmp_path_factory):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    folder = tmp_path_factory.mktemp("clip")
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in "abcdefghijklmnopqrstuvwxyz":
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    images = CLIPImageProcessor(size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16})
    text_config = dict(vocab_size=len(vocab), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                       num_attention_heads=2, max_position_embeddings=32, bos_token_id=0, eos_token_id=1,
                       pad_token_id=1)  # fmt: skip
    vision_config = dict(
        image_size=16, patch_size=8, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = CLIPModel(CLIPConfig(text_config=text_config, vision_config=vision_config, projection_dim=8))
    return model, CLIPProcessor(image_processor=images, tokenizer=tokenizer)


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
