"""`TuningResult`, what `tune_head` returns, and compact before/after tables of it (a line per strategy).

`TuningResult.summary()` is a flat dict with long names and a one-sentence `note`; put in a
DataFrame it overflows a notebook (11 wide columns, the note wrapping each row to ~140 px).
`summary_table(results)` keeps what a reader compares — validation accuracy and worst |gap|,
before -> after, the epoch kept, whether the stop rule was met — in five short columns; the
notes go under the table in `TuningResult._repr_html_` and `summary_html`.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from torch import nn

from .linear_head import LinearHead

COLUMNS = ("val accuracy", "worst |gap|", "epoch kept", "stop rule", "images")


@dataclass
class TuningResult:
    """What `tune_head` returns. Accuracies and gaps are fractions; gaps are per class.

    `head` is the tuned head as a `LinearHead` (what `refit_head` returns: `predict`,
    `predict_proba`, `to_torch()`, and `models.replace_head(model, result.head)`); its `coef_`
    keeps the rows of the head given, (1, D) for a single-logit head, else one per class.
    """

    strategy: str
    head: LinearHead
    selected: np.ndarray
    epochs_run: int
    reached_threshold: bool  # the stop rule was met: every |gap| < threshold within the accuracy tolerances
    before: dict[str, Any]
    after: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0  # the epoch whose head is returned (0: the head given)
    note: str = ""  # one line saying whether the stop rule was met, and if not what was kept

    @property
    def stopped_early(self) -> bool:
        """Deprecated alias of `reached_threshold` (it always had the same value)."""
        _deprecated("stopped_early", "reached_threshold")
        return self.reached_threshold

    @property
    def weight(self) -> np.ndarray:
        """Deprecated: `head.coef_`."""
        _deprecated("weight", "head.coef_")
        return self.head.coef_

    @property
    def bias(self) -> np.ndarray:
        """Deprecated: `head.intercept_`."""
        _deprecated("bias", "head.intercept_")
        return self.head.intercept_

    def to_torch(self) -> nn.Linear:
        """Deprecated: `head.to_torch()` (this returned it in eval mode, and still does)."""
        _deprecated("to_torch()", "head.to_torch()")
        return self.head.to_torch().eval()

    def _repr_html_(self) -> str:
        """A one-line compact table and the note (notebooks); see tuning_summary.summary_table."""
        return summary_html(self)

    def summary(self) -> dict[str, Any]:
        """Flat before/after numbers; for a table that fits a notebook use `summary_table(results)`."""
        return {
            "strategy": self.strategy,
            "val_accuracy_before": self.before["accuracy"],
            "val_accuracy_after": self.after["accuracy"],
            "max_gap_before": max(self.before["gaps"].values()),
            "max_gap_after": max(self.after["gaps"].values()),
            "epochs": self.epochs_run,
            "best_epoch": self.best_epoch,
            "reached_threshold": self.reached_threshold,
            "note": self.note,
            "n_tuning_images": len(self.selected),
        }


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"TuningResult.{old} is deprecated; use result.{new}", DeprecationWarning, stacklevel=3)


def _results(results: Any) -> list[TuningResult]:
    if isinstance(results, TuningResult):
        return [results]
    if isinstance(results, Mapping):
        values = list(results.values())
    elif isinstance(results, Iterable) and not isinstance(results, (str, bytes)):
        values = list(results)
    else:
        values = []  # a bare number or string: the TypeError below names what is expected
    if not values or not all(isinstance(r, TuningResult) for r in values):
        raise TypeError(
            "results must be a TuningResult, a list of them or a dict {strategy: TuningResult}; "
            f"got {type(results).__name__}"
        )
    return values


def worst_gap(gaps: dict[int, float]) -> float:
    """The largest |gap| over classes: overshooting into a negative gap is not a fix either."""
    return max(abs(g) for g in gaps.values())


def summary_rows(results: Any) -> list[dict[str, Any]]:
    """One dict of short display strings per result (keys: strategy + COLUMNS)."""
    rows = []
    for r in _results(results):
        rows.append(
            {
                "strategy": r.strategy,
                "val accuracy": f"{r.before['accuracy']:.1%} → {r.after['accuracy']:.1%}",
                "worst |gap|": f"{worst_gap(r.before['gaps']):.0%} → {worst_gap(r.after['gaps']):.0%}",
                "epoch kept": f"{r.best_epoch} of {r.epochs_run}",
                "stop rule": "met" if r.reached_threshold else "not met",
                "images": len(r.selected),
            }
        )
    return rows


def summary_table(results: Any) -> Any:
    """pandas DataFrame indexed by strategy with the five compact COLUMNS (strings, images int)."""
    import pandas as pd  # pandas on use: `import spurwidgets` stays light

    return pd.DataFrame(summary_rows(results)).set_index("strategy")


def summary_html(results: Any) -> str:
    """The compact table as HTML (no wrapping cells, as wide as its content) with the notes under it."""
    values = _results(results)
    rows = summary_rows(values)
    cell = "padding:2px 8px;white-space:nowrap;text-align:right"
    head = "".join(f'<th style="{cell}">{html.escape(c)}</th>' for c in ("strategy", *COLUMNS))
    body = "".join(
        "<tr>"
        + "".join(f'<td style="{cell}">{html.escape(str(row[c]))}</td>' for c in ("strategy", *COLUMNS))
        + "</tr>"
        for row in rows
    )
    notes = "".join(f"<li>{html.escape(r.strategy)}: {html.escape(r.note)}</li>" for r in values if r.note)
    return (
        '<div class="sw-tuning-summary" style="max-width:100%;overflow-x:auto">'
        f'<table style="width:auto;border-collapse:collapse;font-size:13px"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
        f'<ul style="margin:4px 0 0 1em;padding:0;font-size:12px;max-width:60em">{notes}</ul></div>'
    )
