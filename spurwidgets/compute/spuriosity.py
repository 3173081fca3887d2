"""Spuriosity rankings (Moayeri et al., NeurIPS 2023): feature importance and image ranking.

Implemented from the method's description (not from the authors' code):

* importance of feature i for class c = mean activation of i over the images of class c
  times the head weight w[c, i]; the `n_features` largest per class are the class's top
  features, the ones a person inspects and annotates as core or spurious;
* spuriosity of an image of class c = mean over c's spurious features of the feature's
  activation, z-scored with the class-c mean and standard deviation seen in `fit`.

Single-logit binary heads (weight of shape (1, D), logit > 0 means class 1) are treated as
the equivalent two-row head [-w, +w]: class 1 uses +w and class 0 uses -w, so a feature that
pushes the logit towards class 0 is important for class 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from .chunked_stats import class_moments
from .heads import linear_from_head
from .linear_head import LinearHead
from .model_io import find_head
from .refit import refit_head
from .validation import (
    Estimator,
    check_features,
    check_index,
    check_is_fitted,
    check_labels,
    check_matrix,
    check_number,
    check_positive_int,
)


def two_class_weight(head_weight: np.ndarray) -> np.ndarray:
    """A (C, D) weight; a single-logit head (1, D) becomes [-w, +w] (class 0, class 1)."""
    if head_weight.shape[0] == 1:
        return np.concatenate([-head_weight, head_weight], axis=0)
    return head_weight


def _head_weight_array(head_weight: Any) -> np.ndarray:
    if isinstance(head_weight, LinearHead):
        if head_weight.classes_.tolist() != list(range(max(len(head_weight.coef_), 2))):
            raise ValueError(
                f"head_weight is a LinearHead over classes {head_weight.classes_.tolist()}; expected classes "
                "0..C-1 (labels encoded as 0..C-1)"
            )
        head_weight = head_weight.coef_
    if isinstance(head_weight, nn.Module) and not isinstance(head_weight, nn.Linear):
        name = find_head(head_weight)
        if name is None:
            raise ValueError(
                f"head_weight is a {type(head_weight).__name__} without an nn.Linear head; expected a (C, D) "
                "weight, an nn.Linear or a model whose head extract() finds"
            )
        head_weight = head_weight.get_submodule(name)
    if isinstance(head_weight, nn.Linear):
        head_weight = head_weight.weight.detach().to("cpu", torch.float64)
    return check_matrix(head_weight, "head_weight", dtype=np.float64)


class SpuriosityRanker(Estimator):
    """Per-class feature importance and per-image spuriosity.

    Parameters
    ----------
    n_features : how many of the most important features to keep per class (`top_features_`).
    min_std : floor on the per-class standard deviation used for z-scoring, so that a feature
        that never fires in a class gives z = 0 instead of a division by zero.

    Fitted attributes
    -----------------
    importance_ : (C, D) mean activation over class-c images x head_weight[c, i]; rows of
        classes without any image are 0.
    top_features_ : dict class -> int64 array of the `n_features` most important features,
        most important first (empty for classes without images).
    class_mean_, class_std_ : (C, D) per-class statistics used by `score`.
    class_counts_ : (C,) number of fitted images per class.
    n_classes_, n_features_in_ : C and D.
    """

    def __init__(self, n_features: int = 5, min_std: float = 1e-6):
        self.n_features = n_features
        self.min_std = min_std

    # ------------------------------------------------------------------ fitting
    def fit(self, features: Any, labels: Any, head_weight: Any) -> SpuriosityRanker:
        """Learn importance and per-class statistics.

        `head_weight` is a (C, D) or (1, D) array, a LinearHead (from `refit_head`), an nn.Linear,
        or the model itself (its classification head, found as `extract` finds it: `fc`,
        `classifier`, `head`, last Linear).
        """
        n_features = check_positive_int(self.n_features, "n_features")
        check_number(self.min_std, "min_std", low=0.0, inclusive=False)  # 0 would divide by zero in score
        features = check_features(features)
        weight = two_class_weight(_head_weight_array(head_weight))
        if weight.shape[1] != features.shape[1]:
            raise ValueError(
                f"head_weight has {weight.shape[1]} columns but features have {features.shape[1]}; "
                "expected the head that reads these features (shape (C, D))"
            )
        n_classes, dim = weight.shape
        labels = check_labels(labels, "labels", n=len(features), n_classes=n_classes)
        if n_features > dim:
            raise ValueError(f"n_features={n_features} is larger than the {dim} features available")
        # Chunked float64 statistics: no per-class copy, so 1M x 2048 (memory-mapped) fits.
        counts, mean, variance = class_moments(features, labels, n_classes)
        std = np.maximum(np.sqrt(variance), self.min_std)
        std[counts == 0] = 1.0
        top: dict[int, np.ndarray] = {}
        importance = mean * weight
        for cls in range(n_classes):
            if counts[cls]:
                order = np.argsort(-importance[cls], kind="stable")
                top[cls] = order[:n_features].astype(np.int64)
            else:
                top[cls] = np.empty(0, dtype=np.int64)
        self.importance_ = importance
        self.top_features_ = top
        self.class_mean_, self.class_std_, self.class_counts_ = mean, std, counts
        self.n_classes_, self.n_features_in_ = n_classes, dim
        return self

    def _check_fitted(self) -> None:
        check_is_fitted(self, "importance_")

    def check_class(self, cls: Any) -> int:
        """`cls` as an int in 0..C-1, or a ValueError naming the valid range."""
        self._check_fitted()
        return check_index(cls, "class", self.n_classes_)

    def check_feature(self, feature: Any) -> int:
        """`feature` as an int in 0..D-1, or a ValueError naming the valid range."""
        self._check_fitted()
        return check_index(feature, "feature", self.n_features_in_)

    def check_spurious(self, spurious: Mapping[Any, Any] | None) -> dict[int, list[int]]:
        """Validate a {class: [feature, ...]} mapping (unknown class or feature -> ValueError)."""
        self._check_fitted()
        if spurious is None:
            return {}
        if not isinstance(spurious, Mapping):
            raise TypeError(f"spurious must be a dict {{class: [feature, ...]}}; got {type(spurious).__name__}")
        clean: dict[int, list[int]] = {}
        for cls, feats in spurious.items():
            cls = self.check_class(int(cls) if isinstance(cls, str) and cls.isdigit() else cls)
            if isinstance(feats, (int, np.integer)):
                feats = [feats]
            clean[cls] = sorted({self.check_feature(f) for f in np.asarray(feats, dtype=object).ravel()})
        return clean

    # ------------------------------------------------------------------ scoring
    def _check_scoring_input(self, features: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        features = check_features(features)
        if features.shape[1] != self.n_features_in_:
            raise ValueError(
                f"features have {features.shape[1]} columns but the ranker was fitted on {self.n_features_in_}"
            )
        return features, check_labels(labels, "labels", n=len(features), n_classes=self.n_classes_)

    def zscore(self, features: Any, labels: Any) -> np.ndarray:
        """(N, D) activations z-scored with the statistics of each image's own class (a full N x D float64 array)."""
        features, labels = self._check_scoring_input(features, labels)
        return (features - self.class_mean_[labels]) / self.class_std_[labels]

    def score(self, features: Any, labels: Any, spurious: Mapping[Any, Any] | None = None) -> np.ndarray:
        """(N,) spuriosity: mean z-scored activation over the image's class's spurious features.

        Images of classes with no spurious features (absent from `spurious` or an empty list)
        get spuriosity 0: nothing marked spurious means nothing to rank by.
        """
        spurious = self.check_spurious(spurious)
        features, labels = self._check_scoring_input(features, labels)
        result = np.zeros(len(features))
        for cls, feats in spurious.items():
            if not feats:
                continue
            rows = np.flatnonzero(labels == cls)
            if len(rows) and self.class_counts_[cls] == 0:
                raise ValueError(f"class {cls} had no images in fit, so its spuriosity statistics are undefined")
            # Only the class's rows and spurious columns are read and z-scored (k columns, not D).
            columns = np.asarray(feats, dtype=np.int64)
            values = np.asarray(features[np.ix_(rows, columns)], dtype=np.float64)
            result[rows] = ((values - self.class_mean_[cls, columns]) / self.class_std_[cls, columns]).mean(1)
        return result

    def rank(self, features: Any, labels: Any, spurious: Mapping[Any, Any] | None = None) -> dict[int, np.ndarray]:
        """Per class: indices of its images sorted from lowest to highest spuriosity."""
        scores = self.score(features, labels, spurious)
        labels = np.asarray(labels).astype(np.int64)
        ranking = {}
        for cls in range(self.n_classes_):
            members = np.flatnonzero(labels == cls)
            ranking[cls] = members[np.argsort(scores[members], kind="stable")]
        return ranking

    def extreme_images(
        self, features: Any, labels: Any, cls: Any, feature: Any, k: int = 5
    ) -> tuple[np.ndarray, np.ndarray]:
        """(top, bottom): indices of class `cls`'s k most and k least activating images of `feature`.

        `top` is ordered most activating first, `bottom` least activating first.
        """
        cls, feature = self.check_class(cls), self.check_feature(feature)
        k = check_positive_int(k, "k")
        features = check_features(features)
        labels = check_labels(labels, "labels", n=len(features))
        members = np.flatnonzero(labels == cls)
        if len(members) < k:
            raise ValueError(f"k={k} is larger than the {len(members)} images of class {cls}; pass a smaller k")
        order = members[np.argsort(features[members, feature], kind="stable")]
        return order[::-1][:k].copy(), order[:k].copy()


