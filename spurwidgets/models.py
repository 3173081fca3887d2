"""A small CNN for teaching and a reproducible training loop (seconds on a laptop CPU)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .compute.deprecation import renamed_arguments
from .compute.extract import extract, get_module
from .compute.heads import replace_head as replace_head
from .compute.images import ImageSource
from .compute.model_io import Preprocess, call_model, find_head, wants_pixel_values
from .compute.predictions import predicted_classes
from .compute.progress import progress_bar
from .compute.validation import check_labels, check_positive_int, resolve_device
from .datasets.digits import pretraining_digits


class SmallCNN(nn.Module):
    """Three conv blocks, global average pooling, one linear head.

    `features` (a module name usable as `extract(..., layer="features")`) gives spatial maps
    whose channels are exactly the penultimate features (the head's input after pooling), so
    the activation map of feature i is channel i of `features`.

    `feature_dim`: when set, a 1x1 conv (+ ReLU) widens the last block to `feature_dim`
    channels before pooling, as ResNets widen their last stage: a linear head then separates
    unions of classes (digits 0-4 against 5-9) that 32 pooled channels cannot. It is seeded
    with `random_state + 1000`, so the three conv blocks start exactly as without it.
    """

    def __init__(
        self,
        n_classes: int = 2,
        width: int = 32,
        random_state: int = 0,
        *,
        batch_norm: bool = False,
        feature_dim: int | None = None,
    ):
        super().__init__()
        n_classes = check_positive_int(n_classes, "n_classes")
        width = check_positive_int(width, "width")
        if feature_dim is not None:
            feature_dim = check_positive_int(feature_dim, "feature_dim")
        self.batch_norm = bool(batch_norm)
        self.width, self.feature_dim = width, feature_dim

        def norm(channels: int) -> list[nn.Module]:
            return [nn.BatchNorm2d(channels)] if batch_norm else []

        # Seed a private generator so that building the model never touches the global RNG.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(random_state)
            self.features = nn.Sequential(
                nn.Conv2d(3, width // 2, 3, padding=1), *norm(width // 2), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(width // 2, width, 3, padding=1), *norm(width), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(width, width, 3, padding=1), *norm(width), nn.ReLU(),
            )  # fmt: skip
            self.pool = nn.AdaptiveAvgPool2d(1)
            if feature_dim is None:
                self.fc = nn.Linear(width, n_classes)
        if feature_dim is not None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(random_state + 1000)
                self.features.extend([nn.Conv2d(width, feature_dim, 1), *norm(feature_dim), nn.ReLU()])
                self.fc = nn.Linear(feature_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.features(x)).flatten(1))

    @classmethod
    def pretrained(cls, n_classes: int = 2, *, random_state: int = 0, **kwargs: Any) -> SmallCNN:
        """The teaching backbone (`pretrained_backbone`, cached) with a fresh `n_classes` head
        seeded by `random_state`; fine-tune it with `train_classifier`."""
        backbone = pretrained_backbone(random_state=random_state, **kwargs)
        model = cls(n_classes, backbone.width, random_state, batch_norm=True, feature_dim=backbone.feature_dim)
        model.features.load_state_dict(backbone.features.state_dict())
        return model


@renamed_arguments(seed="random_state")
def train_classifier(
    model: nn.Module,
    imageset: Any,
    labels: Any = None,
    *,
    epochs: int = 8,
    batch_size: int = 64,
    lr: float = 3e-3,
    head_lr: float | None = None,
    cosine: bool = False,
    random_state: int = 0,
    device: Any = "auto",
    progress: bool = True,
    processor: Any = None,
) -> nn.Module:
    """Train `model` with Adam and cross-entropy; returns the model (in eval mode).

    `imageset` is an ImageSet (labels taken from it) or any image array with `labels=`.
    Shuffling uses a private generator seeded with `random_state` (`seed=` is its deprecated
    former name), so runs are reproducible on CPU.
    `head_lr`: learning rate of the model's head (its `fc`, `classifier` or `head` Linear, as
    `extract` finds it) when it differs from `lr`, e.g. to fine-tune a pretrained backbone
    gently while its fresh head learns fast. `cosine=True` decays the learning rates to 0
    along a cosine over all steps. Any model `extract` takes trains here: Hugging Face models
    get `pixel_values=` and their `.logits` are used; `processor=` (as in `extract`) prepares
    each batch. A model with one logit is trained with the logistic loss.
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
    pixel_values = wants_pixel_values(model)
    preprocess = Preprocess(processor) if processor is not None else None
    model.to(device).train()
    head_name = find_head(model)
    head = get_module(model, head_name) if head_name is not None else None
    if head_lr is not None and head is not None:
        head_ids = {id(p) for p in head.parameters()}
        rest = [p for p in model.parameters() if id(p) not in head_ids]
        groups = [{"params": rest, "lr": lr}, {"params": list(head.parameters()), "lr": head_lr}]
        optimizer = torch.optim.Adam(groups, lr=lr)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    total = epochs * ((len(images) + batch_size - 1) // batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + np.cos(np.pi * step / total)) if cosine else 1.0
    )
    generator = torch.Generator().manual_seed(random_state)
    steps = range(epochs)
    if progress:
        steps = progress_bar(steps, desc="train", unit="epoch")
    for _ in steps:
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            x, y = images[batch].to(device), targets[batch].to(device)
            optimizer.zero_grad(set_to_none=True)
            if preprocess is not None:
                x = preprocess(x)
            logits = call_model(model, x, pixel_values)
            if logits.shape[1] == 1:
                loss = nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
            else:
                loss = nn.functional.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return model.eval()


