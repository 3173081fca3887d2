"""Probe sets: images that carry a suspected cue, to feed to a classifier."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..compute.deprecation import renamed_arguments
from ..compute.imageset import ImageSet
from ..compute.validation import check_positive_int, check_random_state


@renamed_arguments(seed="random_state")
def solid_color_probes(n: int = 1000, size: int = 28, random_state: Any = 0) -> np.ndarray:
    """`n` images of one uniformly random RGB colour each: uint8 (n, size, size, 3).

    `random_state` (int, None or numpy Generator) draws the colours; `seed=` is its former
    name, still accepted with a DeprecationWarning and giving the same images.
    """
    n = check_positive_int(n, "n")
    size = check_positive_int(size, "size")
    colors = check_random_state(random_state).integers(0, 256, size=(n, 1, 1, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.broadcast_to(colors, (n, size, size, 3)))


@renamed_arguments(seed="random_state")
def noise_probes(n: int = 1000, size: int = 28, random_state: Any = 0) -> np.ndarray:
    """`n` images of independent uniform RGB noise: uint8 (n, size, size, 3)."""
    n = check_positive_int(n, "n")
    size = check_positive_int(size, "size")
    return check_random_state(random_state).integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


PROBE_KINDS: dict[str, Callable[..., np.ndarray]] = {"solid_color": solid_color_probes, "noise": noise_probes}


def register_probe_kind(name: str, factory: Callable[..., np.ndarray]) -> None:
    """Make `probe_set(kind=name, ...)` call `factory(n=, size=, random_state=, **kwargs)` (e.g. textures, patches).

    A factory written for the former name, `factory(n=, size=, seed=)`, still works: it is
    registered with a DeprecationWarning and called with `seed=`.
    """
    if not callable(factory):
        raise TypeError(f"factory must be callable; got {type(factory).__name__}")
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a callable without a readable signature: assume the current one
        parameters = {}  # type: ignore[assignment]
    if "seed" in parameters and "random_state" not in parameters:
        warnings.warn(
            f"probe factory {name!r} takes seed=, a deprecated name; take random_state= instead",
            DeprecationWarning,
            stacklevel=2,
        )
        PROBE_KINDS[name] = lambda *, random_state=0, **kwargs: factory(seed=random_state, **kwargs)
        return
    PROBE_KINDS[name] = factory


@renamed_arguments(seed="random_state")
def probe_set(kind: str = "solid_color", n: int = 1000, size: int = 28, random_state: Any = 0, **kwargs: Any):
    """A probe set as an ImageSet (labels are all 0: probes have no class)."""
    if kind not in PROBE_KINDS:
        raise ValueError(f"kind must be one of {sorted(PROBE_KINDS)}; got {kind!r} (add one with register_probe_kind)")
    images = PROBE_KINDS[kind](n=n, size=size, random_state=random_state, **kwargs)
    return ImageSet(images=images, labels=np.zeros(len(images), dtype=np.int64), class_names=["probe"])