def fit_linear_head(
    features: Any,
    labels: Any,
    *,
    n_classes: int | None = None,
    lr: float = 0.1,
    weight_decay: float = 0.003,
    epochs: int = 20,
    batch_size: int = 256,
    device: Any = "auto",
    random_state: Any = 0,
    init: nn.Linear | None = None,
) -> nn.Linear:
    """Deprecated: fit heads with `refit_head(features, labels, C=...)` (`.to_torch()` for an nn.Linear).

    Kept as a thin wrapper: it minimises the objective its Adam loop used to approach, mean
    cross-entropy + weight_decay / 2 * ||W||^2, to the optimum with `refit_head` (C = 1 /
    (weight_decay * N), twice that for two classes, whose single logit carries both rows);
    the intercept is not penalised. `lr`, `epochs`, `batch_size` and `init` only steered the
    old optimiser and are ignored. Returns a CPU nn.Linear(D, max(n_classes, 2)); rows of
    classes absent from `labels` get a -1e4 bias (never predicted).
    """
    warnings.warn(
        "fit_linear_head is deprecated; use refit_head(features, labels, C=...) (a LinearHead; "
        ".to_torch() gives the nn.Linear)",
        DeprecationWarning,
        stacklevel=2,
    )
    features = check_features(features)
    labels = check_labels(labels, "labels", n=len(features))
    n_classes = int(labels.max()) + 1 if n_classes is None else check_positive_int(n_classes, "n_classes", minimum=2)
    check_labels(labels, "labels", n_classes=n_classes)
    weight_decay = check_number(weight_decay, "weight_decay", low=0.0, inclusive=False)
    C = (2.0 if n_classes == 2 else 1.0) / (weight_decay * len(features))
    head = refit_head(features, labels, C=C, random_state=random_state, device=device)
    return linear_from_head(head, max(n_classes, 2)).eval()
