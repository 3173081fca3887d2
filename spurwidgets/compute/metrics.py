"""Metrics for shortcut learning: group accuracies, spurious gap, cluster probability."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .validation import check_labels, check_matrix, check_positive_int, check_same_length, check_vector


def group_accuracy(y_true: Any, y_pred: Any, groups: Any) -> dict[int, float]:
    """Accuracy of each group: {group id: fraction of its samples predicted correctly}."""
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, "y_pred")
    groups = check_labels(groups, "groups", max_label=None)  # any ids: they are only compared
    check_same_length(y_true=y_true, y_pred=y_pred, groups=groups)
    correct = y_true == y_pred
    return {int(g): float(correct[groups == g].mean()) for g in np.unique(groups)}


def worst_group_accuracy(y_true: Any, y_pred: Any, groups: Any) -> float:
    """The lowest accuracy over the groups present."""
    return min(group_accuracy(y_true, y_pred, groups).values())


def report(y_true: Any, y_pred: Any, groups: Any, group_names: Sequence[str] | None = None):
    """A pandas DataFrame with one row per group (n, accuracy, worst flag) and an 'overall' row.

    `worst` is True for every group whose accuracy equals the lowest one (ties all count: two
    groups at 0 % are both the worst, not just the first one listed).
    """
    import pandas as pd  # pandas on use: `import spurwidgets` stays light

    accuracy = group_accuracy(y_true, y_pred, groups)
    groups = np.asarray(groups)
    lowest = min(accuracy.values())
    rows = []
    for g, acc in accuracy.items():
        name = group_names[g] if group_names is not None and g < len(group_names) else str(g)
        # isclose: 1/3 and 2/6 are the same accuracy even if the float divisions differed
        worst = bool(np.isclose(acc, lowest, rtol=0.0, atol=1e-12))
        rows.append({"group": name, "n": int((groups == g).sum()), "accuracy": acc, "worst": worst})
    overall = float((np.asarray(y_true) == np.asarray(y_pred)).mean())
    rows.append({"group": "overall", "n": len(groups), "accuracy": overall, "worst": False})
    return pd.DataFrame(rows).set_index("group")


def ranked_within_class(
    correct: Any, spuriosity: Any, labels: Any, *, minimum: int, name: str
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Validated `correct` (bool) and, per class, its item indices sorted by spuriosity (lowest first).

    Every class must have at least `minimum` items; `name` is the argument that sets `minimum`
    (e.g. "k"), so the error tells the user which one to lower.
    """
    correct = check_vector(correct, "correct").astype(bool)
    spuriosity = check_vector(spuriosity, "spuriosity", n=len(correct))
    labels = check_labels(labels, "labels", n=len(correct))
    minimum = check_positive_int(minimum, name)
    ranked = {}
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < minimum:
            raise ValueError(
                f"{name}={minimum} is larger than the {len(members)} items of class {cls}; pass a smaller {name}"
            )
        ranked[int(cls)] = members[np.argsort(spuriosity[members], kind="stable")]
    return correct, ranked


def spurious_gap(correct: Any, spuriosity: Any, labels: Any, k: int = 10) -> dict[int, float]:
    """Per class: accuracy on its k highest-spuriosity items minus accuracy on its k lowest.

    A positive gap means the model relies on the spurious features; a negative gap hints at
    label noise or a spurious feature that collides with the core one.
    """
    correct, ranked = ranked_within_class(correct, spuriosity, labels, minimum=k, name="k")
    return {cls: float(correct[order[-k:]].mean() - correct[order[:k]].mean()) for cls, order in ranked.items()}


def average_cluster_probability(probs: Any, cluster_labels: Any, cluster_classes: Sequence[int]) -> float:
    """Mean over clusters of the mean probability of the cluster's class for its members.

    probs: (n, C) class probabilities; cluster_labels: (n,) cluster of each item;
    cluster_classes: the class each cluster stands for. Empty clusters are skipped.
    """
    probs = check_matrix(probs, "probs", dtype=np.float64)
    if probs.min() < 0 or probs.max() > 1:
        raise ValueError(f"probs must be probabilities in [0, 1]; got values in [{probs.min():.3g}, {probs.max():.3g}]")
    cluster_labels = check_labels(cluster_labels, "cluster_labels", n=len(probs))
    if isinstance(cluster_classes, (str, bytes)) or not hasattr(cluster_classes, "__len__"):
        raise TypeError(f"cluster_classes must be a sequence of class ids; got {cluster_classes!r}")
    classes = check_labels(np.asarray(cluster_classes).reshape(-1), "cluster_classes", n_classes=probs.shape[1])
    if len(classes) <= cluster_labels.max():
        raise ValueError(
            f"cluster_classes has {len(classes)} entries but cluster_labels go up to {cluster_labels.max()}"
        )
    means = [probs[cluster_labels == c, classes[c]].mean() for c in range(len(classes)) if (cluster_labels == c).any()]
    return float(np.mean(means))
