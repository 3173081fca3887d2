"""The probe VAE: shapes, reproducibility, early stopping and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.vae import VAE
from spurwidgets.datasets import solid_color_probes

FAST = dict(epochs=3, width=4, batch_size=16)


@pytest.fixture(scope="module")
def probes() -> np.ndarray:
    return solid_color_probes(n=40, size=12, random_state=0)


@pytest.fixture(scope="module")
def fitted(probes) -> VAE:
    return VAE(latent_dim=2, random_state=0, device="cpu", **FAST).fit(probes)


def test_fit_returns_self_and_encode_gives_posterior_means(probes):
    vae = VAE(latent_dim=3, random_state=0, device="cpu", **FAST)
    assert vae.fit(probes) is vae
    z = vae.encode(probes)
    assert z.shape == (40, 3) and z.dtype == np.float32
    assert np.array_equal(z, vae.encode(probes))  # means, no sampling noise


def test_same_random_state_gives_identical_encoding(probes, fitted):
    again = VAE(latent_dim=2, random_state=0, device="cpu", **FAST).fit(probes)
    assert np.array_equal(again.encode(probes), fitted.encode(probes))
    other = VAE(latent_dim=2, random_state=1, device="cpu", **FAST).fit(probes)
    assert not np.allclose(other.encode(probes), fitted.encode(probes))


def test_decode_and_sample_give_uint8_images_of_image_size(fitted):
    images = fitted.decode(np.zeros((5, 2), dtype=np.float32))
    assert images.shape == (5, 28, 28, 3) and images.dtype == np.uint8
    samples = fitted.sample(4, random_state=0)
    assert samples.shape == (4, 28, 28, 3)
    assert np.array_equal(samples, fitted.sample(4, random_state=0))


def test_history_records_every_epoch_and_best_epoch(fitted):
    assert fitted.n_epochs_ == len(fitted.history_) <= 3
    assert 0 <= fitted.best_epoch_ < fitted.n_epochs_
    assert set(fitted.history_[0]) == {"epoch", "train_loss", "val_loss"}


def test_early_stopping_stops_before_max_epochs(probes):
    vae = VAE(latent_dim=2, random_state=0, device="cpu", epochs=200, patience=1, lr=0.5, width=4).fit(probes)
    assert vae.n_epochs_ < 200
    assert vae.n_epochs_ == vae.best_epoch_ + 2  # stopped one epoch after the last improvement


def test_float_nchw_probes_are_accepted(fitted, probes):
    floats = probes.transpose(0, 3, 1, 2).astype(np.float32) / 255
    assert np.allclose(fitted.encode(floats), fitted.encode(probes), atol=1e-5)


def test_encode_before_fit_is_refused():
    with pytest.raises(RuntimeError, match="not fitted"):
        VAE().encode(np.zeros((2, 8, 8, 3), dtype=np.uint8))


def test_latent_dim_below_one_is_refused(probes):
    with pytest.raises(ValueError, match="latent_dim must be an integer >= 1; got 0"):
        VAE(latent_dim=0).fit(probes)


def test_probes_of_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"probes must be .*got ndarray of shape \(10, 28, 28\)"):
        VAE(**FAST).fit(np.zeros((10, 28, 28), dtype=np.uint8))


def test_decode_with_wrong_latent_width_is_refused(fitted):
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\)"):
        fitted.decode(np.zeros((3, 5), dtype=np.float32))


def test_traverse_varies_one_latent_axis_per_row(fitted):
    grid = fitted.traverse(n_steps=5, span=2.0)
    assert grid.shape == (2, 5, 28, 28, 3) and grid.dtype == np.uint8
    middle = fitted.decode(np.zeros((1, 2), dtype=np.float32))[0]
    assert np.array_equal(grid[0, 2], middle) and np.array_equal(grid[1, 2], middle)
    assert np.array_equal(grid[1, 0], fitted.decode(np.array([[0.0, -2.0]], dtype=np.float32))[0])
    with pytest.raises(ValueError, match=r"center must have 2 entries"):
        fitted.traverse(center=[0.0, 0.0, 0.0])
