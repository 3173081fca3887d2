"""Principal directions of a weighted feature matrix by a randomized SVD on a row sample.

`refit_head(rank=r)` fits its head in the span of the top-r directions plus the group-mean
contrasts they miss (`with_group_means`): the refit then reads an (N, r + g) matrix instead of
(N, D), and the penalty keeps its meaning (the directions are orthonormal, so
||w_r U^T|| = ||w_r||). Without the contrasts, features whose variance is spread over many
more than r directions lost 9-10 points of worst-group accuracy (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

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


def with_group_means(features: np.ndarray, weights: np.ndarray, codes: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """`basis` (D, r) extended by the directions of the per-group weighted means that it misses.

    Each group's mean minus the overall weighted mean, with its component in `basis` removed;
    the orthonormal directions of what remains (an SVD: g groups give at most g - 1), dropping
    those whose share is under 1e-3 of the largest contrast, and keeping at most r (with many
    groups, the strongest), so the projected fit stays at most 2r wide.
    What a logistic head most needs (the class and group contrasts) is then in the span even
    when those contrasts carry little variance (unsupervised directions miss them when the
    features' variance is spread over many more directions than `r`). One pass over the rows.
    """
    ids, inverse = np.unique(codes, return_inverse=True)
    if len(ids) < 2:
        return basis
    w = np.asarray(weights, dtype=np.float64)
    totals = np.bincount(inverse, weights=w, minlength=len(ids))
    share = (w / np.maximum(totals[inverse], 1e-300)).astype(np.float32)
    one_hot = sparse.csr_matrix((share, (inverse, np.arange(len(codes)))), shape=(len(ids), len(codes)))
    means = np.asarray(one_hot @ features, dtype=np.float64)  # (groups, D), no (groups, n) dense matrix
    contrasts = (means - totals @ means / totals.sum()).T  # (D, groups)
    outside = contrasts - basis @ (basis.T @ contrasts)
    with one_blas_thread():
        directions, strength, _ = np.linalg.svd(outside, full_matrices=False)
    kept = strength > 1e-3 * max(np.linalg.norm(contrasts, axis=0).max(), 1e-300)
    extra = directions[:, kept][:, : basis.shape[1]]  # at most r more (many classes: the strongest)
    if extra.shape[1] == 0:
        return basis
    extra -= basis @ (basis.T @ extra)  # re-orthogonalise once (the basis is float32)
    extra /= np.linalg.norm(extra, axis=0)
    return np.ascontiguousarray(np.hstack([basis, extra.astype(np.float32)]))
