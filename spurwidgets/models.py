"""A small CNN for teaching and a reproducible training loop (seconds on a laptop CPU)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .compute.heads import replace_head as replace_head
from .compute.images import ImageSource
from .compute.validation import check_labels, check_positive_int, resolve_device


class SmallCNN(nn.Module):
    """Three conv blocks, global average pooling, one linear head.

    `features` (a module name usable as `extract(..., layer="features")`) gives spatial maps
    whose channels are exactly the penultimate features (the head's input after pooling), so
    the activation map of feature i is channel i of `features`.
    """

    def __init__(self, n_classes: int = 2, width: int = 32, random_state: int = 0):
        super().__init__()
        n_classes = check_positive_int(n_classes, "n_classes")
        width = check_positive_int(width, "width")
        # Seed a private generator so that building the model never touches the global RNG.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(random_state)
            self.features = nn.Sequential(
                nn.Conv2d(3, width // 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(width // 2, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            )  # fmt: skip
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.features(x)).flatten(1))


def train_classifier(
    model: nn.Module,
    imageset: Any,
    labels: Any = None,
    *,
    epochs: int = 8,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    device: Any = "auto",
    progress: bool = True,
) -> nn.Module:
    """Train `model` with Adam and cross-entropy; returns the model (in eval mode).

    `imageset` is an ImageSet (labels taken from it) or any image array with `labels=`.
    Shuffling uses a private generator seeded with `seed`, so runs are reproducible on CPU.
    """
    source = ImageSource(imageset, name="imageset")
    labels = source.labels if labels is None else labels
    if labels is None:
        raise ValueError("labels are needed: pass an ImageSet or labels=")
    labels = check_labels(labels, "labels", n=len(source))
    epochs = check_positive_int(epochs, "epochs")
    device = resolve_device(device)
    images = source.float_images(np.arange(len(source)))
    targets = torch.from_numpy(labels)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    steps = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="train", unit="epoch")
    for _ in steps:
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            x, y = images[batch].to(device), targets[batch].to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
    return model.eval()


def predict(model: nn.Module, images: Any, *, batch_size: int = 256, device: Any = "auto") -> np.ndarray:
    """Predicted labels (N,) of `model` on `images` (argmax of the logits; sign for one logit)."""
    from .compute.extract import extract

    logits = extract(model, images, batch_size=batch_size, device=device).logits
    return (logits[:, 0] > 0).astype(np.int64) if logits.shape[1] == 1 else logits.argmax(1)
