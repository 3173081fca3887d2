"""Coloured digits: the teaching dataset with a shortcut (colour, a patch position or a texture).

sklearn's bundled 8x8 digits (1797 images, no download) are split once, by source digit,
into four disjoint pools: "pretrain" (reserved for the teaching backbone, see
`models.pretrained_backbone`; never part of a lesson split), "train", "val" and "test".
Each source digit is drawn several times with a random scale, rotation and shift
(deterministic for `random_state`), so minority groups hold dozens of examples.

A shortcut attribute (one value per class) agrees with the label with probability
`correlation` in "train" and "val" (the held-out split with the *training* correlation:
the model never trains on it; MID's window and every refit use it) and is independent of
the label in "test". Groups are label x attribute, so worst-group accuracy exposes a model
that learned the shortcut instead of the digit's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..compute.deprecation import renamed_arguments
from ..compute.imageset import ImageSet
from ..compute.validation import check_fraction, check_positive_int

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
#: Share of the source digits in each pool (stratified by digit, fixed for every random_state).
SPLITS = {"pretrain": (0.0, 0.3), "train": (0.3, 0.65), "val": (0.65, 0.85), "test": (0.85, 1.0)}
#: Default number of drawings of each source digit per split.
COPIES = {"pretrain": 8, "train": 4, "val": 5, "test": 4}
SHORTCUTS = ("color", "patch", "texture")


def _source_digits() -> Any:
    """scikit-learn's 8x8 digits (1797 images, bundled with scikit-learn: no download)."""
    from sklearn.datasets import load_digits  # sklearn.datasets costs ~1 s to import: only when digits are drawn

    return load_digits()


def _split_indices(targets: np.ndarray, split: str) -> np.ndarray:
    """Fixed stratified split of the source digits (same for every random_state, so pools never overlap)."""
    order = np.random.default_rng(12345).permutation(len(targets))
    lo, hi = SPLITS[split]
    chosen = []
    for digit in np.unique(targets):
        members = order[targets[order] == digit]
        chosen.append(members[int(lo * len(members)) : int(hi * len(members))])
    return np.sort(np.concatenate(chosen))


