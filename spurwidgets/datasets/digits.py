"""Coloured digits: the teaching dataset with a colour shortcut.

sklearn's bundled 8x8 digits (no download) are upscaled and painted in a colour that
agrees with the label with probability `correlation` in the training split and is
independent of the label in the validation and test splits. Groups are label x colour,
so worst-group accuracy exposes a model that learned colour instead of shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..compute.validation import check_fraction, check_positive_int
from .imageset import ImageSet

#: Distinct, saturated colours (RGB 0..1); colour k is the shortcut for class k.
PALETTE = np.array(
    [
        [0.95, 0.25, 0.20],  # red
        [0.20, 0.45, 0.95],  # blue
        [0.20, 0.80, 0.25],  # green
        [0.95, 0.80, 0.15],  # yellow
        [0.75, 0.30, 0.90],  # purple
        [0.15, 0.85, 0.85],  # cyan
        [0.95, 0.55, 0.15],  # orange
        [0.95, 0.40, 0.70],  # pink
        [0.60, 0.60, 0.60],  # grey
        [0.55, 0.35, 0.15],  # brown
    ],
    dtype=np.float32,
)
COLOR_NAMES = ["red", "blue", "green", "yellow", "purple", "cyan", "orange", "pink", "grey", "brown"]
SPLITS = {"train": (0.0, 0.6), "val": (0.6, 0.8), "test": (0.8, 1.0)}


def _split_indices(targets: np.ndarray, split: str) -> np.ndarray:
    """Fixed stratified split of the digits (same for every seed, so splits never overlap)."""
    order = np.random.default_rng(12345).permutation(len(targets))
    lo, hi = SPLITS[split]
    chosen = []
    for digit in np.unique(targets):
        members = order[targets[order] == digit]
        chosen.append(members[int(lo * len(members)) : int(hi * len(members))])
    return np.sort(np.concatenate(chosen))


def colored_digits(
    split: str = "train",
    *,
    correlation: float | None = None,
    digits: Sequence[int] | None = None,
    size: int = 28,
    seed: int = 0,
) -> ImageSet:
    """The coloured-digits teaching set.

    Parameters
    ----------
    split : "train" (60% of the digits), "val" (20%) or "test" (20%).
    correlation : probability that an image's colour is its class's colour. Default 0.95
        for "train" and None elsewhere; None (or 1/n_classes) means colour independent of label.
    digits : which digits to keep, each becoming one class in the given order, e.g. (0, 1).
        Default None: binary task, class 0 = digits 0-4, class 1 = digits 5-9.
    size : output side in pixels (the 8x8 digits are upscaled bilinearly).
    seed : seed for colours and brightness jitter.
    """
    from sklearn.datasets import load_digits

    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}; got {split!r}")
    size = check_positive_int(size, "size", minimum=8)
    data = load_digits()
    index = _split_indices(data.target, split)
    pixels, targets = data.images[index] / 16.0, data.target[index]
    if digits is None:
        labels = (targets >= 5).astype(np.int64)
        class_names = ["0-4", "5-9"]
    else:
        digits = [int(d) for d in digits]
        if len(set(digits)) != len(digits) or not digits or min(digits) < 0 or max(digits) > 9 or len(digits) < 2:
            raise ValueError(f"digits must be at least two distinct digits in 0..9; got {digits}")
        keep = np.isin(targets, digits)
        pixels, targets = pixels[keep], targets[keep]
        labels = np.array([digits.index(t) for t in targets], dtype=np.int64)
        class_names = [str(d) for d in digits]
    n_classes = len(class_names)
    if correlation is None and split == "train":
        correlation = 0.95
    rng = np.random.default_rng(seed)
    colors = rng.integers(0, n_classes, size=len(labels))  # independent of the label
    if correlation is not None:
        correlation = check_fraction(correlation, "correlation", inclusive_low=True)
        # With probability `correlation` the colour is the class's own, else a different one.
        other = (labels + rng.integers(1, n_classes, size=len(labels))) % n_classes
        colors = np.where(rng.random(len(labels)) < correlation, labels, other)
    upscaled = F.interpolate(
        torch.from_numpy(pixels[:, None].astype(np.float32)), size=(size, size), mode="bilinear", align_corners=False
    )
    mask = upscaled[:, 0].clamp(0, 1).numpy()
    brightness = rng.uniform(0.75, 1.0, size=(len(labels), 1, 1, 1)).astype(np.float32)
    images = mask[..., None] * PALETTE[colors][:, None, None, :] * brightness
    images = np.round(images * 255).astype(np.uint8)
    groups = labels * n_classes + colors
    group_names = [f"{c} {COLOR_NAMES[k]}" for c in class_names for k in range(n_classes)]
    return ImageSet(images=images, labels=labels, groups=groups, class_names=class_names, group_names=group_names)
