"""A small convolutional VAE that embeds probe images in a low-dimensional latent space.

Images are resized to `image_size` (default 28) so that any probe size works; the encoder
has two stride-2 convolutions (28 -> 14 -> 7) and the decoder mirrors it. Training uses
Adam on the ELBO (Bernoulli-style BCE reconstruction + `beta` x KL), early-stops on a
held-out `validation_fraction` of the images, and keeps the best validation weights.
Everything random (initialisation, split, shuffling, reparameterisation noise) comes from
generators seeded by `random_state`, so two fits with the same seed give the same model.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .images import ImageSource
from .progress import progress_bar
from .validation import (
    Estimator,
    check_fraction,
    check_is_fitted,
    check_matrix,
    check_number,
    check_positive_int,
    check_random_state,
    check_vector,
    resolve_device,
)


class _ConvVAE(nn.Module):
    def __init__(self, latent_dim: int, width: int, image_size: int):
        super().__init__()
        self.image_size = image_size
        self.side = -(-image_size // 4)  # ceil(size / 4): spatial side after two stride-2 convs
        flat = 2 * width * self.side * self.side
        self.encoder = nn.Sequential(
            nn.Conv2d(3, width, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
        )  # fmt: skip
        self.mu = nn.Linear(flat, latent_dim)
        self.logvar = nn.Linear(flat, latent_dim)
        self.expand = nn.Linear(latent_dim, flat)
        self.decoder = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(width, 3, 4, stride=2, padding=1),
        )  # fmt: skip
        self.width = width

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.mu(h), self.logvar(h).clamp(-10, 10)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        h = self.expand(z).view(-1, 2 * self.width, self.side, self.side)
        out = self.decoder(h)
        return out[:, :, : self.image_size, : self.image_size]


class VAE(Estimator):
    """Convolutional variational autoencoder for probe images (scikit-learn style).

    Parameters
    ----------
    latent_dim : size of the latent space (the paper uses 2, 3, 5 and 10).
    epochs : maximum training epochs; training stops earlier when the validation loss has
        not improved for `patience` epochs.
    batch_size, lr : Adam mini-batch size and learning rate.
    beta : weight of the KL term (1 = the standard ELBO).
    width : channels of the first convolution (the second has twice as many).
    image_size : images are resized to this square side before encoding (a multiple of 4).
    validation_fraction : share of the images held out for early stopping (0 disables it,
        and early stopping then watches the training loss).
    patience : epochs without validation improvement before stopping.
    random_state : seed of every random choice; device : "auto" = CUDA when present.
    progress : show a tqdm bar over epochs.

    Fitted attributes: `model_` (the torch module), `history_` (list of dicts with train and
    validation loss per epoch), `n_epochs_`, `best_epoch_`.
    """

    model_: _ConvVAE

    def __init__(
        self,
        latent_dim: int = 3,
        *,
        epochs: int = 40,
        batch_size: int = 64,
        lr: float = 3e-3,
        beta: float = 1.0,
        width: int = 16,
        image_size: int = 28,
        validation_fraction: float = 0.1,
        patience: int = 8,
        random_state: int | None = 0,
        device: Any = "auto",
        progress: bool = False,
    ):
        self.latent_dim = latent_dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.beta = beta
        self.width = width
        self.image_size = image_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.progress = progress

    # -- data ---------------------------------------------------------------------------
    def _images(self, images: Any, name: str = "probes") -> torch.Tensor:
        """All images as float (N, 3, image_size, image_size) in [0, 1]."""
        source = ImageSource(images, name=name)
        x = torch.cat([batch for batch, _ in source.batches(1024)])
        if x.shape[-2:] != (self.image_size, self.image_size):
            x = F.interpolate(
                x, size=(self.image_size, self.image_size), mode="bilinear", antialias=True, align_corners=False
            )
        return x.clamp_(0, 1)

    def _loss(self, model: _ConvVAE, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        mu, logvar = model.encode(x)
        if generator is None:  # evaluation: the posterior mean, no noise
            z = mu
        else:
            noise = torch.randn(mu.shape, generator=generator).to(mu.device)
            z = mu + noise * torch.exp(0.5 * logvar)
        recon = F.binary_cross_entropy_with_logits(model.decode_logits(z), x, reduction="sum") / len(x)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(x)
        return recon + self.beta * kl

    # -- estimator API ------------------------------------------------------------------
    def fit(self, probes: Any) -> VAE:
        """Train on `probes` (any accepted image form); returns self."""
        latent_dim = check_positive_int(self.latent_dim, "latent_dim")
        epochs = check_positive_int(self.epochs, "epochs")
        batch_size = check_positive_int(self.batch_size, "batch_size")
        width = check_positive_int(self.width, "width")
        image_size = check_positive_int(self.image_size, "image_size", minimum=4)
        if image_size % 4:
            raise ValueError(
                f"image_size must be a multiple of 4 (two stride-2 convolutions halve it twice); got {image_size}"
            )
        patience = check_positive_int(self.patience, "patience")
        val_fraction = check_fraction(
            self.validation_fraction, "validation_fraction", low=0.0, high=0.5, inclusive_low=True
        )
        lr = check_number(self.lr, "lr", low=0.0, inclusive=False)
        check_number(self.beta, "beta", low=0.0)
        device = resolve_device(self.device)
        x = self._images(probes)
        if len(x) < 2:
            raise ValueError(f"probes must hold at least 2 images to fit a VAE; got {len(x)}")
        rng = check_random_state(self.random_state)
        seed = int(rng.integers(0, 2**31 - 1))
        order = rng.permutation(len(x))
        n_val = int(round(val_fraction * len(x))) if len(x) >= 10 else 0
        x_val, x_train = x[order[:n_val]].to(device), x[order[n_val:]].to(device)
        with torch.random.fork_rng(devices=[]):  # private init: never touch the global RNG
            torch.manual_seed(seed)
            model = _ConvVAE(latent_dim, width, self.image_size).to(device)
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        steps: Any = range(epochs)
        if self.progress:
            steps = progress_bar(steps, desc="VAE", unit="epoch")
        history: list[dict[str, float]] = []
        best_loss, best_state, best_epoch = float("inf"), copy.deepcopy(model.state_dict()), 0
        for epoch in steps:
            model.train()
            total = 0.0
            perm = torch.randperm(len(x_train), generator=generator)
            for start in range(0, len(perm), batch_size):
                batch = x_train[perm[start : start + batch_size].to(device)]
                optimizer.zero_grad(set_to_none=True)
                loss = self._loss(model, batch, generator)
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(batch)
            model.eval()
            with torch.no_grad():
                val = float(self._loss(model, x_val, None)) if n_val else total / len(x_train)
            history.append({"epoch": epoch, "train_loss": total / len(x_train), "val_loss": val})
            if val < best_loss - 1e-4 * abs(best_loss if np.isfinite(best_loss) else 1.0):
                best_loss, best_state, best_epoch = val, copy.deepcopy(model.state_dict()), epoch
            elif epoch - best_epoch >= patience:
                break
        model.load_state_dict(best_state)
        model.eval()
        self.model_ = model
        self.history_ = history
        self.n_epochs_ = len(history)
        self.best_epoch_ = best_epoch
        return self

    def encode(self, probes: Any, *, batch_size: int = 1024) -> np.ndarray:
        """Posterior means (N, latent_dim) float32 of `probes`."""
        check_is_fitted(self, "model_")
        batch_size = check_positive_int(batch_size, "batch_size")
        x = self._images(probes)
        device = next(self.model_.parameters()).device
        with torch.no_grad():
            parts = [
                self.model_.encode(x[s : s + batch_size].to(device))[0].cpu() for s in range(0, len(x), batch_size)
            ]
        return torch.cat(parts).numpy().astype(np.float32)

    def decode(self, z: Any) -> np.ndarray:
        """Images decoded from latent codes `z` (N, latent_dim): uint8 (N, image_size, image_size, 3)."""
        check_is_fitted(self, "model_")
        z = check_matrix(z, "z")
        if z.shape[1] != self.model_.mu.out_features:
            raise ValueError(
                f"z must have shape (N, {self.model_.mu.out_features}) (latent_dim columns); got {z.shape}"
            )
        device = next(self.model_.parameters()).device
        with torch.no_grad():
            images = torch.sigmoid(self.model_.decode_logits(torch.from_numpy(z).to(device))).cpu()
        return images.mul(255).round().byte().permute(0, 2, 3, 1).numpy()

    def sample(self, n: int = 16, *, random_state: int | None = 0) -> np.ndarray:
        """`n` images decoded from the standard-normal prior: uint8 (n, image_size, image_size, 3)."""
        check_is_fitted(self, "model_")
        n = check_positive_int(n, "n")
        z = check_random_state(random_state).standard_normal((n, self.model_.mu.out_features)).astype(np.float32)
        return self.decode(z)

    def traverse(self, center: Any = None, *, n_steps: int = 7, span: float = 2.0) -> np.ndarray:
        """Decoded images along each latent axis: uint8 (latent_dim, n_steps, H, W, 3).

        Row d varies latent coordinate d from center[d] - span to center[d] + span (prior
        standard deviations) with the other coordinates fixed at `center` (default: zeros,
        the prior mean) -- what each latent direction encodes.
        """
        check_is_fitted(self, "model_")
        dim = self.model_.mu.out_features
        n_steps = check_positive_int(n_steps, "n_steps")
        span = check_number(span, "span", low=0.0)
        centre = np.zeros(dim, dtype=np.float32) if center is None else check_vector(center, "center", dtype=np.float32)
        if centre.shape != (dim,):
            raise ValueError(f"center must have {dim} entries (latent_dim); got shape {centre.shape}")
        offsets = np.linspace(-span, span, n_steps, dtype=np.float32)
        z = np.repeat(centre[None, None, :], dim, axis=0).repeat(n_steps, axis=1)
        z[np.arange(dim), :, np.arange(dim)] += offsets
        images = self.decode(z.reshape(-1, dim))
        return images.reshape(dim, n_steps, *images.shape[1:])
