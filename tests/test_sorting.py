"""argsort_float32, sort_float32 and smallest_abs_quantile against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.sorting import argsort_float32, smallest_abs_quantile, sort_float32


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_argsort_float32_equals_stable_argsort_with_ties_and_extremes(seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=5000).astype(np.float32) * 10 ** rng.integers(-30, 30, 5000).astype(np.float32)
    values[rng.integers(0, 5000, 800)] = 1.5  # many ties
    values[:4] = [np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny, 0.0]
    order, sorted_values = argsort_float32(values)
    expected = np.argsort(values, kind="stable")
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(sorted_values, values[expected])
    assert order.dtype == np.int64 and sorted_values.dtype == np.float32


def test_argsort_float32_reads_strided_columns():
    logits = np.random.default_rng(3).normal(size=(300, 3)).astype(np.float32)
    order, sorted_values = argsort_float32(logits[:, 1])
    np.testing.assert_array_equal(order, np.argsort(logits[:, 1], kind="stable"))
    np.testing.assert_array_equal(sorted_values, np.sort(logits[:, 1]))


@pytest.mark.parametrize("shift", [-3.0, 0.0, 0.7, 5.0])
@pytest.mark.parametrize("q", [0.0, 0.15, 0.5, 1.0])
def test_smallest_abs_quantile_equals_numpy(shift, q):
    values = (np.random.default_rng(4).normal(size=1001) + shift).astype(np.float32)
    expected = np.quantile(np.abs(values), q)
    assert smallest_abs_quantile(np.sort(values), q) == pytest.approx(expected, rel=1e-6, abs=1e-7)


def _tied_values(seed: int, n: int = 6000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=n).astype(np.float32) * 10 ** rng.integers(-30, 30, n).astype(np.float32)
    values[rng.integers(0, n, 1000)] = 1.5  # many ties
    values[rng.integers(0, n, 300)] = -2.0
    values[:4] = [np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny, 0.0]
    return values


@pytest.mark.parametrize("seed", [0, 1])
def test_sort_float32_carries_codes_in_stable_sorted_order(seed):
    values = _tied_values(seed)
    codes = np.random.default_rng(seed + 10).integers(0, 9, len(values)).astype(np.uint8)
    order, sorted_values, sorted_codes = sort_float32(values, codes)
    expected = np.argsort(values, kind="stable")
    assert order.dtype == np.uint32 and sorted_values.dtype == np.float32 and sorted_codes.dtype == np.uint8
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(sorted_values, values[expected])
    np.testing.assert_array_equal(sorted_codes, codes[expected])
    assert np.array_equal(values, _tied_values(seed))  # the input is not modified


def test_sort_float32_without_codes_and_beyond_the_packing_limit(monkeypatch):
    import spurwidgets.compute.sorting as sorting

    values = _tied_values(2, n=3000)
    codes = (np.arange(3000) % 7).astype(np.uint8)
    expected = np.argsort(values, kind="stable")
    order, sorted_values, none = sort_float32(values)
    np.testing.assert_array_equal(order, expected)
    assert none is None
    monkeypatch.setattr(sorting, "PACK_CODES_BELOW", 1000)  # too many rows to pack row and code
    order, sorted_values, sorted_codes = sorting.sort_float32(values, codes)
    assert order.dtype == np.int64
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(sorted_codes, codes[expected])
