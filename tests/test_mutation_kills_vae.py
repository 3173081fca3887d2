"""VAE: the loss scale in history_, beta's valid range and no progress bar by default."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spurwidgets.compute.vae import VAE
from spurwidgets.datasets import solid_color_probes

FAST = dict(epochs=1, width=4, batch_size=16, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def probes() -> np.ndarray:
    return solid_color_probes(n=40, size=12, random_state=0)


def test_history_losses_are_per_image_and_start_near_the_bce_of_an_untrained_decoder(probes):
    # lr ~ 0 keeps the initial weights: logits near 0 give a BCE of ln 2 per pixel and channel,
    # so both losses are ~ 3 * 28 * 28 * ln 2 per image (the KL of the init is small), whatever
    # the batch sizes (16 + 16 + 4 training images here)
    vae = VAE(latent_dim=2, lr=1e-9, validation_fraction=0.1, **FAST).fit(probes)
    (epoch,) = vae.history_
    reference = 3 * 28 * 28 * math.log(2)
    assert epoch["train_loss"] == pytest.approx(reference, rel=0.03)
    assert epoch["val_loss"] == pytest.approx(reference, rel=0.03)


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_beta_below_one_is_accepted(probes, beta):
    vae = VAE(latent_dim=2, beta=beta, **FAST).fit(probes)
    assert vae.encode(probes).shape == (40, 2)


def test_negative_beta_is_refused_naming_beta(probes):
    with pytest.raises(ValueError, match=r"^beta must satisfy beta >= 0; got -0\.5$"):
        VAE(latent_dim=2, beta=-0.5, **FAST).fit(probes)


def test_no_progress_bar_by_default(probes, capsys):
    VAE(latent_dim=2, **FAST).fit(probes)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_traverse_names_n_steps(probes):
    vae = VAE(latent_dim=2, **FAST).fit(probes)
    with pytest.raises(ValueError, match=r"^n_steps must be an integer >= 1; got 0$"):
        vae.traverse(n_steps=0)


def test_evaluation_loss_uses_the_posterior_mean_and_training_loss_samples(probes):
    import torch

    vae = VAE(latent_dim=2, **FAST).fit(probes)
    x = vae._images(probes[:8], "probes")
    with torch.no_grad():
        evaluation = [float(vae._loss(vae.model_, x, None)) for _ in range(2)]
        sampled = [float(vae._loss(vae.model_, x, torch.Generator().manual_seed(s))) for s in (1, 2)]
    assert evaluation[0] == evaluation[1]  # no noise without a generator
    assert sampled[0] != sampled[1]  # the generator's noise enters z


def test_zero_epochs_are_refused_naming_epochs(probes):
    with pytest.raises(ValueError, match=r"^epochs must be an integer >= 1; got 0$"):
        VAE(latent_dim=2, **{**FAST, "epochs": 0}).fit(probes)
