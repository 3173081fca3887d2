"""Clustered random probes: which cue does a classifier use?

Protocol of the paper (variant "paper"): feed a probe set (e.g. random solid colours) to the
classifier and turn its logits into class probabilities (softmax, or a sigmoid for a single
logit); embed the probes with a VAE; then, for EACH class c, run k-means over ALL probes
with sample weight p_c(x)^2, which pulls that class's centres towards the probes the model
gives to c. How "every probe belongs to one cluster and each cluster stands for a class"
is realised here, precisely:

1. class c contributes `clusters_per_class` centres (weighted k-means on all probes, weight
   p_c^power, power=2 in the paper); each centre is labelled with class c;
2. every probe is assigned to the NEAREST centre among all classes' centres (Euclidean, in
   the clustering space) -- this is `labels_`, and `cluster_classes_[k]` is the class of
   centre k;
3. the score is metrics.average_cluster_probability: the mean over (non-empty) clusters of
   the mean probability of the cluster's class over its members.

Improved variants (`variant=`), all keeping steps 2-3:
- "tempered": weights p_c^power with a large power (default 8) and 4 centres per class, so
  centres sit on the probes the model is sure about instead of the p^2-weighted middle.
- "merged": plain k-means with many clusters (default 32 per class) in the latent space;
  each cluster stands for the class with the highest mean probability over its members
  ("majority class"), and clusters standing for the same class are merged (one cluster per
  class, the merged centres kept in `cluster_centers_`, nearest-centre assignment is
  replaced by the merged membership).
- "classifier_features": the "merged" procedure in the classifier's own penultimate feature
  space (the input of its last nn.Linear), where the decision is linear.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.cluster import KMeans
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

from .extract import extract
from .images import ImageSource
from .metrics import average_cluster_probability
from .vae import VAE
from .validation import (
    Estimator,
    check_is_fitted,
    check_logits,
    check_matrix,
    check_number,
    check_positive_int,
    check_random_state,
    check_same_length,
    check_vector,
)

VARIANTS = ("paper", "tempered", "merged", "classifier_features")
#: per-variant defaults for (clusters_per_class, power)
_DEFAULTS = {"paper": (1, 2.0), "tempered": (4, 8.0), "merged": (32, 2.0), "classifier_features": (32, 2.0)}


def weighted_kmeans(z: Any, weights: Any, n_clusters: int = 2, random_state: Any = 0, *, n_init: int = 4) -> Any:
    """k-means of the rows of `z` (N, D) with per-row `weights` (N,) >= 0, not all zero.

    Returns the fitted sklearn `KMeans` (`.labels_`, `.cluster_centers_`, `.inertia_`).
    Rows of weight zero do not move the centres but still get a label.
    """
    z = check_matrix(z, "z", dtype=np.float64)
    weights = check_vector(weights, "weights", n=len(z))
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    if (weights < 0).any():
        raise ValueError(f"weights must be >= 0; got minimum {weights.min():.3g}")
    n_positive = int((weights > 0).sum())
    if n_positive == 0:
        raise ValueError("weights are all zero: k-means needs at least one row with positive weight")
    if n_clusters > n_positive:
        raise ValueError(f"n_clusters={n_clusters} is more than the {n_positive} rows with positive weight")
    seed = int(check_random_state(random_state).integers(0, 2**31 - 1))
    return KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit(z, sample_weight=weights)


def class_probabilities(logits: Any) -> np.ndarray:
    """(N, C) logits -> softmax probabilities; one logit column -> [1 - sigmoid, sigmoid]. float64."""
    logits = check_logits(logits).astype(np.float64)
    if logits.shape[1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return np.stack([1.0 - p1, p1], axis=1)
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def check_probabilities(probs: Any, name: str = "probs", *, n: int | None = None) -> np.ndarray:
    """(N, C) probabilities, C >= 2, in [0, 1], each row summing to 1 (tolerance 1e-3)."""
    probs = check_matrix(probs, name, dtype=np.float64)
    if n is not None and len(probs) != n:
        raise ValueError(f"{name} has {len(probs)} rows but {n} were expected (one per probe)")
    if probs.shape[1] < 2:
        raise ValueError(
            f"{name} must have one column per class (C >= 2); got shape {probs.shape} (pass logits for a single-logit model)"
        )
    if probs.min() < 0 or probs.max() > 1:
        raise ValueError(f"{name} must lie in [0, 1]; got values in [{probs.min():.3g}, {probs.max():.3g}]")
    sums = probs.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > 1e-3)
    if len(bad):
        raise ValueError(
            f"{name} rows must sum to 1 (class probabilities, e.g. a softmax); row {bad[0]} sums to {sums[bad[0]]:.4g} "
            f"({len(bad)} rows off)"
        )
    return probs


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d2 = (points**2).sum(1)[:, None] - 2 * points @ centres.T + (centres**2).sum(1)[None, :]
    return d2.argmin(axis=1).astype(np.int64)


def cluster_by_class(
    points: Any, probs: Any, *, clusters_per_class: int = 1, power: float = 2.0, random_state: Any = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The paper's step: per-class p^power-weighted k-means, then nearest-centre assignment.

    Returns (labels (N,), centres (C * clusters_per_class, D), cluster_classes (C * clusters_per_class,)).
    """
    points = check_matrix(points, "points", dtype=np.float64)
    probs = check_probabilities(probs)
    check_same_length(points=points, probs=probs)
    clusters_per_class = check_positive_int(clusters_per_class, "clusters_per_class")
    rng = check_random_state(random_state)
    centres, classes = [], []
    for c in range(probs.shape[1]):
        weights = probs[:, c] ** power
        if not (weights > 0).any():
            raise ValueError(
                f"weights for class {c} are all zero (the model gives class {c} probability 0 on every probe); "
                "no cluster can stand for it: use probes that reach this class or drop it from probs"
            )
        k = min(clusters_per_class, int((weights > 0).sum()))
        km = weighted_kmeans(points, weights, n_clusters=k, random_state=rng)
        centres.append(km.cluster_centers_)
        classes += [c] * k
    all_centres = np.concatenate(centres)
    return _nearest(points, all_centres), all_centres, np.asarray(classes, dtype=np.int64)


