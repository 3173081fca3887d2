"""What SpuriosityExplorer sends to the browser: ranked strip, gap table, tuning results, chart.

Plain functions of NumPy arrays (no widget state), so each is easy to test on its own.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import numpy as np

from ..compute.images import ImageSource
from ..compute.metrics import spurious_gap
from ..compute.spurious_tuning import TuningResult, accuracy_by_spuriosity_rank, negative_gaps
from ._base import encode_thumbnails


def strip_payload(
    source: ImageSource, ranking: np.ndarray, spuriosity: np.ndarray, correct: np.ndarray, size: int, thumb_size: int
) -> dict[str, Any]:
    """`size` images spread evenly over one class's ranking (lowest spuriosity first)."""
    if len(ranking) == 0:
        return {"images": [], "spuriosity": [], "correct": [], "ranks": [], "indices": [], "n": 0}
    positions = np.unique(np.linspace(0, len(ranking) - 1, min(size, len(ranking))).round().astype(np.int64))
    chosen = ranking[positions]
    return {
        "images": encode_thumbnails(source.uint8(chosen), thumb_size),
        "spuriosity": [float(v) for v in spuriosity[chosen]],
        "correct": [bool(c) for c in correct[chosen]],
        "ranks": positions.tolist(),
        "indices": chosen.tolist(),
        "n": int(len(ranking)),
    }


def gap_rows(
    source: ImageSource,
    spurious: dict[int, list[int]],
    spuriosity: np.ndarray,
    correct: np.ndarray,
    labels: np.ndarray,
    class_names: list[str],
    k: int,
    thumb_size: int,
) -> list[dict[str, Any]]:
    """One row per class: its gap (None without spurious features), flag and, when negative, images."""
    annotated = [c for c in range(len(class_names)) if spurious.get(c)]
    gaps: dict[int, float] = {}
    if annotated:
        rows = np.isin(labels, annotated)
        gaps = spurious_gap(correct[rows], spuriosity[rows], labels[rows], k=k)
    flagged = negative_gaps(gaps, spuriosity, labels, k=min(k, 5))
    table = []
    for cls, name in enumerate(class_names):
        gap = gaps.get(cls)
        row: dict[str, Any] = {"cls": cls, "name": name, "features": spurious.get(cls, []), "gap": gap}
        row["note"] = (
            "no spurious feature annotated"
            if gap is None
            else "negative gap: likely label noise or a spurious feature colliding with the object; "
            "look at its most spurious images"
            if gap < 0
            else ""
        )
        row["indices"] = flagged[cls].tolist() if cls in flagged else []
        row["images"] = encode_thumbnails(source.uint8(flagged[cls]), thumb_size) if cls in flagged else []
        row["crops"] = []  # filled by the explorer when the class has core features and a model
        table.append(row)
    return table


def result_rows(results: dict[str, TuningResult]) -> list[dict[str, Any]]:
    """Before/after numbers per strategy for the results table."""
    rows = []
    for result in results.values():
        summary = result.summary()
        summary["gaps_before"] = {str(c): g for c, g in result.before["gaps"].items()}
        summary["gaps_after"] = {str(c): g for c, g in result.after["gaps"].items()}
        summary["best_epoch"] = result.best_epoch
        rows.append(summary)
    return rows


#: What the empty chart says: no class has a spurious feature, so there is no ranking to plot.
EMPTY_CHART_NOTE = (
    "Nothing to plot yet: the chart ranks a class's validation images by spuriosity,<br>"
    "which needs at least one feature of that class marked <b>spurious</b> in the cards above."
)


def rank_curve_figure(before: dict[str, Any] | None, results: dict[str, TuningResult]) -> Any:
    """plotly figure: validation accuracy vs spuriosity rank, before and after each strategy.

    Without any curve the figure says why it is empty (an annotation in the plot area)."""
    import plotly.graph_objects as go  # plotly (heavy) only when a figure is drawn

    fig = go.Figure()
    if before is None and not results:
        fig.add_annotation(
            text=EMPTY_CHART_NOTE, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 13}
        )
    if before is not None:
        fig.add_trace(go.Scatter(x=before["rank"], y=before["accuracy"], name="before", mode="lines+markers"))
    for strategy, result in results.items():
        curve = result.after["curve"]
        fig.add_trace(go.Scatter(x=curve["rank"], y=curve["accuracy"], name=f"after: {strategy}", mode="lines+markers"))
    fig.update_layout(
        title="Validation accuracy vs spuriosity rank (within class)",
        xaxis_title="spuriosity rank (0 = least spurious, 1 = most)",
        yaxis_title="accuracy",
        yaxis_range=[0, 1.05],
        xaxis_range=[0, 1],
        height=320,
        margin=dict(l=50, r=20, t=50, b=45),
    )
    return fig


def replace_traces(widget: Any, figure: Any) -> None:
    """Show `figure`'s traces in a plotly FigureWidget whose layout was set when it was built.

    plotly sends trace changes as one-off messages and copies the figure into its synced state
    (`_widget_data`) only in `_repr_mimebundle_`, which is never called for a FigureWidget shown
    inside a container (our VBox). So after swapping the traces we copy them into the synced
    state ourselves: a view created later (first display, a second view, a reload) then shows
    the current curve instead of an empty chart.
    """
    widget.data = []
    if figure.data:
        widget.add_traces(list(figure.data))
    widget.layout.annotations = figure.layout.annotations  # the "why empty" note comes and goes
    widget._widget_data = deepcopy(widget._data)
    widget._widget_layout = deepcopy(widget._layout_obj._props)


def before_curve(correct: np.ndarray, spuriosity: np.ndarray, labels: np.ndarray, classes: list[int], n_bins: int = 10):
    """The accuracy-vs-rank curve of the current head over the annotated classes (None if none)."""
    if not classes:
        return None
    rows = np.isin(labels, classes)
    return accuracy_by_spuriosity_rank(correct[rows], spuriosity[rows], labels[rows], n_bins=n_bins)
