"""Exact messages of the mislabel filters and the output forms embedding_tensor accepts
(mutation survivors in compute/mislabel.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from spurwidgets.compute.mislabel import confident_mislabels, embedding_tensor


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
