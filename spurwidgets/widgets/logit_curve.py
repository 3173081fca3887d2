"""LogitCurve: the sorted logit curve with a draggable window over logit values.

The browser never receives the N logits. Python sorts them once and sends a per-column
envelope (min/max of each of <= 2048 rank columns, float32 binary) and per-column label
counts, so the widget state stays under 64 KB for any N. The window (lo, hi) is one trait,
synced both ways; `selection` (exact int64 indices, ascending) is computed in Python with
`searchsorted` on the sorted logits whenever the window changes. A drag sends one window,
on pointer release (keyboard nudges are debounced); meanwhile the header shows "≈" counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..compute.sorting import smallest_abs_quantile, sort_float32
from ..compute.validation import check_labels, check_logits, check_positive_int, check_window
from ._base import NDArray, SpurWidget, css_source, esm_source, selection_array, set_array_trait
from .exports import LogitCurveExport

MAX_COLUMNS = 2048
MAX_LEGEND_CLASSES = 8  # more classes are summed into "other" for the per-column counts
STATE_BUDGET = 40_000  # bytes for envelope + counts; the rest of the state (ESM, CSS, scalars) < 24 KB


def sorted_envelope(sorted_values: np.ndarray, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (min, max) of a sorted curve split into `n_columns` rank ranges.

    Returns (envelope float32 (n_columns, 2), edges int64 (n_columns + 1,)): column c holds
    ranks edges[c] .. edges[c+1]-1; as the values are sorted, its min/max are its end points.
    """
    n = len(sorted_values)
    edges = (np.arange(n_columns + 1, dtype=np.int64) * n) // n_columns
    envelope = np.stack([sorted_values[edges[:-1]], sorted_values[edges[1:] - 1]], axis=1)
    return envelope.astype(np.float32), edges


def column_label_counts(sorted_codes: np.ndarray, edges: np.ndarray, n_codes: int) -> np.ndarray:
    """uint32 (n_columns, n_codes): how many samples of each label code fall in each column."""
    n_columns = len(edges) - 1
    # One small bincount per column (<= 2048 calls) reads the uint8 codes once; an int64
    # column id per rank (the obvious bincount) costs 8 bytes per sample and ~10x the time.
    counts = np.empty((n_columns, n_codes), dtype=np.uint32)
    for column in range(n_columns):
        counts[column] = np.bincount(sorted_codes[edges[column] : edges[column + 1]], minlength=n_codes)
    return counts


