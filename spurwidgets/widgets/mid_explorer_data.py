"""MIDExplorer's non-UI parts: turning its inputs into arrays and the before/after table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..compute.extract import FeatureSet, extract
from ..compute.images import ImageSource
from ..compute.predictions import predicted_classes
from ..compute.refit import LinearHead
from ..compute.validation import check_features, check_labels, check_logits, check_same_length
from ..datasets import ImageSet

#: Gallery tags that mean "upweight this cluster when refitting".
MINORITY_TAGS = ("minority", "counterexample")


@dataclass
class Evaluation:
    """Where the table measures accuracy: features, original predictions, labels, groups."""

    features: np.ndarray
    predictions: np.ndarray
    labels: np.ndarray
    groups: np.ndarray | None
    name: str


@dataclass
class Inputs:
    features: np.ndarray
    logits: np.ndarray
    labels: np.ndarray
    groups: np.ndarray | None
    images: Any
    raw_images: Any
    evaluation: Evaluation
    class_names: list[str] | None
    group_names: list[str] | None


def _is_model(value: Any) -> bool:
    return isinstance(value, torch.nn.Module)


def load_inputs(
    model_or_features: Any, images: Any, labels: Any, groups: Any, logits: Any, eval_set: Any, device: Any
) -> Inputs:
    """Validate the explorer's inputs; extract features when given a model."""
    if labels is None and isinstance(images, ImageSet):
        labels = images.labels
    if groups is None and isinstance(images, ImageSet):
        groups = images.groups
    if labels is None:
        raise ValueError("labels are needed: pass labels=(N,) ints or images as an ImageSet")
    model = model_or_features if _is_model(model_or_features) else None
    if model is not None:
        if logits is not None:
            raise ValueError("logits= is only for feature arrays; with a model the logits are computed from images")
        fs = extract(model, images, device=device)
        features, logits = fs.features, fs.logits
    elif isinstance(model_or_features, FeatureSet):
        features, logits = model_or_features.features, model_or_features.logits
    else:
        if logits is None:
            raise ValueError("model_or_features is a feature array, so logits= (N,) or (N, C) is needed as well")
        features = model_or_features
    features, logits = check_features(features, "model_or_features"), check_logits(logits)
    labels = check_labels(labels, "labels", n=len(features))
    check_same_length(features=features, logits=logits, labels=labels)
    groups = None if groups is None else check_labels(groups, "groups", n=len(features))
    source = ImageSource(images, name="images")
    if len(source) != len(features):
        raise ValueError(
            f"images has {len(source)} entries but the features have {len(features)}; expected one image per sample"
        )
    evaluation = Evaluation(features, predicted_classes(logits), labels, groups, "the fitted samples")
    if eval_set is not None:
        evaluation = _evaluation(eval_set, model, device)
    class_names = list(images.class_names) if isinstance(images, ImageSet) else None
    group_names = list(images.group_names) if isinstance(images, ImageSet) and images.group_names else None
    return Inputs(features, logits, labels, groups, source, images, evaluation, class_names, group_names)


def _evaluation(eval_set: Any, model: Any, device: Any) -> Evaluation:
    if model is not None:
        if isinstance(eval_set, ImageSet):
            images, labels, groups = eval_set, eval_set.labels, eval_set.groups
        else:
            images, labels, *rest = eval_set
            groups = rest[0] if rest else None
        fs = extract(model, images, device=device)
        features, logits = fs.features, fs.logits
    else:
        if not isinstance(eval_set, (tuple, list)) or len(eval_set) not in (3, 4):
            raise TypeError("eval_set must be (features, logits, labels[, groups]) when the explorer is given features")
        features, logits, labels, *rest = eval_set
        groups = rest[0] if rest else None
    features, logits = check_features(features, "eval_set features"), check_logits(logits, "eval_set logits")
    labels = check_labels(labels, "eval_set labels", n=len(features))
    groups = None if groups is None else check_labels(groups, "eval_set groups", n=len(features))
    return Evaluation(features, predicted_classes(logits), labels, groups, "the evaluation set")


def _accuracy(correct: np.ndarray) -> float:
    return float(correct.mean()) if len(correct) else float("nan")


def accuracy_table(explorer: Any, head: LinearHead) -> dict[str, Any]:
    """{caption, columns, rows}: overall, worst group and per-group accuracy before/after.

    Groups are the true groups when known; otherwise the classes and MID's inferred groups
    (only on the fitted samples, where they are defined).
    """
    ev: Evaluation = explorer.evaluation
    before = ev.predictions == ev.labels
    after = head.predict(ev.features) == ev.labels
    groups, kind = ev.groups, "group"
    names = explorer.group_names
    if groups is None and ev.name == "the fitted samples":
        groups, kind, names = explorer.mid.propagate(), "MID group", None
    rows: list[list[Any]] = [
        ["overall", len(before), _accuracy(before), _accuracy(after), _accuracy(after) - _accuracy(before)]
    ]
    if groups is not None:
        ids = [int(g) for g in np.unique(groups)]
        acc_before = {g: _accuracy(before[groups == g]) for g in ids}
        acc_after = {g: _accuracy(after[groups == g]) for g in ids}
        worst_before, worst_after = min(acc_before.values()), min(acc_after.values())
        rows.append(["worst group", "", worst_before, worst_after, worst_after - worst_before])
        for g in ids:
            label = names[g] if names is not None and 0 <= g < len(names) else f"{kind} {g}"
            rows.append([label, int((groups == g).sum()), acc_before[g], acc_after[g], acc_after[g] - acc_before[g]])
    caption = f"Accuracy on {ev.name} ({len(before)} samples), original model vs refitted head"
    if ev.name == "the fitted samples":
        caption += " (pass eval_set= held-out data to measure on samples MID did not see)"
    return {"caption": caption, "columns": ["", "n", "before", "after", "change"], "rows": rows}


#: A refit that loses more overall accuracy than this (a fraction) is flagged in the widget.
MAX_OVERALL_DROP = 0.05


def refit_warnings(table: dict[str, Any]) -> list[str]:
    """Warnings about a before/after table: the refit cost more than 5 points of overall accuracy."""
    overall = next(row for row in table["rows"] if row[0] == "overall")
    before, after = overall[2], overall[3]
    if before - after > MAX_OVERALL_DROP:
        return [
            f"The refit costs {100 * (before - after):.1f} points of overall accuracy ({before:.3f} -> {after:.3f}): "
            "the marked clusters may not be minority groups; check the marks or widen the window."
        ]
    return []


def window_members(mid: Any) -> tuple[np.ndarray, np.ndarray]:
    """(indices, cluster ids) of the samples MID clustered: the window (mislabel-filtered ones left
    out) plus the misclassified samples outside it, so every cluster MID flags can be shown."""
    candidates = getattr(mid, "candidates_", None)
    if candidates is not None:
        return candidates, mid.candidate_clusters_
    shown = mid.window_clusters_ >= 0
    return mid.window_[shown], mid.window_clusters_[shown]
