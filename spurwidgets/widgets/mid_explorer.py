"""MIDExplorer: the MID method as one notebook app.

An `ipywidgets.VBox` of real widgets, each with its own model and comm (the same
composition as ProbeExplorer and SpuriosityExplorer): a title, the LogitCurve of the
margins (drag the intercept window), the ClusterGallery of the window's per-class clusters
(mark the minority ones) and `MIDPanel` (the "Refit head" button, progress, status, warnings
and the before/after table). A drag therefore sends only what it changes: the curve's
window and counts, the gallery's new clusters; a mark sends only the mark.
Everything is readable from Python: `explorer.window`, `explorer.marked`, `explorer.head`,
`explorer.mid` (the fitted `MID`), `explorer.table` (the before/after numbers).
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets
import numpy as np
import traitlets

from ..compute.mid import MID, margins
from ..compute.refit import LinearHead, interactive_refit_options
from ._base import SpurWidget, check_kwargs, css_source, esm_source
from .cluster_gallery import ClusterGallery
from .logit_curve import LogitCurve
from .mid_explorer_data import MINORITY_TAGS, accuracy_table, load_inputs, refit_warnings, window_members

TITLE = (
    '<div class="sw-me-title">MID — intercept window</div><div class="sw-me-help">Drag the window over the sorted '
    "margins; mark the clusters that look like minority groups; refit the last layer.</div>"
)


class MIDPanel(SpurWidget):
    """MIDExplorer's controls: Refit button, progress, status, warnings, before/after table."""

    refit_clicks = traitlets.Int(0, help="how many times the Refit button was pressed").tag(sync=True)
    busy = traitlets.Bool(False, help="a refit is running").tag(sync=True)
    progress = traitlets.Float(0.0, help="refit progress in [0, 1]").tag(sync=True)
    status = traitlets.Unicode("", help="one-line status next to the button").tag(sync=True)
    warnings = traitlets.List(traitlets.Unicode(), help="warnings shown above the table").tag(sync=True)
    table = traitlets.Dict(help="before/after table: {caption, columns, rows}").tag(sync=True)

    _esm = esm_source("mid_explorer.js")
    _css = css_source("mid_explorer.css")


