"""MIDExplorer: the MID method as one notebook app.

LogitCurve of the margins (drag the intercept window) + ClusterGallery of the window's
per-class clusters (mark the minority ones) + a "Refit head" button with a progress bar +
a before/after table (overall, worst-group and per-group accuracy). The children are the
real LogitCurve / ClusterGallery widgets embedded in this one anywidget
(`mid_explorer_children.py`), so the app renders wherever a single anywidget does.
Everything is readable from Python: `explorer.window`, `explorer.marked`, `explorer.head`,
`explorer.mid` (the fitted `MID`), `explorer.table` (the before/after numbers).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import traitlets

from ..compute.mid import MID, margins
from ..compute.refit import LinearHead
from ._base import SpurWidget, css_source, esm_source
from .mid_explorer_children import ChildMirror
from .mid_explorer_data import MINORITY_TAGS, accuracy_table, load_inputs, make_gallery, window_members


class MIDExplorer(SpurWidget):
    """Drag an intercept window, mark minority clusters, refit the last layer, compare.

    `MIDExplorer(model_or_features, images, labels, groups=None, *, logits=None,
    eval_set=None, quantile=0.15, n_clusters=2, random_state=0, class_index=None, C=1.0,
    class_names=None, group_names=None, device="auto")`

    model_or_features: a torch model (features/logits are extracted from `images`), a
        FeatureSet, or a feature array (N, D) together with `logits=`.
    images: the N images (shown in the gallery); labels: (N,) ints (None: from an ImageSet);
    groups: optional (N,) true groups, only used for the table (None: from an ImageSet).
    eval_set: where the table measures accuracy; default the fitted samples. With a model:
        (images, labels[, groups]) or an ImageSet; with features: (features, logits,
        labels[, groups]).
    The other parameters are `MID`'s. The window starts at MID's quantile window.
    """

    _child_changes = traitlets.Dict(help="values an embedded child view saved: {child, seq, state}").tag(sync=True)
    refit_clicks = traitlets.Int(0, help="how many times the Refit button was pressed").tag(sync=True)
    busy = traitlets.Bool(False, help="a refit is running").tag(sync=True)
    progress = traitlets.Float(0.0, help="refit progress in [0, 1]").tag(sync=True)
    status = traitlets.Unicode("", help="one-line status under the button").tag(sync=True)
    table = traitlets.Dict(help="before/after table: {caption, columns, rows}").tag(sync=True)
    _curve_state = traitlets.Dict(help="mirrored synced state of the embedded LogitCurve").tag(sync=True)
    _curve_esm = traitlets.Unicode(help="ES module of the embedded LogitCurve").tag(sync=True)
    _curve_css = traitlets.Unicode(help="stylesheet of the embedded LogitCurve").tag(sync=True)
    _gallery_state = traitlets.Dict(help="mirrored synced state of the embedded ClusterGallery").tag(sync=True)
    _gallery_esm = traitlets.Unicode(help="ES module of the embedded ClusterGallery").tag(sync=True)
    _gallery_css = traitlets.Unicode(help="stylesheet of the embedded ClusterGallery").tag(sync=True)

    _esm = esm_source("mid_explorer.js")
    _css = css_source("mid_explorer.css")

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
        n_clusters: int = 2,
        random_state: int = 0,
        class_index: int | None = None,
        C: float | str = 1.0,
        class_names: Any = None,
        group_names: Any = None,
        device: Any = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        data = load_inputs(model_or_features, images, labels, groups, logits, eval_set, device)
        self.features, self.logits, self.labels = data.features, data.logits, data.labels
        self.groups, self.images, self.evaluation = data.groups, data.images, data.evaluation
        self.raw_images = data.raw_images
        self.class_names = class_names if class_names is not None else data.class_names
        self.group_names = group_names if group_names is not None else data.group_names
        self.mid = MID(quantile=quantile, n_clusters=n_clusters, random_state=random_state,
                       class_index=class_index, C=C, device=device).fit(self.features, self.logits, self.labels)  # fmt: skip
        self.margin = self.mid.margin_
        self.head: LinearHead | None = None
        window = self.mid.window_
        start = (float(self.margin[window].min()), float(self.margin[window].max()))
        self.mid.set_params(window=start)

        from .logit_curve import LogitCurve

        self.curve = LogitCurve(self.margin, labels=self.labels, window=start, class_names=self.class_names)
        self.curve.y_label = "margin" if self.logits.shape[1] != 1 else "logit"
        self.gallery = make_gallery(self)
        self.gallery.marked = {int(c): "minority" for c in self.mid.minority_clusters_}
        self._mirrors = {
            "curve": ChildMirror(self, "curve", self.curve),
            "gallery": ChildMirror(self, "gallery", self.gallery),
        }
        self.curve.observe(self.guard(self._on_window), "selection")
        self.observe(self.guard(self._on_child_changes), "_child_changes")
        self.observe(self.guard(lambda _change: self.refit()), "refit_clicks")
        self.on_msg(self._route_child_message)
        self.status = self._window_status()

    # ------------------------------------------------------------------ state readable from Python
    @property
    def window(self) -> tuple[float, float]:
        """The (lo, hi) margin window (synced with the curve); assign to move it."""
        return tuple(self.curve.window)  # type: ignore[return-value]

    @window.setter
    def window(self, value: Any) -> None:
        with self.hold_sync():
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

    # ------------------------------------------------------------------ callbacks
    def _on_window(self, _change: Any = None) -> None:
        """Re-run MID on the new window; on bad input the previous clusters stay (error shown)."""
        window = tuple(self.curve.window)
        previous = self.mid.window
        self.mid.set_params(window=window)
        try:
            self.mid.fit(self.features, self.logits, self.labels)
        except Exception:
            self.mid.set_params(window=previous)
            self.status = f"Window ({window[0]:.3g}, {window[1]:.3g}) was not applied; the clusters below are still those of ({previous[0]:.3g}, {previous[1]:.3g})."
            raise
        self._show_clusters()
        self.status = self._window_status()

    def _show_clusters(self) -> None:
        """Show the window's clusters in the gallery, pre-marked with MID's automatic flags."""
        indices, clusters = window_members(self.mid)
        with self.gallery.hold_sync():
            self.gallery.marked = {}
            self.gallery.set_clusters(clusters, indices=indices, labels=self.labels)
            self.gallery.marked = {int(c): "minority" for c in self.mid.minority_clusters_}

    def _window_status(self) -> str:
        n_clusters = len(self.mid.cluster_classes_)
        flags = ", ".join(map(str, self.mid.minority_clusters_.tolist())) or "none"
        return f"{len(self.mid.window_)} samples in the window, {n_clusters} clusters; MID flags cluster(s) {flags} as minority."

    def _on_child_changes(self, change: dict[str, Any]) -> None:
        message = change["new"] or {}
        mirror = self._mirrors.get(message.get("child", ""))
        if mirror is None:
            raise ValueError(f"unknown embedded view {message.get('child')!r}")
        with self.hold_sync():  # one message for everything the change causes (curve, clusters, gallery)
            mirror.apply(dict(message.get("state") or {}))

    def _route_child_message(self, _widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("kind") == "child" and content.get("child") in self._mirrors:
            self.guard(self._mirrors[content["child"]].handle_message)(content.get("content"), buffers)

    # ------------------------------------------------------------------ refit
    def refit(self, clusters: Any = None) -> LinearHead:
        """Refit the head on the marked clusters (or `clusters`), update the table; returns the head."""
        chosen = self.minority_clusters() if clusters is None else [int(c) for c in np.asarray(clusters).reshape(-1)]
        start = time.perf_counter()
        self.busy, self.progress = True, 0.1
        self.status = f"Refitting the last layer with cluster(s) {chosen or 'none'} upweighted…"
        try:
            head = self.mid.refit(chosen)
            self.progress = 0.7
            self.status = "Measuring accuracy before and after…"
            self.table = accuracy_table(self, head)
            self.head = head
            self.progress = 1.0
            self.status = (
                f"Refit done in {time.perf_counter() - start:.2f} s; cluster(s) {chosen or 'none'} upweighted."
            )
        except Exception:
            self.progress = 0.0
            self.status = "Refit failed; the previous head and table are kept."
            raise
        finally:
            self.busy = False
        return head


__all__ = ["MIDExplorer", "margins"]
