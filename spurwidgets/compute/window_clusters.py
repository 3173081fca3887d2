"""The per-class steps of MID: margins, k-means in the window, minority flags, propagation.

Pure functions on arrays; `spurwidgets.compute.mid.MID` strings them together (its module
docstring documents the margin definition and the minority heuristic).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from .predictions import predicted_classes


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
    """k-means per class; ids numbered class by class (class 0: 0..k-1, then class 1, ...).
    A class with fewer than `n_clusters` samples gets one cluster per sample."""
    clusters = np.empty(len(kept), dtype=np.int64)
    centers: list[np.ndarray] = []
    classes: list[int] = []
    for cls in np.unique(labels[kept]):
        members = np.flatnonzero(labels[kept] == cls)
        k = min(n_clusters, len(members))
        km = KMeans(n_clusters=k, n_init=4, random_state=random_state)
        assigned = km.fit_predict(features[kept[members]])
        # Order the class's clusters by size (largest first) so ids are stable and readable.
        sizes = np.bincount(assigned, minlength=k)
        rank = np.argsort(-sizes, kind="stable")
        relabel = np.empty(k, dtype=np.int64)
        relabel[rank] = np.arange(k)
        clusters[members] = len(classes) + relabel[assigned]
        centers.extend(km.cluster_centers_[rank])
        classes.extend([int(cls)] * k)
    return clusters, np.asarray(centers, dtype=np.float32), np.asarray(classes, dtype=np.int64)


def confident_majority(labels, window, predicted) -> np.ndarray:
    """Mask of the confident majority: correctly predicted samples outside the window."""
    outside = np.ones(len(labels), dtype=bool)
    outside[window] = False
    return outside & (predicted == labels)


def minority_scores(features, labels, margin, window, logits, centers, classes):
    """Distance of each cluster centre from its class's confident-majority centroid (the more
    confident half of the correctly predicted samples outside the window), in feature space
    standardised by the class's standard deviations."""
    outside = np.ones(len(labels), dtype=bool)
    outside[window] = False
    predicted = predicted_classes(logits)
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


def error_rates(wrong: np.ndarray, members: np.ndarray, clusters: np.ndarray, n_clusters: int) -> np.ndarray:
    """Share of misclassified samples among each cluster's members (NaN for an empty cluster)."""
    counts = np.bincount(clusters, minlength=n_clusters).astype(np.float64)
    errors = np.bincount(clusters, weights=wrong[members].astype(np.float64), minlength=n_clusters)
    with np.errstate(invalid="ignore", divide="ignore"):
        return errors / counts


def flag_minority(rates: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Clusters whose members the model mostly gets wrong (error rate >= threshold): there the
    model's evidence points to another class although the label says otherwise, what a
    shortcut does to a minority group. Ascending ids."""
    return np.flatnonzero(np.nan_to_num(rates, nan=0.0) >= threshold).astype(np.int64)


def propagate_clusters(features, labels, centers, classes, chunk: int = 4096, exclude=()):
    """Every sample gets the nearest cluster centre of its own class (-1 if none), leaving out
    the cluster ids in `exclude` while a class has other clusters.

    Squared distances by ||a||^2 - 2 a.b + ||b||^2 in chunks of `chunk` samples, so memory
    stays at O(chunk x clusters) (no (n, k, D) temporary)."""
    groups = np.full(len(labels), -1, dtype=np.int64)
    for cls in np.unique(classes):
        members = np.flatnonzero(labels == cls)
        ids = np.flatnonzero(classes == cls)
        allowed = ids[~np.isin(ids, exclude)]
        ids = allowed if len(allowed) else ids
        c = np.asarray(centers[ids], dtype=np.float64)
        c_sq = (c * c).sum(1)
        for start in range(0, len(members), chunk):
            rows = members[start : start + chunk]
            x = np.asarray(features[rows], dtype=np.float64)
            distances = c_sq[None, :] - 2.0 * (x @ c.T)  # ||x||^2 is the same for every centre
            groups[rows] = ids[distances.argmin(1)]
    return groups


def size_warnings(groups, labels, confident_counts, minority, classes) -> list[str]:
    """Sanity rule: a flagged cluster whose propagated members outnumber its class's confident
    majority (correct, outside the window) is probably a majority group, flagged by mistake."""
    messages = []
    for c in minority:
        size, cls = int((groups == c).sum()), int(classes[c])
        reference = int(confident_counts.get(cls, 0))
        if size > reference:
            messages.append(
                f"cluster {int(c)} (class {cls}) is flagged as a minority but holds {size} samples, more than "
                f"the class's confident majority ({reference}); it is probably a majority group: check it in the "
                "gallery before refitting"
            )
    return messages


def errors_join_flagged(features, labels, wrong, candidates, clusters, centers, classes, flagged) -> np.ndarray:
    """Candidate clusters after every misclassified candidate of a class that has flagged
    clusters moves to the nearest flagged one (distance to the k-means centres).

    The error set is the core of the minority: k-means with several clusters per class can
    leave some misclassified samples in a cluster the model mostly gets right, where the
    refit would count them as majority. Classes without a flagged cluster keep their
    clustering. Returns a new (len(candidates),) int64 array."""
    moved = np.asarray(clusters, dtype=np.int64).copy()
    flagged = np.asarray(flagged, dtype=np.int64)
    candidate_labels, candidate_wrong = labels[candidates], wrong[candidates]
    for cls in np.unique(classes[flagged]):
        own = flagged[classes[flagged] == cls]
        move = np.flatnonzero((candidate_labels == cls) & candidate_wrong & ~np.isin(moved, own))
        if len(move) == 0:
            continue
        x = np.asarray(features[candidates[move]], dtype=np.float64)
        c = np.asarray(centers[own], dtype=np.float64)
        distances = (c * c).sum(1)[None, :] - 2.0 * (x @ c.T)
        moved[move] = own[distances.argmin(1)]
    return moved
