"""TuningResult's defaults, summary() keys, the summary HTML's structure and the bad-input
message (mutation survivors in compute/tuning_summary.py); values worked out by hand."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spurwidgets.compute.linear_head import LinearHead
from spurwidgets.compute.spurious_tuning import TuningResult
from spurwidgets.compute.tuning_summary import summary_html


def _result(**extra) -> TuningResult:
    return TuningResult(
        strategy="random",
        head=LinearHead(np.zeros((2, 3), np.float32), np.zeros(2, np.float32), np.arange(2)),
        selected=np.arange(7),
        epochs_run=3,
        reached_threshold=False,
        before={"accuracy": 0.5, "gaps": {0: 0.25, 1: -0.5}},
        after={"accuracy": 0.75, "gaps": {0: 0.125, 1: 0.0}},
        **extra,
    )


def test_note_defaults_to_the_empty_string_and_summary_has_every_key():
    result = _result()
    assert result.note == "" and result.best_epoch == 0 and result.history == []
    assert result.summary() == {
        "strategy": "random",
        "val_accuracy_before": 0.5,
        "val_accuracy_after": 0.75,
        "max_gap_before": 0.25,
        "max_gap_after": 0.125,
        "epochs": 3,
        "best_epoch": 0,
        "reached_threshold": False,
        "note": "",
        "n_tuning_images": 7,
    }


def test_summary_html_is_one_table_with_a_head_a_body_and_the_notes():
    page = summary_html(_result(note="kept epoch 0"))
    tags = re.findall(r"</?(\w+)", page)
    assert [t for t in tags if t in ("table", "thead", "tbody", "ul", "li")] == [
        "table", "thead", "thead", "tbody", "tbody", "table", "ul", "li", "li", "ul",
    ]  # fmt: skip
    assert re.search(r"</thead><tbody><tr>.*</tr></tbody></table><ul", page)
    assert "<li>random: kept epoch 0</li>" in page


def test_bad_results_are_refused_with_the_full_message():
    with pytest.raises(
        TypeError,
        match=r"^results must be a TuningResult, a list of them or a dict \{strategy: TuningResult\}; got list$",
    ):
        summary_html([3])


def test_deprecated_attributes_warn_at_the_callers_line_with_the_replacement():
    result = _result()
    with pytest.warns(DeprecationWarning) as record:
        result.stopped_early  # noqa: B018
    assert str(record[0].message) == "TuningResult.stopped_early is deprecated; use result.reached_threshold"
    assert record[0].filename == __file__


def test_summary_html_cells_rows_and_notes_are_adjacent():
    page = summary_html({"a": _result(note="n1"), "b": _result(note="n2")})
    assert re.search(r'<thead><tr>(<th style="[^"]*">[^<]*</th>)+</tr></thead>', page)
    assert re.search(r'<tbody>(<tr>(<td style="[^"]*">[^<]*</td>)+</tr>){2}</tbody>', page)
    assert page.endswith('"><li>random: n1</li><li>random: n2</li></ul></div>')
