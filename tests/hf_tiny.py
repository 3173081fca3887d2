"""Tiny randomly initialised Hugging Face image classifiers (no downloads) shared by the tests."""

from __future__ import annotations

import torch


def tiny_vit(num_labels: int = 3, seed: int = 0):
    from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig(image_size=16, patch_size=4, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=16, num_labels=num_labels)  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ViTForImageClassification(config).eval()


def tiny_resnet(num_labels: int = 2, seed: int = 0):
    from transformers import ResNetConfig, ResNetForImageClassification

    config = ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], num_labels=num_labels)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ResNetForImageClassification(config).eval()


def tiny_convnext(num_labels: int = 2, seed: int = 0):
    from transformers import ConvNextConfig, ConvNextForImageClassification

    config = ConvNextConfig(num_stages=2, hidden_sizes=[8, 16], depths=[1, 1], num_labels=num_labels)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ConvNextForImageClassification(config).eval()


FAMILIES = {"vit": tiny_vit, "resnet": tiny_resnet, "convnext": tiny_convnext}
