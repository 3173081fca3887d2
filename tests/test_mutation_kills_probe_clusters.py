"""ProbeClusters: classifier_features with given probs still clusters the model's features, and
the tempered variant's documented defaults (mutation survivors in compute/probe_clusters.py)."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from spurwidgets.compute.probe_clusters import ProbeClusters, cluster_merged
from spurwidgets.compute.vae import VAE
from spurwidgets.datasets import solid_color_probes


def test_classifier_features_with_given_probs_still_reads_the_features():
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[10.0, 0.0, -10.0], [-10.0, 0.0, 10.0]]))
        model[2].bias.zero_()
    probes = solid_color_probes(n=30, size=8, random_state=0)
    probs = np.tile([[0.3, 0.7]], (30, 1))
    probs[:15] = [0.8, 0.2]
    pc = ProbeClusters(2, 0, variant="classifier_features", clusters_per_class=2, device="cpu",
                       vae_params=dict(epochs=1, width=4, batch_size=32))  # fmt: skip
    pc.fit(model, probes, probs=probs)
    assert np.array_equal(pc.probs_, probs)  # the given probabilities, not the model's
    assert pc.space_ == "features"
    # the features are the head's input: the mean colour of each probe, worked out directly
    mean_colour = probes.reshape(30, -1, 3).mean(1) / 255
    np.testing.assert_allclose(pc.features_, mean_colour, atol=1e-5)


def test_tempered_defaults_are_the_documented_power_8_and_4_centres_per_class():
    probes = solid_color_probes(n=30, size=8, random_state=0)
    rng = np.random.default_rng(0)
    p1 = rng.uniform(0.05, 0.95, size=30)
    probs = np.stack([1 - p1, p1], axis=1)
    vae = VAE(latent_dim=2, epochs=1, width=4, batch_size=32, device="cpu").fit(probes)
    default = ProbeClusters(2, 0, variant="tempered", vae=vae, device="cpu").fit(None, probes, probs=probs)
    explicit = ProbeClusters(2, 0, variant="tempered", vae=vae, device="cpu", clusters_per_class=4, power=8.0)
    explicit.fit(None, probes, probs=probs)
    np.testing.assert_array_equal(default.cluster_centers_, explicit.cluster_centers_)
    np.testing.assert_array_equal(default.labels_, explicit.labels_)


def test_merged_clusters_with_duplicate_points_keep_only_classes_that_own_a_cluster():
    # 3 distinct points for 2 x 4 = 8 k-means clusters: some clusters stay empty; every
    # probe favours class 0, so class 0 alone owns clusters
    points = np.repeat(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 4, axis=0)
    probs = np.tile([[0.9, 0.1]], (12, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn: fewer distinct clusters than n_clusters
        labels, centres, classes = cluster_merged(points, probs, clusters_per_class=4, random_state=0)
    assert classes.tolist() == [0]
    assert labels.tolist() == [0] * 12
    np.testing.assert_allclose(centres, [[5 / 3, 5 / 3]])
