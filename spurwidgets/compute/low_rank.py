"""Principal directions of a weighted feature matrix by a randomized SVD on a row sample.

`refit_head(rank=r)` fits its head in the span of the top-r directions: the refit then reads
an (N, r) matrix instead of (N, D), and the penalty keeps its meaning (the directions are
orthonormal, so ||w_r U^T|| = ||w_r||).
"""

from __future__ import annotations

import numpy as np

from .logistic_solver import one_blas_thread

#: Rows the directions are estimated from (a fixed, seed-0 random subset when there are more).
SKETCH_ROWS = 4096
#: Extra random directions of the sketch (Halko, Martinsson & Tropp's oversampling).
OVERSAMPLE = 16


def principal_directions(features: np.ndarray, weights: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), U (D, rank) orthonormal): the weighted mean and the top-`rank` principal
    directions of the centred features, from at most SKETCH_ROWS rows.

    One power iteration: Q = orth(X^T X Omega), then the SVD of X Q (rows x (rank + 16)) gives
    the directions; three products of the (rows x D) sample with D x (rank + 16) matrices.
    Deterministic (seed 0).
    """
    n, dim = features.shape
    rng = np.random.default_rng(0)
    rows = np.arange(n) if n <= SKETCH_ROWS else np.sort(rng.choice(n, size=SKETCH_ROWS, replace=False))
    sample = np.array(features[rows], dtype=np.float32)
    w = weights[rows].astype(np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(len(rows), 1.0 / len(rows))
    mean = (w @ sample).astype(np.float32)
    sample -= mean
    sample *= np.sqrt(w).astype(np.float32)[:, None]
    width = min(dim, rank + OVERSAMPLE)
    omega = rng.standard_normal((dim, width)).astype(np.float32)
    range_ = sample.T @ (sample @ omega)  # (D, width): the range of X^T X
    with one_blas_thread():  # small LAPACK calls: a second thread only waits
        basis, _ = np.linalg.qr(range_)
        _, _, vt = np.linalg.svd(sample @ basis, full_matrices=False)
    return mean, np.ascontiguousarray((basis @ vt.T[:, :rank]).astype(np.float32))
