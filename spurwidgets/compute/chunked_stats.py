"""Per-class statistics of a large (N, D) matrix in bounded memory.

The features of a 1M x 2048 model (8 GB of float32, often a memory-mapped file) cannot be
copied per class in float64. `class_moments` reads row blocks of ~16 MB, sorts each block's
rows by label and reduces them with `np.add.reduceat`, then merges the block's per-class
mean and sum of squared deviations into float64 accumulators with Chan et al.'s pairwise
update, which is as accurate as a two-pass computation (no sum-of-squares cancellation).
Peak extra memory: a few blocks plus the (C, D) float64 accumulators.
"""

from __future__ import annotations

import numpy as np

from .validation import CHUNK_BYTES, row_chunks


def class_moments(
    features: np.ndarray, labels: np.ndarray, n_classes: int, chunk_bytes: int = CHUNK_BYTES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(counts (C,) int64, mean (C, D) float64, variance (C, D) float64, population i.e. ddof=0).

    `labels` are ints in 0..n_classes-1; classes without rows get mean 0 and variance 0.
    """
    n, dim = features.shape
    counts = np.zeros(n_classes, dtype=np.int64)
    mean = np.zeros((n_classes, dim))
    m2 = np.zeros((n_classes, dim))
    step = row_chunks(n, dim * 8, chunk_bytes).step  # the float64 block is the largest temporary
    for start in range(0, n, step):
        block_labels = labels[start : start + step]
        order = np.argsort(block_labels, kind="stable")
        block = np.asarray(features[start : start + step][order], dtype=np.float64)
        classes, firsts, sizes = np.unique(block_labels[order], return_index=True, return_counts=True)
        block_mean = np.add.reduceat(block, firsts, axis=0) / sizes[:, None]
        block -= np.repeat(block_mean, sizes, axis=0)
        np.square(block, out=block)
        block_m2 = np.add.reduceat(block, firsts, axis=0)
        before = counts[classes][:, None].astype(np.float64)
        after = before + sizes[:, None]
        delta = block_mean - mean[classes]
        mean[classes] += delta * (sizes[:, None] / after)
        m2[classes] += block_m2 + delta * delta * (before * sizes[:, None] / after)
        counts[classes] += sizes
    variance = m2 / np.maximum(counts, 1)[:, None]
    return counts, mean, variance