def predict(
    model: nn.Module, images: Any, *, batch_size: int = 256, device: Any = "auto", processor: Any = None
) -> np.ndarray:
    """Predicted labels (N,) of `model` on `images` (argmax of the logits; sign for one logit).
    `processor=`: a Hugging Face image processor or callable, as in `extract`."""
    logits = extract(model, images, batch_size=batch_size, device=device, processor=processor).logits
    return predicted_classes(logits)


#: Bump when the pretraining recipe changes: cached weights of another version are not reused.
PRETRAIN_VERSION = 4


def cache_dir() -> Path:
    """Where spurwidgets caches files: $XDG_CACHE_HOME/spurwidgets (default ~/.cache/spurwidgets)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "spurwidgets"


def pretrained_backbone(
    random_state: int = 0,
    *,
    width: int = 32,
    feature_dim: int | None = 256,
    epochs: int = 6,
    copies: int | None = None,
    cache: bool = True,
) -> SmallCNN:
    """A SmallCNN pretrained on 10-way digit identity: the lesson's stand-in for ImageNet.

    Its penultimate layer has `feature_dim` features (256: see `SmallCNN`; None keeps the
    `width` pooled channels of PRETRAIN_VERSION 3, whose group-balanced linear probe stays
    near 0.85 worst-group accuracy on 0-4 vs 5-9, against ~0.9 with 256).

    Trained on `datasets.pretraining_digits` (digits reserved for pretraining, never in a
    lesson split; random stroke colours, scales, rotations and shifts, so no shortcut), with
    Adam for `epochs` epochs (seconds on 2 CPU cores). Deterministic for `random_state` on
    CPU. With `cache=True` the weights are stored in `cache_dir()` under a name holding every
    argument and `PRETRAIN_VERSION`, and reused by later calls. Returns the model in eval
    mode, its `fc` a 10-way digit head.
    """
    width = check_positive_int(width, "width")
    epochs = check_positive_int(epochs, "epochs")
    if feature_dim is not None:
        feature_dim = check_positive_int(feature_dim, "feature_dim")
    name = f"smallcnn_v{PRETRAIN_VERSION}_w{width}_f{feature_dim}_e{epochs}_c{copies}_s{random_state}.pt"
    path = cache_dir() / name
    model = SmallCNN(n_classes=10, width=width, random_state=random_state, batch_norm=True, feature_dim=feature_dim)
    if cache and path.exists():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.eval()
    data = pretraining_digits(random_state=random_state, copies=copies)
    train_classifier(
        model, data, epochs=epochs, lr=3e-3, cosine=True, random_state=random_state, device="cpu", progress=False
    )
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    return model.eval()
