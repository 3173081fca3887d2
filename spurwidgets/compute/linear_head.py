"""`LinearHead`: a fitted linear classification head that can replace a model's last layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .predictions import predicted_classes
from .validation import check_features, check_labels


class LinearHead:
    """A fitted linear classification head (what `refit_head` and `MID.refit` return).

    coef_ (K, D) and intercept_ (K,) follow scikit-learn: K = 1 for two classes (the logit
    of classes_[1]), K = n_classes otherwise. `to_torch()` always gives one output per class.
    """

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray, n_iter: int = 0, C: float = 1.0):
        self.coef_ = np.asarray(coef, dtype=np.float32)
        self.intercept_ = np.asarray(intercept, dtype=np.float32)
        self.classes_ = np.asarray(classes, dtype=np.int64)
        self.n_iter_ = int(n_iter)
        self.C_ = C

    @property
    def n_features_in_(self) -> int:
        return int(self.coef_.shape[1])

    def _check(self, features: Any) -> np.ndarray:
        features = check_features(features)
        if features.shape[1] != self.n_features_in_:
            raise ValueError(
                f"features has {features.shape[1]} columns but the head was fitted on {self.n_features_in_}"
            )
        return features

    def decision_function(self, features: Any) -> np.ndarray:
        """Logits: (N,) for two classes (positive means classes_[1]), else (N, n_classes)."""
        scores = self._check(features) @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, features: Any) -> np.ndarray:
        """Class probabilities (N, n_classes)."""
        scores = torch.from_numpy(np.atleast_2d(self.decision_function(features).T).T.copy())
        if scores.shape[1] == 1:
            p1 = torch.sigmoid(scores[:, 0].double()).numpy()
            return np.stack([1 - p1, p1], axis=1)
        return torch.softmax(scores.double(), dim=1).numpy()

    def predict(self, features: Any) -> np.ndarray:
        """Predicted class labels (N,)."""
        scores = self.decision_function(features)
        return self.classes_[predicted_classes(scores)]

    def score(self, features: Any, labels: Any) -> float:
        """Accuracy on (features, labels)."""
        labels = check_labels(labels, "labels")
        return float((self.predict(features) == labels).mean())

    def to_torch(self) -> torch.nn.Linear:
        """An nn.Linear(D, n_classes) giving these logits; its argmax equals `predict` (index into classes_).

        For two classes the single logit s becomes the pair (-s/2, s/2): same softmax, same argmax.
        """
        weight, bias = self.coef_, self.intercept_
        if weight.shape[0] == 1:
            weight = np.concatenate([-weight / 2, weight / 2])
            bias = np.concatenate([-bias / 2, bias / 2])
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(weight))
            layer.bias.copy_(torch.from_numpy(bias))
        return layer

    def __repr__(self) -> str:
        return f"LinearHead(n_features={self.n_features_in_}, classes={self.classes_.tolist()}, C={self.C_})"