class LogitCurve(LogitCurveExport, SpurWidget):
    """Sorted logit curve; drag/resize/draw a window over logit values to select samples.

    `LogitCurve(logits, labels=None, window=None, class_index=0, class_names=None, height=260)`.
    `logits` is (N,) or (N, C); `class_index` picks the column to sort. `window=None` starts
    with the symmetric window around 0 holding the 15 % of samples with smallest |logit|.
    Gestures: drag the band to move it, drag its top/bottom edge to resize, drag on empty
    space to draw a new one; arrow keys Up/Down move it, Left/Right narrow/widen it
    (Shift: 10x steps). `w.observe(callback, "selection")` follows the window; assigning
    `w.selection = indices` (or a boolean mask) moves the window onto those samples, and the
    selection becomes every sample in that window.
    """

    window = traitlets.Tuple(
        traitlets.Float(),
        traitlets.Float(),
        default_value=(0.0, 0.0),
        help="(lo, hi) logit window, lo <= hi, synced both ways",
    ).tag(sync=True)
    envelope = NDArray(np.float32, help="float32 (columns, 2) min/max of the sorted curve per rank column")
    label_counts = NDArray(np.uint32, help="uint32 (columns, classes) label counts per rank column (None: no labels)")
    label_names = traitlets.List(traitlets.Unicode(), help="legend names of the label_counts classes").tag(sync=True)
    n_samples = traitlets.Int(0, help="N, the number of samples on the curve").tag(sync=True)
    count = traitlets.Int(0, help="exact number of samples in the window").tag(sync=True)
    class_counts = traitlets.List(traitlets.Int(), help="exact per-legend-class counts in the window").tag(sync=True)
    y_label = traitlets.Unicode("logit", help="y-axis title").tag(sync=True)
    height = traitlets.Int(260, help="canvas height in CSS pixels").tag(sync=True)
    selection = traitlets.Any(
        help="int64 indices (ascending) of the samples in the window (Python only); assigning indices moves "
        "the window onto them (the smallest window holding them), so the view highlights them"
    )

    _esm = esm_source("logit_curve.js")
    _css = css_source("logit_curve.css")

    def __init__(
        self,
        logits: Any,
        labels: Any = None,
        window: Any = None,
        *,
        class_index: int = 0,
        class_names: Any = None,
        height: int = 260,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._from_window = False  # True while the window (not the user's code) sets `selection`
        self.selection = np.zeros(0, dtype=np.int64)
        all_logits = check_logits(logits)
        n_classes = all_logits.shape[1]
        class_index = check_positive_int(class_index, "class_index", minimum=0)
        if class_index >= n_classes:
            raise ValueError(
                f"class_index must be in 0..{n_classes - 1} for logits with {n_classes} columns; got {class_index}"
            )
        self.labels = None if labels is None else check_labels(labels, "labels", n=len(all_logits))
        self.class_index = class_index
        self.values = all_logits[:, class_index]
        n_codes = self._set_legend(class_names)
        codes = self._label_codes(self.labels) if n_codes and self.labels is not None else None
        # One uint64 SIMD sort gives the stable order, the sorted values and the legend code
        # of each rank (1e7: ~1 s, not 8; no random gather of the labels by rank).
        self.order, self.sorted_values, self._sorted_codes = sort_float32(self.values, codes)
        self.height = check_positive_int(height, "height", minimum=80)
        self.y_label = f"logit (class {class_index})" if n_classes > 1 else "logit"
        self._set_curve_state(n_codes)
        self.observe(self.guard(self._on_window), "window")
        self.observe(self.guard(self._on_selection), "selection")
        start = self._default_window() if window is None else check_window(window)
        if start == tuple(self.window):  # no change event would fire
            self._on_window()
        self.window = start

    @traitlets.validate("selection")
    def _validate_selection(self, proposal: dict[str, Any]) -> np.ndarray:
        values = getattr(self, "values", None)
        return selection_array(proposal["value"], 0 if values is None else len(values))

    def _on_selection(self, change: dict[str, Any]) -> None:
        """Selection set from code: move the window onto it (the curve shows windows)."""
        if self._from_window:
            return
        chosen = change["new"]
        if len(chosen):
            picked = self.values[chosen].astype(np.float32)  # the curve sorts float32 values
            lo, hi = float(picked.min()), float(picked.max())
        else:  # an empty window just below the curve
            lo = hi = float(np.nextafter(self.sorted_values[0], np.float32(-np.inf))) if len(self.values) else 0.0
        if (lo, hi) == tuple(self.window):
            self._on_window()
        else:
            self.window = (lo, hi)

    @traitlets.validate("window")
    def _validate_window(self, proposal: dict[str, Any]) -> tuple[float, float]:
        return check_window(proposal["value"])

    def _default_window(self) -> tuple[float, float]:
        q = smallest_abs_quantile(self.sorted_values, 0.15)
        return (-q, q)

    def _set_legend(self, class_names: Any) -> int:
        """Legend classes (the MAX_LEGEND_CLASSES most frequent labels, "other" for the rest);
        returns the number of label codes (0 without labels)."""
        if self.labels is None:
            self._legend_classes = np.zeros(0, dtype=np.int64)
            n_codes = 0
        else:
            counts = np.bincount(self.labels)  # labels are validated non-negative ints
            present = np.flatnonzero(counts)
            freq = counts[present]
            by_freq = present[np.argsort(-freq, kind="stable")]
            self._legend_classes = np.sort(by_freq[:MAX_LEGEND_CLASSES])
            n_codes = len(self._legend_classes) + (len(present) > MAX_LEGEND_CLASSES)
            # label -> legend position; labels outside the legend get the "other" code
            self._code_of_label = np.full(len(counts), len(self._legend_classes), dtype=np.uint8)
            self._code_of_label[self._legend_classes] = np.arange(len(self._legend_classes))
            names = [self._class_name(int(c), class_names) for c in self._legend_classes]
            self.label_names = names + (["other"] if n_codes > len(names) else [])
        return n_codes

    def _set_curve_state(self, n_codes: int) -> None:
        n = len(self.sorted_values)
        self.n_samples = n
        n_columns = max(1, min(n, MAX_COLUMNS, STATE_BUDGET // (8 + 4 * n_codes)))
        envelope, edges = sorted_envelope(self.sorted_values, n_columns)
        self.envelope = envelope
        if self._sorted_codes is not None:  # legend code of each rank: column counts, window counts
            self.label_counts = column_label_counts(self._sorted_codes, edges, n_codes)

    @staticmethod
    def _class_name(label: int, class_names: Any) -> str:
        if class_names is not None and label < len(class_names):
            return str(class_names[label])
        return str(label)

    def _label_codes(self, labels: np.ndarray) -> np.ndarray:
        """Legend position of each label; labels outside the legend get the "other" code."""
        return self._code_of_label[labels]

    def rank_range(self, window: tuple[float, float] | None = None) -> tuple[int, int]:
        """[start, stop) ranks of the sorted curve inside `window` (default: the current one)."""
        lo, hi = self.window if window is None else check_window(window)
        start = int(np.searchsorted(self.sorted_values, np.float32(lo), side="left"))
        stop = int(np.searchsorted(self.sorted_values, np.float32(hi), side="right"))
        return start, max(start, stop)

    def indices_in(self, window: tuple[float, float]) -> np.ndarray:
        """Exact int64 indices (ascending) of samples whose logit lies in `window` (inclusive)."""
        start, stop = self.rank_range(window)
        picked = self.order[start:stop]
        if stop - start > len(self.order) // 64:  # large windows: a mask beats sorting
            mask = np.zeros(len(self.order), dtype=bool)
            mask[picked] = True
            return np.flatnonzero(mask).astype(np.int64)
        return np.sort(picked).astype(np.int64)

    def _on_window(self, _change: Any = None) -> None:
        selection = self.indices_in(self.window)
        if self._sorted_codes is not None:
            start, stop = self.rank_range(self.window)  # the window is a contiguous rank range
            codes = self._sorted_codes[start:stop]
            self.class_counts = np.bincount(codes, minlength=len(self.label_names)).tolist()
        self.count = len(selection)
        self._from_window = True
        try:
            set_array_trait(self, "selection", selection)
        finally:
            self._from_window = False
