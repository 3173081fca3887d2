"""Probe sets: images that carry a suspected cue, to feed to a classifier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..compute.validation import check_positive_int, check_random_state
from .imageset import ImageSet


def solid_color_probes(n: int = 1000, size: int = 28, seed: int = 0) -> np.ndarray:
    """`n` images of one uniformly random RGB colour each: uint8 (n, size, size, 3)."""
    n = check_positive_int(n, "n")
    size = check_positive_int(size, "size")
    colors = check_random_state(seed).integers(0, 256, size=(n, 1, 1, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.broadcast_to(colors, (n, size, size, 3)))


def noise_probes(n: int = 1000, size: int = 28, seed: int = 0) -> np.ndarray:
    """`n` images of independent uniform RGB noise: uint8 (n, size, size, 3)."""
    n = check_positive_int(n, "n")
    size = check_positive_int(size, "size")
    return check_random_state(seed).integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


PROBE_KINDS: dict[str, Callable[..., np.ndarray]] = {"solid_color": solid_color_probes, "noise": noise_probes}


def register_probe_kind(name: str, factory: Callable[..., np.ndarray]) -> None:
    """Make `probe_set(kind=name, ...)` call `factory(n=, size=, seed=, **kwargs)` (e.g. textures, patches)."""
    if not callable(factory):
        raise TypeError(f"factory must be callable; got {type(factory).__name__}")
    PROBE_KINDS[name] = factory


def probe_set(kind: str = "solid_color", n: int = 1000, size: int = 28, seed: int = 0, **kwargs: Any):
    """A probe set as an ImageSet (labels are all 0: probes have no class)."""
    if kind not in PROBE_KINDS:
        raise ValueError(f"kind must be one of {sorted(PROBE_KINDS)}; got {kind!r} (add one with register_probe_kind)")
    images = PROBE_KINDS[kind](n=n, size=size, seed=seed, **kwargs)
    return ImageSet(images=images, labels=np.zeros(len(images), dtype=np.int64), class_names=["probe"])
