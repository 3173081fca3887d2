"""Compact before/after tables of `tune_head` results (one short line per strategy).

`TuningResult.summary()` is a flat dict with long names and a one-sentence `note`; put in a
DataFrame it overflows a notebook (11 wide columns, the note wrapping each row to ~140 px).
`summary_table(results)` keeps what a reader compares — validation accuracy and worst |gap|,
before -> after, the epoch kept, whether the stop rule was met — in five short columns; the
notes go under the table in `TuningResult._repr_html_` and `summary_html`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

COLUMNS = ("val accuracy", "worst |gap|", "epoch kept", "stop rule", "images")


def _results(results: Any) -> list[Any]:
    if hasattr(results, "summary") and hasattr(results, "note"):
        return [results]
    values = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not values or not all(hasattr(r, "summary") and hasattr(r, "note") for r in values):
        raise TypeError(
            "results must be a TuningResult, a list of them or a dict {strategy: TuningResult}; "
            f"got {type(results).__name__}"
        )
    return values


def _worst(gaps: dict[int, float]) -> float:
    return max(abs(g) for g in gaps.values())


def summary_rows(results: Any) -> list[dict[str, Any]]:
    """One dict of short display strings per result (keys: strategy + COLUMNS)."""
    rows = []
    for r in _results(results):
        rows.append(
            {
                "strategy": r.strategy,
                "val accuracy": f"{r.before['accuracy']:.1%} → {r.after['accuracy']:.1%}",
                "worst |gap|": f"{_worst(r.before['gaps']):.0%} → {_worst(r.after['gaps']):.0%}",
                "epoch kept": f"{r.best_epoch} of {r.epochs_run}",
                "stop rule": "met" if r.reached_threshold else "not met",
                "images": len(r.selected),
            }
        )
    return rows


def summary_table(results: Any) -> Any:
    """pandas DataFrame indexed by strategy with the five compact COLUMNS (strings, images int)."""
    import pandas as pd

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
