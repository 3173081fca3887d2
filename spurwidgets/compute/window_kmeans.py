"""k-means for MID's capped window clustering, in NumPy float32: a stable subsample, greedy
k-means++ starts, Lloyd iterations, and the distances of many rows to a few centres.

Split from `window_clusters` (which calls these); no widget imports.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state


def stable_subsample(rows: np.ndarray, size: int, random_state) -> np.ndarray:
    """Positions (ascending) of the `size` rows with the smallest pseudo-random priority, a
    hash of (row index, random_state): every sample keeps its priority whatever the window,
    so nearby windows share most of their subsample (and their k-means centres)."""
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    with np.errstate(over="ignore"):  # splitmix64: wrapping uint64 arithmetic
        z = rows.astype(np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return np.sort(np.argpartition(z, size - 1)[:size])


def lloyd_kmeans(x: np.ndarray, n_clusters: int, rng, n_init: int = 4, max_iter: int = 100, init=None) -> np.ndarray:
    """Centres (k, D) of the best of `n_init` k-means runs (lowest inertia) on x (n, D), or of
    one run from the centres `init` (k, D)."""
    x_sq = (x * x).sum(1)
    best, best_inertia = None, np.inf
    for _ in range(1 if init is not None else n_init):
        if init is not None:
            centers = np.array(init, dtype=x.dtype)
        else:
            seed = int(rng.randint(np.iinfo(np.int32).max))
            centers = kmeans_plusplus_init(x, n_clusters, x_sq, np.random.RandomState(seed))
        assigned = None
        for _ in range(max_iter):
            distances = (centers * centers).sum(1)[None, :] - 2.0 * (x @ centers.T)  # + ||x||^2: same for all
            new = distances.argmin(1)
            if assigned is not None and np.array_equal(new, assigned):
                break
            assigned = new
            counts = np.bincount(assigned, minlength=n_clusters)
            one_hot = np.zeros((n_clusters, len(x)), dtype=x.dtype)
            one_hot[assigned, np.arange(len(x))] = 1.0
            sums = one_hot @ x  # a matrix product: np.add.at is ~50x slower here
            filled = counts > 0  # an emptied cluster keeps its previous centre
            centers[filled] = sums[filled] / counts[filled, None]
        inertia = float(np.maximum(distances[np.arange(len(x)), new] + x_sq, 0).sum())
        if inertia < best_inertia:
            best, best_inertia = centers.copy(), inertia
    assert best is not None
    return best


def kmeans_plusplus_init(x: np.ndarray, n_clusters: int, x_sq: np.ndarray, rng) -> np.ndarray:
    """Greedy k-means++ starts (k, D) in x's dtype, as scikit-learn's `kmeans_plusplus`: each
    new centre is the best of 2 + log(k) points drawn in proportion to their squared distance
    to the chosen ones. scikit-learn's converts float32 rows to float64 batch by batch (~10x
    slower here); the products stay in float32, the potentials are summed in float64."""
    n = len(x)
    trials = 2 + int(np.log(n_clusters))
    centers = np.empty((n_clusters, x.shape[1]), dtype=x.dtype)
    first = rng.randint(n)
    centers[0] = x[first]
    closest = np.maximum(x_sq - 2.0 * (x @ x[first]) + x_sq[first], 0).astype(np.float64)
    potential = closest.sum()
    for c in range(1, n_clusters):
        picks = np.searchsorted(np.cumsum(closest), rng.uniform(size=trials) * potential)
        picks = np.minimum(picks, n - 1)
        d = np.maximum(x_sq[None, :] - 2.0 * (x[picks] @ x.T) + x_sq[picks, None], 0)
        d = np.minimum(closest[None, :], d)
        potentials = d.sum(1)
        best = int(potentials.argmin())
        closest, potential = d[best], potentials[best]
        centers[c] = x[picks[best]]
    return centers


def center_distances(features, rows: np.ndarray, centers: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """float32 (len(rows), k): ||c||^2 - 2 x.c for each of `features[rows]` (the squared
    distance minus ||x||^2, so its row argmin is the nearest centre), read `chunk` rows at a
    time into one reused buffer (a fresh chunk each time costs its page faults again)."""
    c = np.asarray(centers, dtype=np.float32)
    c_sq = (c * c).sum(1)
    out = np.empty((len(rows), len(c)), dtype=np.float32)
    in_place = isinstance(features, np.ndarray)  # np.take into the buffer; else plain indexing
    buffer = np.empty((min(chunk, len(rows)), features.shape[1]), dtype=features.dtype) if in_place else None
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        x = np.take(features, part, axis=0, out=buffer[: len(part)]) if buffer is not None else features[part]
        x = np.asarray(x, dtype=np.float32)
        np.matmul(x, c.T, out=out[start : start + len(part)])
    out *= -2.0
    out += c_sq[None, :]
    return out
