"""The tune_head summary table fits a notebook: five short columns, one line per strategy."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spurwidgets.compute.linear_head import LinearHead
from spurwidgets.compute.spurious_tuning import TuningResult
from spurwidgets.compute.tuning_summary import COLUMNS, summary_html, summary_table


def result(strategy: str, acc: tuple[float, float], gaps: tuple[dict, dict], met: bool, epoch: int) -> TuningResult:
    note = "stop rule NOT met in 300 epochs (every |gap| < 5% with validation accuracy within 2%); kept epoch 0"
    return TuningResult(
        strategy=strategy,
        head=LinearHead(np.zeros((2, 3), np.float32), np.zeros(2, np.float32), np.arange(2)),
        selected=np.arange(40),
        epochs_run=300 if not met else epoch,
        reached_threshold=met,
        before={"accuracy": acc[0], "gaps": gaps[0]},
        after={"accuracy": acc[1], "gaps": gaps[1]},
        best_epoch=epoch,
        note="stop rule met at epoch 12" if met else note,
    )


RESULTS = {
    "low_spuriosity": result("low_spuriosity", (0.468, 0.731), ({0: 1.0, 1: 0.4}, {0: 0.03, 1: -0.04}), True, 12),
    "random": result("random", (0.468, 0.468), ({0: 1.0, 1: 0.4}, {0: 1.0, 1: -0.5}), False, 0),
}


def test_summary_table_has_five_short_columns_with_before_and_after():
    table = summary_table(RESULTS)
    assert table.index.name == "strategy" and table.index.tolist() == ["low_spuriosity", "random"]
    assert list(table.columns) == list(COLUMNS) == ["val accuracy", "worst |gap|", "epoch kept", "stop rule", "images"]
    assert table.loc["low_spuriosity"].tolist() == ["46.8% → 73.1%", "100% → 4%", "12 of 12", "met", 40]
    assert table.loc["random"].tolist() == ["46.8% → 46.8%", "100% → 100%", "0 of 300", "not met", 40]
    longest = max(len(str(v)) for v in table.to_numpy().ravel())
    assert longest <= 15  # no cell wraps: the long note is not a column
    assert summary_table(RESULTS["random"]).index.tolist() == ["random"]


def test_result_html_is_a_nowrap_compact_table_with_the_note_below():
    page = RESULTS["random"]._repr_html_()
    assert page == summary_html([RESULTS["random"]])
    assert "width:auto" in page and "max-width:100%" in page and "overflow-x:auto" in page
    cells = re.findall(r"<td [^>]*>", page)
    assert len(cells) == 6 and all("white-space:nowrap" in c for c in cells)
    headers = re.findall(r"<th [^>]*>([^<]*)</th>", page)
    assert headers == ["strategy", "val accuracy", "worst |gap|", "epoch kept", "stop rule", "images"]
    assert page.count("<li>") == 1 and "random: stop rule NOT met in 300 epochs" in page
    assert page.index("</table>") < page.index("<li>")  # the sentence is under the table, not in a cell


def test_summary_table_refuses_other_things():
    with pytest.raises(TypeError, match=r"results must be a TuningResult, a list of them or a dict"):
        summary_table({"a": 1})
    with pytest.raises(TypeError, match="got list"):
        summary_table([])


@pytest.mark.parametrize("bad", [3, "low spuriosity", None, []])
def test_summary_html_names_results_for_a_value_that_is_not_results(bad):
    with pytest.raises(TypeError, match=r"^results must be a TuningResult, a list of them or a dict"):
        summary_html(bad)