def cluster_merged(
    points: Any, probs: Any, *, clusters_per_class: int = 8, random_state: Any = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-means with C * clusters_per_class clusters, each given the class of highest mean
    probability over its members, then clusters of one class merged.

    Returns (labels (N,) in 0..K-1, merged centres (K, D), cluster_classes (K,)) where K is the
    number of classes that own at least one cluster.
    """
    points = check_matrix(points, "points", dtype=np.float64)
    probs = check_probabilities(probs)
    check_same_length(points=points, probs=probs)
    clusters_per_class = check_positive_int(clusters_per_class, "clusters_per_class")
    k = min(probs.shape[1] * clusters_per_class, len(points))
    km = weighted_kmeans(points, np.ones(len(points)), n_clusters=k, random_state=random_state)
    fine = km.labels_.astype(np.int64)
    owner = np.array([probs[fine == j].mean(0).argmax() if (fine == j).any() else -1 for j in range(k)])
    classes = np.unique(owner[owner >= 0])
    labels = np.searchsorted(classes, owner[fine]).astype(np.int64)
    centres = np.stack([points[labels == i].mean(0) for i in range(len(classes))])
    return labels, centres, classes.astype(np.int64)


def _check_loader_order(probes: Any) -> None:
    """The model, the VAE fit and the encoding each read `probes`: a DataLoader must give the
    same probes in the same order every time, or probs_[i] and latent_[i] describe different probes."""
    if not isinstance(probes, DataLoader):
        return
    batches = probes.batch_sampler
    sampler = (
        batches.sampler if isinstance(batches, BatchSampler) else batches if batches is not None else probes.sampler
    )
    if not isinstance(sampler, SequentialSampler):
        raise ValueError(
            f"probes is a DataLoader with sampler {type(sampler).__name__} (e.g. shuffle=True): it is read "
            "several times (model, VAE, encoding) and probs_[i] / latent_[i] would describe different probes; "
            "pass DataLoader(..., shuffle=False) or the Dataset itself"
        )
    if probes.drop_last:
        raise ValueError("probes is a DataLoader with drop_last=True, which skips probes; pass drop_last=False")


class ProbeClusters(Estimator):
    """The clustered-random-probes pipeline (scikit-learn style).

    Parameters
    ----------
    latent_dim : VAE latent size (the paper: 2, 3, 5, 10).
    random_state : seed of the VAE and of k-means.
    variant : "paper" (default), "tempered", "merged" or "classifier_features" (module docs).
    clusters_per_class, power : override the variant's defaults (paper: 1 and 2).
    vae : a VAE to use: None builds `VAE(latent_dim, random_state=...)` with `vae_params`;
        an unfitted VAE is cloned (sklearn.base.clone) and the clone is fitted on the probes
        (`vae_`), the given one is never fitted in place; a fitted one is used as is.
    vae_params : extra keyword arguments of the VAE built when `vae` is None.
    batch_size, device : for running the classifier.

    Fitted: `probs_` (n, C), `latent_` (n, latent_dim), `features_` (n, D) classifier features,
    `labels_` (n,), `cluster_centers_` (in `space_`), `cluster_classes_`, `space_` ("latent" or
    "features"), `vae_`, `average_cluster_probability_`.
    """

    def __init__(
        self,
        latent_dim: int = 3,
        random_state: int | None = 0,
        *,
        variant: str = "paper",
        clusters_per_class: int | None = None,
        power: float | None = None,
        vae: Any = None,
        vae_params: dict | None = None,
        batch_size: int = 256,
        device: Any = "auto",
    ):
        self.latent_dim = latent_dim
        self.random_state = random_state
        self.variant = variant
        self.clusters_per_class = clusters_per_class
        self.power = power
        self.vae = vae
        self.vae_params = vae_params
        self.batch_size = batch_size
        self.device = device

    def _check_params(self) -> tuple[int, float]:
        check_positive_int(self.latent_dim, "latent_dim")
        if not isinstance(self.variant, str) or self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}; got {self.variant!r}")
        k, power = _DEFAULTS[self.variant]
        k = k if self.clusters_per_class is None else check_positive_int(self.clusters_per_class, "clusters_per_class")
        power = power if self.power is None else check_number(self.power, "power", low=0.0, inclusive=False)
        return k, power

    def fit(self, model: Any, probes: Any, *, probs: Any = None) -> ProbeClusters:
        """Run the pipeline on `probes`; `probs` (n, C) may replace the model's probabilities."""
        clusters_per_class, power = self._check_params()
        _check_loader_order(probes)
        n = len(ImageSource(probes, name="probes"))
        features: np.ndarray | None = None
        logits: np.ndarray | None = None
        if probs is None or self.variant == "classifier_features":
            fs = extract(model, probes, batch_size=self.batch_size, device=self.device)
            features, logits = fs.features, fs.logits
        probs = class_probabilities(logits) if probs is None else check_probabilities(probs, n=n)
        rng = check_random_state(self.random_state)
        if self.vae is None:
            vae = VAE(self.latent_dim, random_state=self.random_state, device=self.device, **(self.vae_params or {}))
        else:
            vae = self.vae
        if getattr(vae, "model_", None) is None:  # never fit the user's VAE in place
            vae = clone(vae).fit(probes)
        latent = vae.encode(probes)
        if self.variant == "classifier_features":
            space, points = "features", features
        else:
            space, points = "latent", latent
        if self.variant in ("merged", "classifier_features"):
            labels, centres, classes = cluster_merged(
                points, probs, clusters_per_class=clusters_per_class, random_state=rng
            )
        else:
            labels, centres, classes = cluster_by_class(
                points, probs, clusters_per_class=clusters_per_class, power=power, random_state=rng
            )
        self.probs_, self.vae_, self.latent_, self.space_ = probs, vae, latent, space
        self.features_, self.logits_ = features, logits  # None when probs were given (model not run)
        self.cluster_centers_, self.cluster_classes_, self.labels_ = centres, classes, labels
        self.average_cluster_probability_ = average_cluster_probability(probs, labels, classes.tolist())
        return self

    def cluster_members(self, cluster: int) -> np.ndarray:
        """int64 indices of the probes in `cluster`."""
        check_is_fitted(self, "labels_")
        return np.flatnonzero(self.labels_ == cluster).astype(np.int64)
