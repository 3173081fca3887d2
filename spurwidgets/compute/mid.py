"""MID: find minority groups in the intercept window of a classifier's logits, refit its head.

Pipeline (`MID.fit`): margin of every sample -> intercept window (smallest |margin| or an
explicit logit range) -> optional mislabel filter -> per-class k-means on the window's
features -> flag likely minority clusters -> propagate cluster membership to every sample
of the class. `MID.refit` then fits a new last layer on a cluster-balanced objective (the
refit side, `propagate` / `refit_groups` / `refit` / `report` / `enrichment`, is the
`mid_refit.MIDRefit` mixin; import everything from here).

Margin (the 1-D score the window is taken on, stored as `margin_`):
- one logit (binary, single-logit model): the logit itself (positive means class 1);
- `class_index=k`: logit k minus the best other logit (positive means the model picks k);
- two logits and no class_index: logit 1 minus logit 0 (the same as class_index=1);
- more than two logits and no class_index: top-1 minus top-2 logit, the margin of the
  predicted class (>= 0, label-free).

Minority heuristic (label-free: class labels only, no group labels; fit it on HELD-OUT
data, the model memorises its own training images so they have no window):
1. candidates = the window plus (`add_errors=True`, default) every misclassified sample, the
   JTT/AFR error set: a strong shortcut pushes minority samples to the wrong side with a
   large margin, out of any window around zero;
2. k-means per class on the candidates' features (`n_clusters`, default 8, at most one
   cluster per candidate; fitted on at most `max_cluster_samples` of a class's candidates,
   the others join the nearest centre); many small clusters keep the error set apart from
   the window samples the model gets right (with 2, one cluster often mixes them and goes
   unflagged);
3. a cluster is flagged when the model gets at least half of its members wrong
   (`cluster_error_rates_`): there its evidence points to another class; then every
   misclassified candidate of a class with flagged clusters moves to the nearest flagged
   one (the error set is the core of the minority; `cluster_error_rates_` is after the move);
4. candidates keep their cluster; every other sample (right and outside the window) joins
   the nearest *unflagged* cluster of its class (`groups_`); `refit` merges the chosen
   clusters of each class into one minority group (`refit_groups`);
5. sanity rule: a flagged cluster whose members outnumber the class's confident majority
   (right, outside the window; `confident_counts_`) is probably a majority group:
   `warnings_` says so; `refit` warns (`refit_warnings_`) when a class's merged chosen
   group (marks included) is made mostly of that confident majority (`confident_`).
`cluster_scores_` keeps the distance of each cluster from its class's confident majority
so users can rank clusters themselves. Where it fails: when the model is not wrong on the
minority (a weak shortcut) the error set is mostly hard or mislabelled majority samples,
and when the backbone's features do not separate the groups no refit can help (compare
with the group-label oracle, `benchmarks/bench_mid.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .mid_heads import MISSING_CLASS_LOGIT
from .mid_refit import MIDRefit
from .mislabel import window_mislabels
from .predictions import predicted_classes
from .refit import balanced_weights
from .validation import (
    Estimator,
    check_features,
    check_fraction,
    check_is_fitted,
    check_labels,
    check_logits,
    check_positive_int,
    check_same_length,
    check_window,
)
from .window_clusters import (
    MAX_CLUSTER_SAMPLES,
    WARM_START_OVERLAP,
    cluster_per_class,
    confident_majority,
    error_rates,
    errors_join_flagged,
    flag_minority,
    margins,
    minority_scores,
    present_classes,
    size_warnings,
    window_overlap,
)


class MID(MIDRefit, Estimator):
    """Intercept-window minority discovery and head refitting.

    Parameters
    ----------
    quantile : fraction of samples with the smallest |margin| that form the window
        (used when `window` is None); round(quantile * N) samples, at least one.
    window : optional (lo, hi): the window is every sample whose margin lies in [lo, hi].
    n_clusters : k-means clusters per class on the candidates (fewer if a class has fewer
        candidates).
    random_state : seeds k-means (n_init fixed to 4) and the mislabel probe.
    class_index : which logit's margin to use for multi-logit models (module docstring).
    mislabel_filter : None, "confident" (confident-learning style out-of-fold linear probe,
        see `mislabel.confident_mislabels`) or a callable
        `f(features, labels, window) -> bool mask over window` (True = likely mislabelled),
        e.g. `mislabel.ZeroShotFilter(...)`. Flagged samples stay in `window_` but are left
        out of the clustering (`window_clusters_ == -1`) and listed in `mislabeled_`.
    C : inverse L2 strength of `refit` (scikit-learn meaning; "auto" selects it).
    device : torch device for `refit` ("auto" = CUDA when present).

    A scikit-learn estimator: get_params/set_params (unknown names -> ValueError), clone, repr.

    Fitted attributes: margin_ (N,), window_ (int64 indices, ascending), window_clusters_,
    cluster_classes_ (class of each cluster id), cluster_centers_, cluster_sizes_,
    cluster_scores_, cluster_error_rates_, candidates_, candidate_clusters_,
    minority_clusters_, groups_ (N,), warnings_ (list of str), confident_ (N,) bool (right and
    outside the window: the confident majority), confident_counts_ (class -> its count, for each
    clustered class), mislabeled_, labels_, features_,
    warm_started_ (the last window's k-means started from the previous centres: `fit_window`);
    `refit` sets head_ and refit_warnings_ (list of str).
    add_errors : add every misclassified sample to the window's samples before clustering.
    max_cluster_samples : per class, k-means runs on at most this many of the clustered
        samples (a random subsample drawn with `random_state`) and every one of them joins
        its nearest centre (None: all; `window_clusters.cluster_per_class`).
    """

    def __init__(
        self,
        quantile: float = 0.15,
        window: tuple[float, float] | None = None,
        n_clusters: int = 8,
        random_state: int = 0,
        *,
        class_index: int | None = None,
        mislabel_filter: None | str | Callable[..., Any] = None,
        C: float | str = 1.0,
        device: Any = "auto",
        add_errors: bool = True,
        max_cluster_samples: int | None = MAX_CLUSTER_SAMPLES,
    ):
        self.quantile = quantile
        self.window = window
        self.n_clusters = n_clusters
        self.random_state = random_state
        self.class_index = class_index
        self.mislabel_filter = mislabel_filter
        self.C = C
        self.device = device
        self.add_errors = add_errors
        self.max_cluster_samples = max_cluster_samples

    # ------------------------------------------------------------------ fit
    def fit(self, features: Any, logits: Any, labels: Any, *, propagate: bool = True) -> MID:
        """Run the pipeline on training features (N, D), logits (N,) or (N, C) and labels (N,).

        propagate=False leaves `groups_` (the pass over all N samples) to `propagate()`, which
        `refit` calls: MIDExplorer re-clusters a dragged window without that pass.
        """
        features = check_features(features)
        logits = check_logits(logits)
        check_same_length(features=features, logits=logits)
        n_classes = max(2, logits.shape[1])
        labels = check_labels(labels, "labels", n=len(features))
        if labels.max() >= n_classes:
            raise ValueError(
                f"labels holds class {labels.max()} but logits has {logits.shape[1]} column(s), i.e. classes "
                f"0..{n_classes - 1}; labels must be classes of the model's logits"
            )
        check_positive_int(self.n_clusters, "n_clusters")
        class_index = self.class_index
        if class_index is not None:
            class_index = check_positive_int(class_index, "class_index", minimum=0)
            if logits.shape[1] < 2 or class_index >= logits.shape[1]:
                raise ValueError(
                    f"class_index must be a column of logits (0..{logits.shape[1] - 1}, needs >= 2 columns); got {class_index}"
                )
        margin = margins(logits, class_index)
        predicted = predicted_classes(logits)
        self._window_stats: dict = {}  # per-class statistics every window shares
        self._fit_window((features, logits, labels, n_classes, margin, predicted), propagate)
        return self

    def fit_window(
        self, window: tuple[float, float] | None = None, *, propagate: bool = False, warm_start: bool = False
    ) -> MID:
        """Re-run the window steps (window -> candidates -> clusters -> flags) on the data of the
        last `fit`, with `window` (None: the `window` / `quantile` parameters): no re-validation
        and no pass over all N features (`groups_` waits for `propagate()`, which `refit`
        calls). MIDExplorer calls it on every drag. On an error the fitted state and the
        `window` parameter are kept.

        warm_start=True (MIDExplorer's drags): when the new window shares at least
        `WARM_START_OVERLAP` of its samples with the previous one, each class's k-means is one
        run started from the previous window's centres (no k-means++ restarts): nearby windows
        keep their clusters, so the gallery does not reshuffle while dragging, and a drag costs
        less. The clusters then depend on the previous window too, not only on this one
        (`warm_started_` says whether it happened); False gives exactly `fit` with `window`."""
        check_is_fitted(self, "cluster_centers_")
        previous = self.window
        if window is not None:
            self.window = check_window(window)
        try:
            self._fit_window(self._data, propagate, warm_start)
        except Exception:
            self.window = previous
            raise
        return self

    def _fit_window(self, data: tuple, propagate: bool, warm_start: bool = False) -> None:
        features, logits, labels, n_classes, margin, predicted = data
        n_clusters = check_positive_int(self.n_clusters, "n_clusters")
        window = self._select_window(margin)
        init = self._warm_start_centers(window, len(margin)) if warm_start else None
        window_labels = labels[window]
        present = present_classes(window_labels)
        if len(present) < 2:
            raise ValueError(
                f"the window holds samples of class {present[0]} only ({len(window)} samples); it must contain "
                "at least 2 classes: widen the window or raise quantile"
            )
        mislabeled = window_mislabels(self.mislabel_filter, features, labels, window, self.random_state)
        kept = window[~mislabeled]
        wrong = predicted != labels
        # Candidates: the window (minus mislabel suspects) plus, with add_errors, every
        # misclassified sample (the JTT/AFR error set): a strong shortcut pushes minority
        # samples to the wrong side with a large margin, out of any window around zero.
        candidates = kept
        if self.add_errors:
            chosen = wrong.copy()  # a mask over N: np.union1d / setdiff1d sort (~0.1 s at 200k)
            chosen[window[mislabeled]] = False
            chosen[kept] = True
            candidates = np.flatnonzero(chosen).astype(np.int64)
        cap = self.max_cluster_samples
        cap = None if cap is None else check_positive_int(cap, "max_cluster_samples")
        distances: dict = {}  # capped classes' distances to their centres, reused by errors_join_flagged
        clusters, centers, classes = cluster_per_class(
            features, labels, candidates, n_clusters, self.random_state, cap, distances, init
        )
        stats = getattr(self, "_window_stats", None)
        scores = minority_scores(features, labels, margin, window, predicted, centers, classes, stats)
        minority = flag_minority(error_rates(wrong, candidates, clusters, len(classes)))
        clusters = errors_join_flagged(
            features, labels, wrong, candidates, clusters, centers, classes, minority, distances
        )
        rates = error_rates(wrong, candidates, clusters, len(classes))
        confident = confident_majority(labels, window, predicted)
        # Everything validated and computed: only now replace the fitted state.
        position = np.searchsorted(candidates, kept)
        window_clusters = np.full(len(window), -1, dtype=np.int64)
        window_clusters[~mislabeled] = clusters[position]
        self._data = data
        self.features_, self.labels_, self.n_classes_ = features, labels, n_classes
        self.margin_ = margin
        self.window_ = window
        self.mislabeled_ = window[mislabeled]
        self.window_clusters_ = window_clusters
        self.candidates_ = candidates
        self.candidate_clusters_ = clusters
        self.cluster_centers_ = centers
        self.cluster_classes_ = classes
        self.cluster_sizes_ = np.bincount(clusters, minlength=len(classes)).astype(np.int64)
        self.cluster_scores_ = scores
        self.cluster_error_rates_ = rates
        self.minority_clusters_ = minority
        self.confident_ = confident  # kept so that `refit` can check marked groups against it too
        self.warm_started_ = init is not None
        self.groups_ = None
        # Flagged clusters take no propagated members, so their size is their candidate count.
        self.warnings_ = size_warnings(clusters, labels[candidates], self.confident_counts_, minority, classes)
        if propagate:
            self.propagate()

    @property
    def confident_counts_(self) -> dict[int, int]:
        """Class -> its number of confident-majority samples (`confident_`), per clustered class."""
        confident, labels = self.confident_, self.labels_
        return {int(c): int((confident & (labels == c)).sum()) for c in np.unique(self.cluster_classes_)}

    def _warm_start_centers(self, window: np.ndarray, n: int) -> dict[int, np.ndarray] | None:
        """Class -> the previous window's centres, when `window` overlaps it enough."""
        if window_overlap(self.window_, window, n) < WARM_START_OVERLAP:
            return None
        classes = self.cluster_classes_
        return {int(c): self.cluster_centers_[classes == c] for c in set(classes.tolist())}

    def _select_window(self, margin: np.ndarray) -> np.ndarray:
        if self.window is not None:
            lo, hi = check_window(self.window)
            window = np.flatnonzero((margin >= lo) & (margin <= hi)).astype(np.int64)
            if len(window) == 0:
                raise ValueError(
                    f"window ({lo:g}, {hi:g}) selects no samples; the margins range over "
                    f"[{margin.min():.3g}, {margin.max():.3g}]"
                )
            return window
        quantile = check_fraction(self.quantile, "quantile")
        size = max(1, int(round(quantile * len(margin))))
        order = np.argsort(np.abs(margin), kind="stable")[:size]
        return np.sort(order).astype(np.int64)


__all__ = ["MID", "MISSING_CLASS_LOGIT", "margins", "balanced_weights"]
