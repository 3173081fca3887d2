"""LogitCurve, Python side: envelope, exact selection, state size, validation, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ipywidgets.widgets.widget import _remove_buffers

from spurwidgets.widgets import LogitCurve
from spurwidgets.widgets._base import SpurWidget, array_from_binary, array_to_binary


def state_bytes(widget) -> int:
    """Bytes the widget's full state takes on the wire: JSON (incl. _esm/_css) + binary buffers."""
    state, _, buffers = _remove_buffers(widget.get_state())
    return len(json.dumps(state)) + sum(len(bytes(b)) for b in buffers)


@pytest.fixture(scope="module")
def tied_curve():
    rng = np.random.default_rng(0)
    values = np.round(rng.normal(size=10_007), 1).astype(np.float32)  # many ties
    labels = rng.integers(0, 3, size=10_007)
    return values, labels, LogitCurve(values, labels=labels, window=(-0.2, 0.3))


def test_envelope_contains_every_sample_in_its_column(tied_curve):
    values, _, w = tied_curve
    env = w.envelope
    n_columns = env.shape[0]
    assert env.dtype == np.float32 and env.shape == (2000, 2)  # 3 classes: 40 KB budget / 20 bytes
    # documented layout: column c holds ranks floor(c * N / columns) .. floor((c + 1) * N / columns) - 1
    starts = (np.arange(n_columns) * len(values)) // n_columns
    column_of_rank = np.searchsorted(starts, np.arange(len(values)), side="right") - 1
    sorted_values = np.sort(values)
    assert np.all(sorted_values >= env[column_of_rank, 0])
    assert np.all(sorted_values <= env[column_of_rank, 1])
    assert env[0, 0] == values.min() and env[-1, 1] == values.max()


def test_label_counts_per_column_sum_to_class_totals(tied_curve):
    _, labels, w = tied_curve
    counts = w.label_counts
    assert counts.dtype == np.uint32 and counts.shape[1] == 3
    assert counts.sum(axis=0).tolist() == np.bincount(labels).tolist()
    assert w.label_names == ["0", "1", "2"]


@settings(max_examples=60, deadline=None)
@given(a=st.floats(-4, 4), b=st.floats(-4, 4))
def test_selection_equals_brute_force_for_random_windows(tied_curve, a, b):
    values, labels, w = tied_curve
    lo, hi = min(a, b), max(a, b)
    w.window = (lo, hi)
    expected = np.flatnonzero((values >= lo) & (values <= hi))
    assert w.selection.dtype == np.int64
    np.testing.assert_array_equal(w.selection, expected)
    assert w.count == len(expected)
    assert w.class_counts == np.bincount(labels[expected], minlength=3).tolist()


def test_window_edges_on_tied_values_are_inclusive(tied_curve):
    values, _, w = tied_curve
    w.window = (0.1, 0.1)
    np.testing.assert_array_equal(w.selection, np.flatnonzero(values == np.float32(0.1)))
    assert w.count == int((values == np.float32(0.1)).sum()) > 1


def test_state_stays_under_64_kb_at_ten_million_samples():
    # ascending input keeps the test fast (argsort of sorted data is linear); the size bound
    # does not depend on the order
    values = np.linspace(-8, 8, 10_000_000, dtype=np.float32)
    labels = (np.arange(values.size) % 3 == 0).astype(np.int8)
    w = LogitCurve(values, labels=labels, window=(-0.01, 0.01))
    assert state_bytes(w) <= 64 * 1024
    assert w.count == int(((values >= np.float32(-0.01)) & (values <= np.float32(0.01))).sum())


def test_state_stays_under_64_kb_with_many_classes():
    rng = np.random.default_rng(2)
    w = LogitCurve(rng.normal(size=50_000), labels=rng.integers(0, 20, size=50_000))
    assert state_bytes(w) <= 64 * 1024
    assert len(w.label_names) == 9 and w.label_names[-1] == "other"
    assert sum(w.class_counts) == w.count


def test_default_window_holds_the_15_percent_smallest_margins():
    values = np.linspace(-10, 10, 2001).astype(np.float32)
    w = LogitCurve(values)
    lo, hi = w.window
    assert lo == -hi and w.count == pytest.approx(0.15 * 2001, abs=2)


def test_class_index_picks_the_logit_column_to_sort():
    logits = np.stack([np.arange(10.0), -np.arange(10.0)], axis=1)
    w = LogitCurve(logits, class_index=1, window=(-2.5, 0))
    assert w.selection.tolist() == [0, 1, 2]
    assert w.y_label == "logit (class 1)"


def test_python_window_assignment_recomputes_selection_and_notifies():
    w = LogitCurve(np.arange(10, dtype=np.float32), window=(0, 1))
    seen = []
    w.observe(lambda change: seen.append(change["new"].tolist()), "selection")
    w.window = (3, 5)
    assert seen == [[3, 4, 5]] and w.count == 3


