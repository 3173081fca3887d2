"""The per-class steps of MID: margins, k-means in the window, minority flags, propagation.

Pure functions on arrays; `spurwidgets.compute.mid.MID` strings them together (its module
docstring documents the margin definition and the minority heuristic).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state

from .logistic_pass import one_blas_thread
from .window_kmeans import center_distances, lloyd_kmeans, stable_subsample


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


#: Per class, k-means runs on at most this many of the window's samples (a random subsample,
#: drawn with `random_state`); every window sample then joins its nearest centre. Up to this
#: size the clustering is exactly scikit-learn's KMeans on all of them.
MAX_CLUSTER_SAMPLES = 1024

#: Per class, the standardising deviations and the confident-majority centroid of
#: `minority_scores` come from at most this many evenly spaced rows (exact below it).
MAX_STATS_ROWS = 2048


def cluster_per_class(
    features, labels, kept, n_clusters, random_state, max_samples=MAX_CLUSTER_SAMPLES, distances=None, init=None
):
    """k-means per class; ids numbered class by class (class 0: 0..k-1, then class 1, ...).

    A class with more than `max_samples` samples (None: no cap) is clustered on a random
    subsample of that size (`stable_subsample`) (Lloyd's k-means, k-means++ init, `n_init` 4, in NumPy: per
    iteration two small matrix products instead of scikit-learn's per-chunk loop, which
    costs ~10 ms per iteration on a loaded 2-core machine); all of its samples then join
    their nearest centre, so a drag costs the same at 200k samples as at 20k. A class with
    fewer than `n_clusters` samples gets one cluster per sample.

    distances: a dict to fill, for each capped class, with `cls -> (positions in kept, (n, k)
    float32 squared distances up to a per-row constant, columns in cluster id order)`, so
    `errors_join_flagged` need not read those rows again. init: optional dict `cls -> (k, D)
    starting centres` for the capped classes (a warm start: one k-means run on the subsample
    from them instead of k-means++ restarts; a class whose entry has another number of
    centres starts afresh). Classes under the cap are clustered as without it (exactly)."""
    clusters = np.empty(len(kept), dtype=np.int64)
    centers: list[np.ndarray] = []
    classes: list[int] = []
    for cls in present_classes(labels[kept]):
        members = np.flatnonzero(labels[kept] == cls)
        rows = kept[members]
        k = min(n_clusters, len(members))
        start = None if init is None else init.get(int(cls))
        start = start if start is not None and len(start) == k else None
        if max_samples is not None and len(rows) > max_samples:
            rng = check_random_state(random_state)
            sample = stable_subsample(rows, max_samples, random_state)
            # Thin products (k columns): one BLAS thread is faster than several, which wait
            # for each other (10x slower here when other processes load the cores).
            with one_blas_thread():
                center = lloyd_kmeans(np.asarray(features[rows[sample]], dtype=np.float32), k, rng, init=start)
                dist = center_distances(features, rows, center)  # no float64 row copy
            assigned = dist.argmin(1)
        else:
            dist = None
            km = KMeans(n_clusters=k, n_init=4, random_state=random_state)
            assigned = km.fit_predict(features[rows])
            center = km.cluster_centers_
        # Order the class's clusters by size (largest first) so ids are stable and readable.
        sizes = np.bincount(assigned, minlength=k)
        rank = np.argsort(-sizes, kind="stable")
        relabel = np.empty(k, dtype=np.int64)
        relabel[rank] = np.arange(k)
        clusters[members] = len(classes) + relabel[assigned]
        if dist is not None and distances is not None:
            distances[int(cls)] = (members, dist[:, rank])
        centers.extend(center[rank])
        classes.extend([int(cls)] * k)
    return clusters, np.asarray(centers, dtype=np.float32), np.asarray(classes, dtype=np.int64)


#: `MID.fit_window(warm_start=True)` starts from the previous centres when at least this
#: share of the new window's samples were in the previous window (intersection / union).
WARM_START_OVERLAP = 0.5


def window_overlap(previous: np.ndarray, window: np.ndarray, n: int) -> float:
    """|previous & window| / |previous | window| of two index sets in 0..n-1."""
    mask = np.zeros(n, dtype=np.int8)
    mask[previous] = 1
    shared = int(mask[window].sum())
    union = len(previous) + len(window) - shared
    return shared / union if union else 0.0


def present_classes(labels: np.ndarray) -> np.ndarray:
    """The sorted distinct values of non-negative int `labels` (= np.unique, without a sort)."""
    return np.flatnonzero(np.bincount(labels)) if len(labels) else np.zeros(0, dtype=np.int64)


def nearest_center(features, rows: np.ndarray, centers: np.ndarray, chunk: int = 4096, dtype=np.float64) -> np.ndarray:
    """Index of the nearest of `centers` for each of `features[rows]`, read `chunk` rows at a
    time (distances ||c||^2 - 2 x.c in `dtype`: no (n, k, D) temporary)."""
    c = np.asarray(centers, dtype=dtype)
    c_sq = (c * c).sum(1)
    out = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), chunk):
        x = np.asarray(features[rows[start : start + chunk]], dtype=dtype)
        out[start : start + chunk] = (c_sq[None, :] - 2.0 * (x @ c.T)).argmin(1)
    return out


def confident_majority(labels, window, predicted) -> np.ndarray:
    """Mask of the confident majority: correctly predicted samples outside the window."""
    outside = np.ones(len(labels), dtype=bool)
    outside[window] = False
    return outside & (predicted == labels)


def minority_scores(features, labels, margin, window, predicted, centers, classes, cache=None):
    """Distance of each cluster centre from its class's confident-majority centroid (the more
    confident half of the correctly predicted samples outside the window), in feature space
    standardised by the class's standard deviations. Both statistics read at most
    `MAX_STATS_ROWS` evenly spaced rows per class (exact below that). `cache`: a dict kept
    across windows of the same data (the deviations do not depend on the window)."""
    outside = np.ones(len(labels), dtype=bool)
    outside[window] = False
    scores = np.zeros(len(classes), dtype=np.float64)
    for cls in np.unique(classes):
        members = labels == cls
        confident = members & outside & (predicted == cls)
        if confident.sum() < 2:
            confident = members
        strength = np.abs(margin[confident])
        confident_idx = np.flatnonzero(confident)[strength >= np.median(strength)]
        reference = features[evenly_spaced(confident_idx)].mean(0, dtype=np.float64)
        scale = None if cache is None else cache.get(("scale", int(cls)))
        if scale is None:
            scale = features[evenly_spaced(np.flatnonzero(members))].std(0, dtype=np.float64) + 1e-6
            if cache is not None:
                cache[("scale", int(cls))] = scale
        for c in np.flatnonzero(classes == cls):
            scores[c] = float(np.linalg.norm((centers[c] - reference) / scale))
    return scores


def evenly_spaced(rows: np.ndarray, limit: int = MAX_STATS_ROWS) -> np.ndarray:
    """`rows` itself, or `limit` of them evenly spaced (deterministic, still ascending)."""
    if len(rows) <= limit:
        return rows
    return rows[np.linspace(0, len(rows) - 1, limit).round().astype(np.int64)]


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
        groups[members] = ids[nearest_center(features, members, centers[ids], chunk)]
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


def errors_join_flagged(
    features, labels, wrong, candidates, clusters, centers, classes, flagged, distances=None
) -> np.ndarray:
    """Candidate clusters after every misclassified candidate of a class that has flagged
    clusters moves to the nearest flagged one (distance to the k-means centres).

    The error set is the core of the minority: k-means with several clusters per class can
    leave some misclassified samples in a cluster the model mostly gets right, where the
    refit would count them as majority. Classes without a flagged cluster keep their
    clustering. `distances`: what `cluster_per_class` filled (capped classes: their float32
    distances are reused instead of reading the rows again). Returns a new (len(candidates),)
    int64 array."""
    moved = np.asarray(clusters, dtype=np.int64).copy()
    flagged = np.asarray(flagged, dtype=np.int64)
    candidate_labels, candidate_wrong = labels[candidates], wrong[candidates]
    for cls in np.unique(classes[flagged]):
        own = flagged[classes[flagged] == cls]
        move = np.flatnonzero((candidate_labels == cls) & candidate_wrong & ~np.isin(moved, own))
        if len(move) == 0:
            continue
        if distances is not None and int(cls) in distances:
            members, dist = distances[int(cls)]
            first = int(np.flatnonzero(classes == cls)[0])
            moved[move] = own[dist[np.searchsorted(members, move)][:, own - first].argmin(1)]
        else:
            moved[move] = own[nearest_center(features, candidates[move], centers[own])]  # in row chunks
    return moved
