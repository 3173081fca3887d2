"""The methods on Hugging Face models: SpuriosityRanker head weights, heatmaps, ProbeClusters."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hf_tiny import tiny_resnet, tiny_vit

import spurwidgets as sw
from spurwidgets.compute.activation_maps import activation_maps, feature_visuals, map_layer
from spurwidgets.datasets import solid_color_probes

IMAGES = np.random.default_rng(0).integers(0, 256, size=(4, 16, 16, 3), dtype=np.uint8)


def normalised(maps):
    flat = maps.reshape(len(maps), -1)
    lo, hi = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    return ((flat - lo) / (hi - lo)).reshape(maps.shape)


def test_spuriosity_ranker_reads_the_head_weights_from_the_model():
    model = tiny_vit(num_labels=3)
    fs = sw.extract(model, IMAGES, device="cpu")
    labels = np.arange(4) % 3
    from_model = sw.SpuriosityRanker(n_features=2).fit(fs.features, labels, model)
    from_weight = sw.SpuriosityRanker(n_features=2).fit(fs.features, labels, model.classifier.weight.detach().numpy())
    np.testing.assert_allclose(from_model.importance_, from_weight.importance_, rtol=1e-6)
    with pytest.raises(ValueError, match="head_weight is a Conv2d without an nn.Linear head"):
        sw.SpuriosityRanker(n_features=2).fit(fs.features, labels, torch.nn.Conv2d(3, 3, 1))


def test_vit_heatmaps_are_patch_token_maps_on_the_patch_grid():
    model = tiny_vit()
    assert map_layer(model) == "vit.layernorm"
    maps = activation_maps(model, IMAGES, [1], layer="vit.layernorm", device="cpu")
    x = torch.from_numpy(IMAGES).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        tokens = model.vit(pixel_values=x).last_hidden_state  # (4, 1 + 16, 8), after the final layernorm
    grid = tokens[:, 1:, 1].reshape(4, 1, 4, 4)  # 16x16 image, patch 4: a 4x4 grid, row-major
    want = F.interpolate(grid, size=(16, 16), mode="bilinear", align_corners=False)[:, 0].numpy()
    np.testing.assert_allclose(maps, normalised(want), atol=1e-5)


def test_hf_resnet_heatmaps_come_from_the_encoder_channels_that_are_the_features():
    model = tiny_resnet()
    assert map_layer(model) == "resnet.encoder"
    fs = sw.extract(model, IMAGES, layer="resnet.encoder", return_maps=True, device="cpu")
    np.testing.assert_allclose(fs.features, sw.extract(model, IMAGES, device="cpu").features, rtol=1e-5, atol=1e-6)
    visuals = feature_visuals(model, IMAGES, 3, layer="auto", attack=True, attack_steps=1, device="cpu")
    assert visuals["heatmaps"].shape == (4, 16, 16, 3) and visuals["attacks"].shape == (4, 16, 16, 3)


def test_probe_clusters_work_with_a_hf_model():
    model = tiny_vit(num_labels=2)
    probes = solid_color_probes(n=40, size=16, random_state=0)
    pc = sw.ProbeClusters(latent_dim=2, random_state=0, vae_params=dict(epochs=1, width=4, batch_size=32), device="cpu")
    pc.fit(model, probes)
    with torch.no_grad():
        x = torch.from_numpy(probes).permute(0, 3, 1, 2).float() / 255
        want = torch.softmax(model(pixel_values=x).logits, dim=1).numpy()
    np.testing.assert_allclose(pc.probs_, want, rtol=1e-4, atol=1e-5)
    assert pc.latent_.shape == (40, 2) and pc.labels_.shape == (40,)