def test_bad_window_is_refused_and_previous_selection_kept():
    w = LogitCurve(np.arange(10, dtype=np.float32), window=(2, 4))
    with pytest.raises(ValueError, match=r"window must satisfy lo <= hi; got \(5.0, 1.0\)"):
        w.window = (5, 1)
    with pytest.raises(ValueError, match="window must hold finite numbers"):
        w.window = (0, float("nan"))
    assert w.window == (2.0, 4.0) and w.selection.tolist() == [2, 3, 4]


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="logits contains 1 NaN"):
        LogitCurve(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="class_index must be in 0..1 for logits with 2 columns; got 2"):
        LogitCurve(np.zeros((4, 2)), class_index=2)
    with pytest.raises(ValueError, match="labels has 3 entries but 4 were expected"):
        LogitCurve(np.zeros(4), labels=[0, 1, 0])
    with pytest.raises(TypeError, match="LogitCurve\\(\\) got unexpected keyword argument\\(s\\) 'windw'"):
        LogitCurve(np.zeros(4), windw=(0, 1))


def test_callback_error_is_shown_in_the_widget_and_logged(caplog):
    w = LogitCurve(np.arange(5, dtype=np.float32), window=(0, 1))

    def broken(_change):
        raise RuntimeError("gallery exploded")

    guarded = w.guard(broken)
    w.observe(guarded, "selection")
    w.window = (1, 3)
    assert w.error == "RuntimeError: gallery exploded"
    assert "gallery exploded" in caplog.text
    w.unobserve(guarded, "selection")
    w.observe(w.guard(lambda _c: None), "count")
    w.window = (0, 4)  # a later successful callback clears the banner
    assert w.error == ""


def test_js_error_messages_are_logged(caplog):
    w = LogitCurve(np.arange(5, dtype=np.float32))
    w._handle_js_message(w, {"kind": "js-error", "message": "TypeError: x is undefined"}, [])
    assert w.js_errors == ["TypeError: x is undefined"]
    assert "x is undefined" in caplog.text


def test_binary_round_trip_is_little_endian_and_exact():
    array = np.arange(12, dtype=">f4").reshape(3, 4)
    packed = array_to_binary(array)
    assert packed["dtype"] == "float32" and packed["shape"] == [3, 4] and len(packed["buffer"]) == 48
    np.testing.assert_array_equal(array_from_binary(packed), array)
    assert isinstance(LogitCurve(np.zeros(3)), SpurWidget)


def test_selection_set_from_code_moves_the_window_onto_it():
    logits = np.array([0.5, -2.0, 1.5, 3.0, -0.25, 1.0], dtype=np.float32)
    w = LogitCurve(logits)
    w.selection = [2, 5]  # logits 1.5 and 1.0: the window [1.0, 1.5] holds no other sample
    assert w.window == (1.0, 1.5) and w.selection.dtype == np.int64 and w.selection.tolist() == [2, 5]
    w.selection = np.array([False, False, False, False, True, True])  # -0.25 and 1.0: 0.5 lies between
    assert w.window == (-0.25, 1.0) and w.selection.tolist() == [0, 4, 5] and w.count == 3
    w.selection = []
    assert w.selection.tolist() == [] and w.count == 0 and w.window[1] < -2.0
    with pytest.raises(Exception, match=r"selection indices must be in 0..5; got 1..6"):
        w.selection = [1, 6]
    assert w.selection.tolist() == [] and w.count == 0


@pytest.mark.parametrize("n_labels", [3, 11])  # 11: beyond the 8-class legend, an "other" code
def test_build_matches_the_plain_stable_argsort_reference(n_labels):
    """Order, envelope, column label counts and window counts equal a reference built from
    np.argsort(kind="stable") and a gather of the labels (ties included)."""
    from spurwidgets.widgets.logit_curve import column_label_counts, sorted_envelope

    rng = np.random.default_rng(n_labels)
    values = np.round(rng.normal(size=20_011) * 2, 1).astype(np.float32)  # heavy ties
    values += np.float32(0.0)  # -0.0 -> +0.0: the curve sorts -0.0 first, np.argsort ties them
    labels = rng.integers(0, n_labels, size=len(values))
    curve = LogitCurve(values, labels=labels, window=(-0.3, 0.7))
    order = np.argsort(values, kind="stable")
    np.testing.assert_array_equal(curve.order, order)
    np.testing.assert_array_equal(curve.sorted_values, values[order])
    envelope, edges = sorted_envelope(values[order], len(curve.envelope))
    np.testing.assert_array_equal(curve.envelope, envelope)
    codes = curve._code_of_label[labels][order]
    np.testing.assert_array_equal(curve.label_counts, column_label_counts(codes, edges, len(curve.label_names)))
    inside = (values >= np.float32(-0.3)) & (values <= np.float32(0.7))
    np.testing.assert_array_equal(curve.selection, np.flatnonzero(inside))
    expected_counts = np.bincount(curve._code_of_label[labels][inside], minlength=len(curve.label_names))
    assert curve.class_counts == expected_counts.tolist()
