"""Exact messages of the mislabel filters and the output forms embedding_tensor accepts
(mutation survivors in compute/mislabel.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from spurwidgets.compute.mislabel import ZeroShotFilter, confident_mislabels, embedding_tensor, out_of_fold_proba


def test_a_class_with_one_sample_is_refused_naming_the_fold_count():
    features = np.random.default_rng(0).normal(size=(9, 3)).astype(np.float32)
    labels = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match=r"^a class has fewer than 2 samples, too few for 5-fold cross-validation$"):
        confident_mislabels(features, labels, device="cpu")


def test_bad_labels_are_refused_naming_labels():
    features = np.zeros((4, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"^labels must be non-negative integers; got minimum -1$"):
        confident_mislabels(features, np.array([0, 1, -1, 0]), device="cpu")


def test_embedding_tensor_reads_each_known_output_field():
    t = torch.arange(6.0).reshape(2, 3)
    assert embedding_tensor(t) is t
    for field in ("pooler_output", "image_embeds", "text_embeds"):
        assert embedding_tensor(SimpleNamespace(**{field: t})) is t
    # the first field present wins, in the order pooler_output, image_embeds, text_embeds
    other = torch.zeros(2, 3)
    assert embedding_tensor(SimpleNamespace(image_embeds=t, text_embeds=other)) is t
    with pytest.raises(TypeError, match=r"^unexpected output of the image-text model: SimpleNamespace$"):
        embedding_tensor(SimpleNamespace(logits=t))


class _StubClip(torch.nn.Module):
    """Text i embeds as e_i; an image embeds as its mean colour (r, g, b) -> logits scale * cos."""

    def __init__(self, logit_scale=None):
        super().__init__()
        if logit_scale is not None:
            self.logit_scale = torch.nn.Parameter(torch.tensor(float(logit_scale)))

    def get_text_features(self, input_ids):
        return torch.eye(3)[input_ids[:, 0]]

    def get_image_features(self, pixel_values):
        return pixel_values.float().mean(dim=(2, 3))


def _processor(text=None, images=None, return_tensors="pt", padding=False):
    if text is not None:
        return {"input_ids": torch.arange(len(text))[:, None]}
    return {"pixel_values": torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()}


IMAGES = np.zeros((2, 2, 2, 3), dtype=np.uint8)
IMAGES[0, ..., 0] = 255  # pure red: embeds along text 0
IMAGES[1, ..., 1] = 255  # pure green: text 1


def test_zero_shot_probabilities_use_the_models_logit_scale_or_100():
    prompts = ["red", "green", "blue"]
    for scale, temperature in ((None, 100.0), (np.log(2.0), 2.0)):
        zs = ZeroShotFilter(_StubClip(scale), _processor, IMAGES, prompts, device="cpu")
        proba = zs.zero_shot_proba(np.array([0, 1]))
        # cosines (1, 0, 0) and (0, 1, 0): softmax of temperature * cosine, by hand
        top = np.exp(temperature) / (np.exp(temperature) + 2)
        np.testing.assert_allclose(proba[0], [top, (1 - top) / 2, (1 - top) / 2], rtol=1e-5, atol=1e-12)
        np.testing.assert_allclose(proba[1], [(1 - top) / 2, top, (1 - top) / 2], rtol=1e-5, atol=1e-12)


def test_zero_shot_filter_refuses_one_prompt_non_clip_models_and_labels_beyond_the_prompts():
    with pytest.raises(
        ValueError, match=r"^prompts must be a list of one text per class \(at least 2\); got \['red'\]$"
    ):
        ZeroShotFilter(_StubClip(), _processor, IMAGES, ["red"])
    with pytest.raises(
        TypeError, match=r"^model must be a CLIP-like transformers model with get_image_features\(\); got Linear$"
    ):
        ZeroShotFilter(torch.nn.Linear(2, 2), _processor, IMAGES, ["red", "green"])
    zs = ZeroShotFilter(_StubClip(), _processor, IMAGES, ["red", "green"], device="cpu")
    with pytest.raises(ValueError, match=r"^prompts has 2 texts but labels go up to class 2$"):
        zs(np.zeros((2, 1)), np.array([0, 2]), np.array([0, 1]))


def test_out_of_fold_proba_defaults_to_the_auto_device():
    features = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    labels = np.repeat([0, 1], 10)
    proba = out_of_fold_proba(features, labels)
    assert proba.shape == (20, 2) and np.allclose(proba.sum(1), 1.0)


def test_zero_shot_probabilities_without_logit_scale_use_exactly_100():
    # a mean colour (255, 250, 0): cosines 255 / r and 250 / r with text 0 and 1, 0 with text 2
    images = np.zeros((1, 2, 2, 3), dtype=np.uint8)
    images[0, ..., 0], images[0, ..., 1] = 255, 250
    zs = ZeroShotFilter(_StubClip(), _processor, images, ["red", "green", "blue"], device="cpu")
    logits = 100.0 * np.array([255.0, 250.0, 0.0]) / np.hypot(255.0, 250.0)
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(zs.zero_shot_proba(np.array([0]))[0], expected, rtol=1e-5, atol=1e-12)


def test_zero_shot_images_go_to_the_model_in_batches_of_64_by_default():
    sizes = []

    class Counting(_StubClip):
        def get_image_features(self, pixel_values):
            sizes.append(len(pixel_values))
            return super().get_image_features(pixel_values)

    images = np.zeros((70, 2, 2, 3), dtype=np.uint8)
    ZeroShotFilter(Counting(), _processor, images, ["red", "green"], device="cpu").zero_shot_proba(np.arange(70))
    assert sizes == [64, 6]


def test_out_of_fold_proba_trains_each_head_on_the_other_folds(monkeypatch):
    import spurwidgets.compute.mislabel as mislabel

    calls = []
    real = mislabel.refit_head

    def recording(features, labels, **kwargs):
        calls.append(len(features))
        return real(features, labels, **kwargs)

    monkeypatch.setattr(mislabel, "refit_head", recording)
    features = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    labels = np.repeat([0, 1], 10)
    out_of_fold_proba(features, labels, device="cpu")
    # 5 stratified folds of 2 + 2 items: each head sees the 16 items of the other four folds
    assert calls == [16, 16, 16, 16, 16]


def test_out_of_fold_proba_default_seed_is_0():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(20, 3)).astype(np.float32)
    labels = np.repeat([0, 1], 10)
    default = out_of_fold_proba(features, labels, device="cpu")
    np.testing.assert_array_equal(default, out_of_fold_proba(features, labels, random_state=0, device="cpu"))
    assert not np.array_equal(default, out_of_fold_proba(features, labels, random_state=1, device="cpu"))
