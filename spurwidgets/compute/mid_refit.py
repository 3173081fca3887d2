"""The refit side of MID: propagate the window's clusters to every sample, merge the chosen
clusters into one minority group per class, refit the last layer, report and enrichment.

`MIDRefit` is a mixin of `spurwidgets.compute.mid.MID` (import MID from there): `MID.fit`
finds and flags the clusters, these methods use them. It lives apart so that each module stays
readable; it reads MID's parameters and fitted attributes, declared below for type checkers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import metrics
from .mid_heads import cluster_ids, one_output_per_class
from .predictions import predicted_classes
from .refit import LinearHead, refit_head
from .validation import check_features, check_is_fitted, check_labels, check_logits, check_same_length
from .window_clusters import propagate_clusters


def chosen_group_warnings(
    groups: np.ndarray, chosen: np.ndarray, classes: np.ndarray, n_classes: int, confident: np.ndarray
) -> list[str]:
    """Sanity rule for what `refit` upweights: a class's merged minority group (its chosen
    clusters' members, `groups` from `refit_groups`) made mostly of the class's confident
    majority (`confident`: right and outside the window) is probably a majority group, and
    weighing it as a minority can undo the refit (a mark on a majority cluster does that:
    `benchmarks/RESULTS.md`). A share, not a size: with 8 clusters per class a marked
    majority cluster takes only part of its class's confident samples, so it is rarely larger
    than all of them, but it is almost entirely made of them, and a true minority group is not."""
    messages = []
    chosen_classes = classes[chosen]
    for offset, cls in enumerate(np.unique(chosen_classes)):
        members = groups == n_classes + offset
        size, from_majority = int(members.sum()), int(confident[members].sum())
        if from_majority * 2 > size:
            ids = ", ".join(str(int(c)) for c in chosen[chosen_classes == cls])
            messages.append(
                f"the minority group of class {int(cls)} (cluster(s) {ids}) holds {size} samples, {from_majority} "
                "of them from the class's confident majority (right, outside the window); it is probably "
                "mostly majority and can undo the refit: check the marks in the gallery"
            )
    return messages


class MIDRefit:
    """`propagate`, `refit_groups`, `refit`, `report` and `enrichment` of `MID`."""

    if TYPE_CHECKING:  # declarations only: MID's parameters and `fit` set these
        C: float | str
        device: Any
        random_state: int
        features_: np.ndarray
        labels_: np.ndarray
        n_classes_: int
        window_: np.ndarray
        candidates_: np.ndarray
        candidate_clusters_: np.ndarray
        cluster_centers_: np.ndarray
        cluster_classes_: np.ndarray
        minority_clusters_: np.ndarray
        confident_: np.ndarray
        groups_: np.ndarray | None

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

    def _chosen_clusters(self, clusters: Any) -> np.ndarray:
        """Ascending unique cluster ids: `minority_clusters_` for None, else the user's choice."""
        chosen = self.minority_clusters_ if clusters is None else cluster_ids(clusters, len(self.cluster_classes_))
        return np.unique(chosen)

    def refit_groups(self, clusters: Any = None) -> np.ndarray:
        """Groups used by `refit`: per class, one minority group (the propagated members of
        the class's chosen clusters, merged) and one group for the rest of the class (its
        class id). Minority groups get ids n_classes, n_classes + 1, ... in class order.
        Returns (N,) int64 group ids.

        clusters: None (`minority_clusters_`), cluster ids (list, array, set, int), or the
        `{cluster: tag}` dict of `ClusterGallery.marked` (its "minority" clusters are used)."""
        members = self.propagate()
        chosen = self._chosen_clusters(clusters)
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

        Sets `head_` and `refit_warnings_` (`chosen_group_warnings`: a class's merged minority
        group made mostly of its confident majority); the warnings change nothing in the fit.
        """
        groups = self.refit_groups(clusters)
        warnings = chosen_group_warnings(
            groups, self._chosen_clusters(clusters), self.cluster_classes_, self.n_classes_, self.confident_
        )
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
        self.head_, self.refit_warnings_ = head, warnings
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


__all__ = ["MIDRefit", "chosen_group_warnings"]
