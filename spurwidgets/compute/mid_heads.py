"""`MID.refit`'s helpers: reading the `clusters` argument and widening a head to every class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .refit import LinearHead

#: Logit given by `MID.refit`'s head to a model class that is absent from the labels.
MISSING_CLASS_LOGIT = -1e4


def cluster_ids(clusters: Any, n_clusters: int) -> np.ndarray:
    """`refit(clusters=...)` as int64 cluster ids in 0..n_clusters-1, with errors naming `clusters`."""
    if isinstance(clusters, Mapping):  # ClusterGallery.marked: {cluster id: tag}
        clusters = [c for c, tag in clusters.items() if tag == "minority"]
    elif isinstance(clusters, (set, frozenset)):
        clusters = sorted(clusters, key=repr)
    if isinstance(clusters, (str, bytes)):
        raise TypeError(f"clusters must be cluster ids (integers); got the string {clusters!r}")
    values = np.asarray(clusters, dtype=object).reshape(-1)
    bad = [v for v in values if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))]
    if bad:
        raise TypeError(f"clusters must be cluster ids (integers) of window_clusters_; got {bad[0]!r}")
    ids = values.astype(np.int64)
    unknown = sorted({int(c) for c in ids if not 0 <= c < n_clusters})
    if unknown:
        raise ValueError(
            f"clusters must be cluster ids of window_clusters_ (0..{n_clusters - 1}); got unknown ids {unknown}"
        )
    return ids


def one_output_per_class(head: LinearHead, n_classes: int) -> LinearHead:
    """The head widened to one output per model class (classes_ = 0..n_classes-1) when the
    labels missed a class; absent classes get weight 0 and bias MISSING_CLASS_LOGIT."""
    if head.classes_.tolist() == list(range(n_classes)):
        return head
    coef, intercept = head.coef_, head.intercept_
    if len(coef) == 1:  # two classes present: one logit s for classes_[1] -> (-s/2, s/2)
        coef, intercept = np.concatenate([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    full_coef = np.zeros((n_classes, coef.shape[1]), dtype=np.float32)
    full_intercept = np.full(n_classes, MISSING_CLASS_LOGIT, dtype=np.float32)
    full_coef[head.classes_], full_intercept[head.classes_] = coef, intercept
    return LinearHead(full_coef, full_intercept, np.arange(n_classes), n_iter=head.n_iter_, C=head.C_)