def draw_digits(pixels: np.ndarray, size: int, rng: np.random.Generator, jitter: bool = True) -> np.ndarray:
    """Stroke masks (N, size, size) in [0, 1]: 8x8 digits upscaled, then (jitter=True) randomly
    scaled (0.8-1.0), rotated (+-10 degrees) and shifted (+-10% of the side)."""
    n = len(pixels)
    upscaled = F.interpolate(
        torch.from_numpy(pixels[:, None].astype(np.float32)), size=(size, size), mode="bilinear", align_corners=False
    )
    if not jitter:
        return upscaled[:, 0].clamp(0, 1).numpy()
    scale = rng.uniform(1.0, 1.0 / 0.8, n)  # the sampling grid grows = the digit shrinks
    angle = np.deg2rad(rng.uniform(-10, 10, n))
    shift = rng.uniform(-0.2, 0.2, (n, 2))  # normalised coordinates: +-10% of the side
    theta = np.zeros((n, 2, 3), dtype=np.float32)
    theta[:, 0, 0], theta[:, 0, 1] = scale * np.cos(angle), -scale * np.sin(angle)
    theta[:, 1, 0], theta[:, 1, 1] = scale * np.sin(angle), scale * np.cos(angle)
    theta[:, :, 2] = shift
    grid = F.affine_grid(torch.from_numpy(theta), [n, 1, size, size], align_corners=False)
    moved = F.grid_sample(upscaled, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return moved[:, 0].clamp(0, 1).numpy()


def _attribute_names(shortcut: str, n: int) -> list[str]:
    if shortcut == "color":
        return COLOR_NAMES[:n]
    if shortcut == "patch":
        return [f"patch {k}" for k in range(n)]
    return [f"stripes {round(180 * k / n)}°" for k in range(n)]


def _paint(mask: np.ndarray, shortcut: str, attribute: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """RGB float images (N, S, S, 3): the stroke painted, plus the shortcut attribute."""
    size = mask.shape[1]
    brightness = rng.uniform(0.75, 1.0, size=(len(mask), 1, 1, 1)).astype(np.float32)
    colour = attribute if shortcut == "color" else rng.integers(0, len(PALETTE), len(mask))
    images = mask[..., None] * PALETTE[colour][:, None, None, :] * brightness
    if shortcut == "patch":  # a white square on the top edge; its position is the attribute
        side = max(2, size // 6)
        for k in range(n):
            x = int(round(k * (size - side) / max(1, n - 1)))
            images[attribute == k, :side, x : x + side] = 1.0
    elif shortcut == "texture":  # faint stripes behind the digit; their angle is the attribute
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        for k in range(n):
            a = np.pi * k / n
            stripes = (np.sin((xx * np.cos(a) + yy * np.sin(a)) * 2 * np.pi / 4) > 0).astype(np.float32) * 0.35
            chosen = attribute == k
            images[chosen] = np.maximum(images[chosen], stripes[None, :, :, None] * (1 - mask[chosen, :, :, None]))
    return images


@renamed_arguments(seed="random_state")
def colored_digits(
    split: str = "train",
    *,
    correlation: float | None = None,
    digits: Sequence[int] | None = None,
    size: int = 28,
    random_state: int = 0,
    shortcut: str = "color",
    copies: int | None = None,
) -> ImageSet:
    """The coloured-digits teaching set.

    Parameters
    ----------
    split : "train" (35% of the source digits), "val" (20%, held out, same correlation as
        "train") or "test" (15%, attribute independent of the label). The other 30% are
        reserved for pretraining (`pretraining_digits`).
    correlation : probability that an image's attribute is its class's own. Default 0.95
        for "train" and "val", None for "test"; None (or 1/n_classes) means independent.
    digits : which digits to keep, each becoming one class in the given order, e.g. (0, 1).
        Default None: binary task, class 0 = digits 0-4, class 1 = digits 5-9.
    size : output side in pixels.
    random_state : int seeding the drawings (scale, rotation, shift), attributes and
        brightness (`seed=` is its deprecated former name).
    shortcut : "color" (stroke colour), "patch" (position of a white square on the top
        edge; random stroke colours) or "texture" (angle of faint background stripes; random
        stroke colours).
    copies : drawings of each source digit (default 4 for train/test, 5 for val); 1 with no
        random jitter reproduces the plain upscaled digits.
    """
    if split not in SPLITS or split == "pretrain":
        raise ValueError(f"split must be one of ['train', 'val', 'test']; got {split!r}")
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut must be one of {list(SHORTCUTS)}; got {shortcut!r}")
    size = check_positive_int(size, "size", minimum=8)
    copies = COPIES[split] if copies is None else check_positive_int(copies, "copies")
    data = _source_digits()
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
    pixels, labels = np.repeat(pixels, copies, axis=0), np.repeat(labels, copies)
    n_classes = len(class_names)
    if correlation is None and split != "test":
        correlation = 0.95
    rng = np.random.default_rng([random_state, list(SPLITS).index(split), SHORTCUTS.index(shortcut)])
    mask = draw_digits(pixels, size, rng, jitter=copies > 1)
    attribute = rng.integers(0, n_classes, size=len(labels))  # independent of the label
    if correlation is not None:
        correlation = check_fraction(correlation, "correlation", inclusive_low=True)
        # With probability `correlation` the attribute is the class's own, else a different one.
        other = (labels + rng.integers(1, n_classes, size=len(labels))) % n_classes
        attribute = np.where(rng.random(len(labels)) < correlation, labels, other)
    images = _paint(mask, shortcut, attribute, n_classes, rng)
    images = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
    groups = labels * n_classes + attribute
    names = _attribute_names(shortcut, n_classes)
    group_names = [f"{c} {names[k]}" for c in class_names for k in range(n_classes)]
    return ImageSet(images=images, labels=labels, groups=groups, class_names=class_names, group_names=group_names)


@renamed_arguments(seed="random_state")
def pretraining_digits(*, size: int = 28, random_state: int = 0, copies: int | None = None) -> ImageSet:
    """10-way digit identity on the reserved "pretrain" source digits: random stroke colours
    (any RGB), random scale/rotation/shift, no shortcut. Never overlaps `colored_digits`."""
    size = check_positive_int(size, "size", minimum=8)
    copies = COPIES["pretrain"] if copies is None else check_positive_int(copies, "copies")
    data = _source_digits()
    index = _split_indices(data.target, "pretrain")
    pixels = np.repeat(data.images[index] / 16.0, copies, axis=0)
    labels = np.repeat(data.target[index], copies).astype(np.int64)
    rng = np.random.default_rng([random_state, 99])
    mask = draw_digits(pixels, size, rng)
    colour = rng.uniform(0.15, 1.0, size=(len(labels), 1, 1, 3)).astype(np.float32)
    colour /= colour.max(axis=3, keepdims=True)  # saturated: the brightest channel is 1
    brightness = rng.uniform(0.75, 1.0, size=(len(labels), 1, 1, 1)).astype(np.float32)
    images = np.round(mask[..., None] * colour * brightness * 255).astype(np.uint8)
    return ImageSet(images=images, labels=labels, class_names=[str(d) for d in range(10)])
