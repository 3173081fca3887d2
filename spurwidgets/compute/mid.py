"""MID: find minority groups in the intercept window of a classifier's logits, refit its head.

Pipeline (`MID.fit`): margin of every sample -> intercept window (smallest |margin| or an
explicit logit range) -> optional mislabel filter -> per-class k-means on the window's
features -> flag likely minority clusters -> propagate cluster membership to every sample
of the class. `MID.refit` then fits a new last layer on a cluster-balanced objective.

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
   (right, outside the window) is probably a majority group: `warnings_` says so.
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

from . import metrics
from .mid_heads import MISSING_CLASS_LOGIT, cluster_ids, one_output_per_class
from .mislabel import confident_mislabels
from .predictions import predicted_classes
from .refit import LinearHead, balanced_weights, refit_head
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
    propagate_clusters,
    size_warnings,
    window_overlap,
)


class MID(Estimator):
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
    minority_clusters_, groups_ (N,), warnings_ (list of str), mislabeled_, labels_, features_,
    warm_started_ (the last window's k-means started from the previous centres: `fit_window`).
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
        mislabeled = self._mislabeled(features, labels, window)
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
        confident_counts = {int(c): int((confident & (labels == c)).sum()) for c in np.unique(classes)}
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
        self.warm_started_ = init is not None
        self.groups_ = None
        # Flagged clusters take no propagated members, so their size is their candidate count.
        self.warnings_ = size_warnings(clusters, labels[candidates], confident_counts, minority, classes)
        if propagate:
            self.propagate()

    def _warm_start_centers(self, window: np.ndarray, n: int) -> dict[int, np.ndarray] | None:
        """Class -> the previous window's centres, when `window` overlaps it enough."""
        if window_overlap(self.window_, window, n) < WARM_START_OVERLAP:
            return None
        classes = self.cluster_classes_
        return {int(c): self.cluster_centers_[classes == c] for c in set(classes.tolist())}

    def propagate(self) -> np.ndarray:
        """`groups_`: every sample's nearest window cluster of its own class (computed once)."""
        check_is_fitted(self, "cluster_centers_")
        groups = self.groups_
        if groups is None:
            # Samples outside the candidates (right, outside the window) join the nearest
            # unflagged cluster of their class: the model gets them right with confidence, so
            # they are majority; candidates keep their own cluster.
            groups = propagate_clusters(
                self.features_,
                self.labels_,
                self.cluster_centers_,
                self.cluster_classes_,
                exclude=self.minority_clusters_,
            )
            groups[self.candidates_] = self.candidate_clusters_
            self.groups_ = groups
        return groups

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

    def _mislabeled(self, features: np.ndarray, labels: np.ndarray, window: np.ndarray) -> np.ndarray:
        """Boolean mask over the window: True = flagged by the mislabel filter."""
        flt = self.mislabel_filter
        if flt is None:
            return np.zeros(len(window), dtype=bool)
        if isinstance(flt, str):
            if flt != "confident":
                raise ValueError(f"mislabel_filter must be None, 'confident' or a callable; got {flt!r}")
            return confident_mislabels(features, labels, random_state=self.random_state)[window]
        if not callable(flt):
            raise TypeError(f"mislabel_filter must be None, 'confident' or a callable; got {type(flt).__name__}")
        mask = np.asarray(flt(features, labels, window))
        if mask.shape != (len(window),) or mask.dtype != bool:
            raise ValueError(
                f"mislabel_filter must return a boolean mask of shape ({len(window)},) over the window; "
                f"got shape {mask.shape} and dtype {mask.dtype}"
            )
        return mask

    # ------------------------------------------------------------------ refit
    def refit_groups(self, clusters: Any = None) -> np.ndarray:
        """Groups used by `refit`: per class, one minority group (the propagated members of
        the class's chosen clusters, merged) and one group for the rest of the class (its
        class id). Minority groups get ids n_classes, n_classes + 1, ... in class order.
        Returns (N,) int64 group ids.

        clusters: None (`minority_clusters_`), cluster ids (list, array, set, int), or the
        `{cluster: tag}` dict of `ClusterGallery.marked` (its "minority" clusters are used)."""
        members = self.propagate()
        chosen = self.minority_clusters_ if clusters is None else cluster_ids(clusters, len(self.cluster_classes_))
        chosen = np.unique(chosen)
        groups = self.labels_.copy()  # "rest of class k" = group k
        chosen_classes = self.cluster_classes_[chosen]
        for offset, cls in enumerate(np.unique(chosen_classes)):
            # Merged per class: k-means may split one minority group into several clusters,
            # and separate groups would give a split group several shares of the loss.
            groups[np.isin(members, chosen[chosen_classes == cls])] = self.n_classes_ + offset
        return groups

    def refit(
        self,
        clusters: Any = None,
        *,
        C: float | str | None = None,
        max_samples: int | None = None,
        rank: int | None = None,
    ) -> LinearHead:
        """Refit the last layer on the fitted features with a cluster-balanced loss.

        clusters: cluster ids to treat as minority groups (None: `minority_clusters_`; []:
        class-balanced only; a `ClusterGallery.marked` dict: its "minority" clusters). Each
        class's chosen clusters (their propagated members `groups_`, merged) and the rest of
        each class weigh the same in the loss (`refit_groups`). The head has one output per class of the model's
        logits, also when `labels` miss a class: such a class gets weight 0 and a bias of
        `MISSING_CLASS_LOGIT`, so the head never predicts it.
        max_samples, rank: passed to `refit_head` (None: an exact fit on every sample): fit a
        group-balanced subsample of `max_samples` rows drawn with `random_state`, in the top
        `rank` principal directions plus the group-mean contrasts they miss. MIDExplorer's Refit button uses
        `refit.INTERACTIVE_MAX_SAMPLES` / `INTERACTIVE_RANK` when N is larger than the cap.
        """
        groups = self.refit_groups(clusters)
        head = refit_head(
            self.features_,
            self.labels_,
            groups=groups,
            C=self.C if C is None else C,
            random_state=self.random_state,
            device=self.device,
            max_samples=max_samples,
            rank=rank,
        )
        head = one_output_per_class(head, self.n_classes_)
        self.head_ = head
        return head

    def report(
        self, features: Any, logits: Any, labels: Any, groups: Any, *, head: Any = None, group_names: Any = None
    ):
        """Accuracy per group before (the model's logits) and after (`head`, default the last
        `refit`), via `metrics.report`: a DataFrame indexed by group plus "worst group" and
        "overall", columns n, before, after, change."""
        head = getattr(self, "head_", None) if head is None else head
        if head is None:
            raise RuntimeError("no refitted head yet: call refit() first or pass head=")
        features, logits = check_features(features), check_logits(logits)
        labels = check_labels(labels, "labels", n=len(features))
        check_same_length(features=features, logits=logits, labels=labels)
        before_pred = predicted_classes(logits)
        before = metrics.report(labels, before_pred, groups, group_names)
        after = metrics.report(labels, head.predict(features), groups, group_names)
        table = before[["n"]].copy()
        table["before"], table["after"] = before["accuracy"], after["accuracy"]
        groups_only = table.drop(index="overall")
        table.loc["worst group"] = [len(labels), groups_only["before"].min(), groups_only["after"].min()]
        table["change"] = table["after"] - table["before"]
        table["n"] = table["n"].astype(int)
        return table

    def enrichment(self, true_groups: Any, minority: Any) -> float:
        """Share of true minority samples in the window divided by their share overall."""
        check_is_fitted(self, "window_")
        true_groups = check_labels(true_groups, "true_groups", n=len(self.labels_))
        is_minority = np.isin(true_groups, np.asarray(minority).reshape(-1))
        overall = is_minority.mean()
        if overall == 0:
            raise ValueError("minority names no group present in true_groups")
        return float(is_minority[self.window_].mean() / overall)


__all__ = ["MID", "MISSING_CLASS_LOGIT", "margins", "balanced_weights"]
