"""The per-class steps of MID: margins, k-means in the window, minority flags, propagation.

Pure functions on arrays; `spurwidgets.compute.mid.MID` strings them together (its module
docstring documents the margin definition and the minority heuristic).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans


def margins(logits: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """The 1-D margin MID windows on (see the module docstring), float32 (N,)."""
    n_out = logits.shape[1]
    if n_out == 1:
        return logits[:, 0].copy()
    if class_index is None and n_out == 2:
        class_index = 1
    if class_index is None:
        top2 = np.sort(logits, axis=1)[:, -2:]
        return (top2[:, 1] - top2[:, 0]).astype(np.float32)
    others = np.delete(logits, class_index, axis=1).max(axis=1)
    return (logits[:, class_index] - others).astype(np.float32)


def cluster_per_class(features, labels, kept, n_clusters, random_state):
    """k-means per class; ids numbered class by class (class 0: 0..k-1, then class 1, ...)."""
    clusters = np.empty(len(kept), dtype=np.int64)
    centers, classes = [], []
    for cls in np.unique(labels[kept]):
        members = np.flatnonzero(labels[kept] == cls)
        km = KMeans(n_clusters=n_clusters, n_init=4, random_state=random_state)
        assigned = km.fit_predict(features[kept[members]])
        # Order the class's clusters by size (largest first) so ids are stable and readable.
        sizes = np.bincount(assigned, minlength=n_clusters)
        rank = np.argsort(-sizes, kind="stable")
        relabel = np.empty(n_clusters, dtype=np.int64)
        relabel[rank] = np.arange(n_clusters)
        clusters[members] = len(classes) + relabel[assigned]
        centers.extend(km.cluster_centers_[rank])
        classes.extend([int(cls)] * n_clusters)
    return clusters, np.asarray(centers, dtype=np.float32), np.asarray(classes, dtype=np.int64)


def minority_scores(features, labels, margin, window, logits, centers, classes):
    """Distance of each cluster centre from its class's confident-majority centroid."""
    outside = np.ones(len(labels), dtype=bool)
    outside[window] = False
    if logits.shape[1] == 1:
        predicted = (logits[:, 0] > 0).astype(np.int64)
    else:
        predicted = logits.argmax(1)
    scores = np.zeros(len(classes), dtype=np.float64)
    for cls in np.unique(classes):
        members = labels == cls
        confident = members & outside & (predicted == cls)
        if confident.sum() < 2:
            confident = members
        strength = np.abs(margin[confident])
        confident_idx = np.flatnonzero(confident)[strength >= np.median(strength)]
        reference = features[confident_idx].mean(0)
        scale = features[members].std(0) + 1e-6
        for c in np.flatnonzero(classes == cls):
            scores[c] = float(np.linalg.norm((centers[c] - reference) / scale))
    return scores


def flag_minority(scores, classes):
    """Per class with >= 2 clusters, the cluster farthest from the confident majority."""
    flagged = []
    for cls in np.unique(classes):
        ids = np.flatnonzero(classes == cls)
        if len(ids) >= 2:
            flagged.append(int(ids[np.argmax(scores[ids])]))
    return np.asarray(flagged, dtype=np.int64)


def propagate_clusters(features, labels, centers, classes):
    """Every sample gets the nearest window-cluster centre of its own class (-1 if none)."""
    groups = np.full(len(labels), -1, dtype=np.int64)
    for cls in np.unique(classes):
        members = np.flatnonzero(labels == cls)
        ids = np.flatnonzero(classes == cls)
        distances = ((features[members, None, :] - centers[None, ids, :]) ** 2).sum(-1)
        groups[members] = ids[distances.argmin(1)]
    return groups
