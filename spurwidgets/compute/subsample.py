"""Row subsamples for huge N: group-balanced (DFR-style refits) and density-aware (scatter plots)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import check_random_state


def subsample_rows(groups: np.ndarray | None, n: int, size: int, random_state: Any) -> np.ndarray:
    """Ascending indices of `size` of `n` rows: uniform, or group-balanced when `groups` is given.

    Group-balanced (DFR): groups smaller than an equal share are taken whole and the rest of
    the budget is split equally among the larger ones (+-1 row), each drawing its rows at random.
    """
    rng = check_random_state(random_state)
    if groups is None:
        return np.sort(rng.choice(n, size=size, replace=False)).astype(np.int64)
    if size >= n:
        return np.arange(n, dtype=np.int64)
    groups = np.asarray(groups)
    if groups.dtype.kind in "iu" and groups.min() >= 0 and groups.max() < 4 * n:
        inverse = groups  # small non-negative ids: bincount instead of np.unique's sort
        counts = np.bincount(inverse)
    else:
        _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    # Round robin over groups: a row's priority is its (random) rank inside its group plus a
    # random fraction, so every group gives its r-th row before any group gives its (r+1)-th;
    # the `size` smallest priorities are an equal share per group, small groups whole.
    order = np.argsort(inverse + rng.random(n))  # by group, random inside each group
    first = np.cumsum(counts) - counts
    priority = np.empty(n)
    priority[order] = np.arange(n) - first[inverse[order]] + rng.random(n)
    return np.sort(np.argpartition(priority, size - 1)[:size]).astype(np.int64)


def density_subsample(points: np.ndarray, size: int, random_state: Any = 0, grid: int | None = None) -> np.ndarray:
    """Ascending indices of `size` of the (N, 2) `points`, thinning dense regions first.

    The plane is cut into grid x grid cells balanced like `subsample_rows` (in expectation):
    sparse cells (outliers, small clusters) keep every point, dense cells share the rest, so
    what a person should notice stays visible (the idea of Embedding Atlas' density sampling).
    Default grid: sqrt(size / 16) cells a side (4..512), i.e. >= 16 drawn points per cell.
    """
    points = np.asarray(points)
    if grid is None:
        grid = int(np.clip(np.sqrt(size / 16), 4, 512))
    lo = points.min(axis=0)
    span = np.maximum(points.max(axis=0) - lo, np.finfo(np.float32).tiny)
    cell = np.minimum(((points - lo) / span * grid).astype(np.int64), grid - 1)
    cell = cell[:, 0] * grid + cell[:, 1]
    n = len(points)
    if size >= n:
        return np.arange(n, dtype=np.int64)
    # No sort over N (5M points: seconds): the equal share t per cell comes from the sorted
    # occupied-cell counts (<= grid^2), then cells with <= t points are kept whole (key < 0)
    # and denser cells fill the rest by random keys scaled by count / t (about t per cell).
    counts = np.bincount(cell, minlength=grid * grid)
    sizes = np.sort(counts[counts > 0])
    below = np.concatenate([[0], np.cumsum(sizes)[:-1]])  # points in smaller cells
    share = (size - below) / (len(sizes) - np.arange(len(sizes)))  # t if the cells from here on are the dense ones
    t = share[np.flatnonzero(sizes > share)[0]] if (sizes > share).any() else float(sizes[-1])
    rng = check_random_state(random_state)
    density = counts[cell] / t
    key = rng.random(n) * np.maximum(density, 1.0)
    key[density <= 1.0] -= 1.0
    return np.sort(np.argpartition(key, size - 1)[:size]).astype(np.int64)