class MIDExplorer(ipywidgets.VBox):
    """Drag an intercept window, mark minority clusters, refit the last layer, compare.

    `MIDExplorer(model_or_features, images, labels, groups=None, *, logits=None,
    eval_set=None, quantile=0.15, n_clusters=8, random_state=0, class_index=None, C=1.0,
    class_names=None, group_names=None, device="auto")`

    model_or_features: a torch model (features/logits are extracted from `images`), a
        FeatureSet, or a feature array (N, D) together with `logits=`.
    images: the N images (shown in the gallery); labels: (N,) ints (None: from an ImageSet);
    groups: optional (N,) true groups, only used for the table (None: from an ImageSet).
    eval_set: held-out data for the before/after table (recommended: the fitted samples are
        those the window was chosen on). With a model: (images, labels[, groups]) or an
        ImageSet; with features: (features, logits, labels[, groups]).
    The other parameters are `MID`'s. The window starts at MID's quantile window.
    Parts: `curve` (LogitCurve), `gallery` (ClusterGallery), `panel` (MIDPanel).
    """

    def __init__(
        self,
        model_or_features: Any,
        images: Any,
        labels: Any = None,
        groups: Any = None,
        *,
        logits: Any = None,
        eval_set: Any = None,
        quantile: float = 0.15,
        n_clusters: int = 8,
        random_state: int = 0,
        class_index: int | None = None,
        C: float | str = 1.0,
        class_names: Any = None,
        group_names: Any = None,
        device: Any = "auto",
        **kwargs: Any,
    ) -> None:
        check_kwargs("MIDExplorer", kwargs)
        data = load_inputs(model_or_features, images, labels, groups, logits, eval_set, device)
        self.features, self.logits, self.labels = data.features, data.logits, data.labels
        self.groups, self.images, self.evaluation = data.groups, data.images, data.evaluation
        self.raw_images = data.raw_images
        self.class_names = class_names if class_names is not None else data.class_names
        self.group_names = group_names if group_names is not None else data.group_names
        self.mid = MID(quantile=quantile, n_clusters=n_clusters, random_state=random_state,
                       class_index=class_index, C=C, device=device)  # fmt: skip
        self.mid.fit(self.features, self.logits, self.labels, propagate=False)
        self.margin = self.mid.margin_
        self.head: LinearHead | None = None
        window = self.mid.window_
        start = (float(self.margin[window].min()), float(self.margin[window].max()))
        self.mid.set_params(window=start)

        self.panel = MIDPanel()
        self.curve = LogitCurve(self.margin, labels=self.labels, window=start, class_names=self.class_names)
        self.curve.y_label = "margin" if self.logits.shape[1] != 1 else "logit"
        indices, clusters = window_members(self.mid)
        self.gallery = ClusterGallery(
            self.raw_images, clusters, labels=self.labels, indices=indices, class_names=self.class_names
        )
        self.gallery.marked = {int(c): "minority" for c in self.mid.minority_clusters_}
        self.curve.observe(self.guard(self._on_window), "selection")
        self.panel.observe(self.guard(lambda _change: self.refit()), "refit_clicks")
        self.panel.status = self._window_status()
        self.panel.warnings = self._flag_warnings()
        title = ipywidgets.HTML(TITLE)
        super().__init__([title, self.curve, self.gallery, self.panel], **kwargs)
        self.add_class("sw-me")

    # ------------------------------------------------------------------ state readable from Python
    @property
    def window(self) -> tuple[float, float]:
        """The (lo, hi) margin window (synced with the curve); assign to move it."""
        return tuple(self.curve.window)  # type: ignore[return-value]

    @window.setter
    def window(self, value: Any) -> None:
        self.curve.window = value

    @property
    def marked(self) -> dict[int, str]:
        """Cluster id -> tag the user gave in the gallery (e.g. "minority")."""
        return {int(k): str(v) for k, v in dict(self.gallery.marked).items()}

    @marked.setter
    def marked(self, value: dict[int, str]) -> None:
        self.gallery.marked = {int(k): str(v) for k, v in dict(value).items()}

    def minority_clusters(self) -> list[int]:
        """Clusters marked as minority (what `refit` upweights)."""
        return sorted(c for c, tag in self.marked.items() if tag in MINORITY_TAGS)

    # The panel's traits, readable (and the button's counter settable) from the explorer.
    error = property(lambda self: self.panel.error, doc="last callback error, shown in the panel")
    status = property(lambda self: self.panel.status, doc="one-line status under the gallery")
    table = property(lambda self: self.panel.table, doc="before/after table: {caption, columns, rows}")
    busy = property(lambda self: self.panel.busy, doc="a refit is running")
    progress = property(lambda self: self.panel.progress, doc="refit progress in [0, 1]")
    warnings = property(lambda self: list(self.panel.warnings), doc="warnings shown above the table")

    @property
    def refit_clicks(self) -> int:
        """How many times the Refit button was pressed; incrementing it refits, as the button does."""
        return self.panel.refit_clicks

    @refit_clicks.setter
    def refit_clicks(self, value: int) -> None:
        self.panel.refit_clicks = value

    def guard(self, callback: Any) -> Any:
        """Run `callback` so that its exception shows in the panel (see SpurWidget.guard)."""
        return self.panel.guard(callback)

    # ------------------------------------------------------------------ callbacks
    def _on_window(self, _change: Any = None) -> None:
        """Re-cluster the new window (no pass over all N features: that waits for Refit); on bad input
        the previous clusters stay and the error is shown."""
        window = tuple(self.curve.window)
        previous = self.mid.window
        assert previous is not None  # a fitted MID always has its window (for type checkers)
        try:
            # Reuses the validated arrays of the first fit; nearby windows start k-means from the
            # previous centres, so the clusters (and the gallery) stay put while dragging.
            self.mid.fit_window(window, warm_start=True)
        except Exception:
            self.panel.status = f"Window ({window[0]:.3g}, {window[1]:.3g}) was not applied; the clusters below are still those of ({previous[0]:.3g}, {previous[1]:.3g})."
            raise
        indices, clusters = window_members(self.mid)
        with self.gallery.hold_sync():
            self.gallery.marked = {}
            self.gallery.set_clusters(clusters, indices=indices, labels=self.labels)
            self.gallery.marked = {int(c): "minority" for c in self.mid.minority_clusters_}
        with self.panel.hold_sync():
            self.panel.status = self._window_status()
            self.panel.warnings = self._flag_warnings()

    def _window_status(self) -> str:
        n_clusters = len(self.mid.cluster_classes_)
        flags = ", ".join(map(str, self.mid.minority_clusters_.tolist())) or "none"
        extra = len(getattr(self.mid, "candidates_", self.mid.window_)) - int((self.mid.window_clusters_ >= 0).sum())
        errors = f" (+{extra} misclassified outside it)" if extra > 0 else ""
        return (
            f"{len(self.mid.window_)} samples in the window{errors}, {n_clusters} clusters; "
            f"MID flags cluster(s) {flags} as minority."
        )

    def _flag_warnings(self) -> list[str]:
        """MID's own doubts about its flags (`warnings_`, when the MID version has them)."""
        return [str(w) for w in getattr(self.mid, "warnings_", []) or []]

    # ------------------------------------------------------------------ refit
    def refit(self, clusters: Any = None) -> LinearHead:
        """Refit the head on the marked clusters (or `clusters`), update the table; returns the head.

        The warnings panel then lists MID's doubts about its flags, about the chosen clusters
        (`MID.refit_warnings_`: a class's merged minority group made mostly of its confident
        majority) and about the table (a refit that costs overall accuracy)."""
        panel = self.panel
        chosen = self.minority_clusters() if clusters is None else [int(c) for c in np.asarray(clusters).reshape(-1)]
        start = time.perf_counter()
        panel.busy, panel.progress = True, 0.1
        panel.status = f"Refitting the last layer with cluster(s) {chosen or 'none'} upweighted…"
        try:
            head = self.mid.refit(chosen, **interactive_refit_options(len(self.mid.labels_)))
            panel.progress = 0.7
            panel.status = "Measuring accuracy before and after…"
            table = accuracy_table(self, head)
            with panel.hold_sync():
                panel.table = table
                panel.warnings = self._flag_warnings() + list(self.mid.refit_warnings_) + refit_warnings(table)
            self.head = head
            panel.progress = 1.0
            panel.status = (
                f"Refit done in {time.perf_counter() - start:.2f} s; cluster(s) {chosen or 'none'} upweighted."
            )
        except Exception:
            panel.progress = 0.0
            panel.status = "Refit failed; the previous head and table are kept."
            raise
        finally:
            panel.busy = False
        return head


__all__ = ["MIDExplorer", "MIDPanel", "margins"]
