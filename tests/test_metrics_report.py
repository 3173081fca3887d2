"""metrics.report: the `worst` column marks every group tied for the lowest accuracy."""

from __future__ import annotations

from spurwidgets import metrics


def test_report_marks_every_group_tied_for_worst():
    # groups 0 and 2 both at 1/3 (3 and 6 samples), group 1 at 100 %, group 3 at 1/2
    y_true = [0] * 3 + [0] * 2 + [1] * 6 + [1] * 2
    y_pred = [0, 1, 1] + [0, 0] + [1, 1, 0, 0, 0, 0] + [1, 0]
    groups = [0] * 3 + [1] * 2 + [2] * 6 + [3] * 2
    table = metrics.report(y_true, y_pred, groups, group_names=["a", "b", "c", "d"])
    assert table["worst"].to_dict() == {"a": True, "b": False, "c": True, "d": False, "overall": False}
    assert table["worst"].dtype == bool


def test_report_marks_all_groups_when_all_are_equal():
    table = metrics.report([0, 1, 0, 1], [0, 0, 0, 0], [0, 0, 1, 1])
    assert table["worst"].tolist() == [True, True, False]
