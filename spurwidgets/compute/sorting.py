"""Sorting float32 values of 10M+ samples fast and without extra full copies.

`argsort_float32` packs each value's order-preserving 32-bit key and its row index into one
uint64 and sorts those with NumPy's SIMD sort: one 8-byte array instead of a stable argsort
(merge sort over float32, ~6x slower at 1e7) plus a gather for the sorted values. The order
is stable (ties keep the row order), and the sorted values come out of the high halves.
"""

from __future__ import annotations

import numpy as np

_SIGN = np.uint32(0x80000000)


def _flip(bits: np.ndarray) -> np.ndarray:
    """Order-preserving map float32 bits -> uint32 (negatives reversed, positives above)."""
    negative = (bits.view(np.int32) >> 31).view(np.uint32)  # all ones where the sign bit is set
    return bits ^ (negative | _SIGN)


def _unflip(keys: np.ndarray) -> np.ndarray:
    positive = (keys.view(np.int32) >> 31).view(np.uint32)  # all ones where the key's top bit is set
    return keys ^ (~positive | _SIGN)


def argsort_float32(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order int64, sorted float32) of finite 1-D `values`; order is a stable argsort.

    Same result as `np.argsort(values, kind="stable")` and `values[order]`, except that -0.0
    sorts before +0.0. Peak extra memory: 12 bytes per value.
    """
    values = np.asarray(values, dtype=np.float32)
    n = len(values)
    if n >= 1 << 32:  # row indices no longer fit in the low half
        order = np.argsort(values, kind="stable")
        return order, values[order]
    keys = _flip(np.ascontiguousarray(values).view(np.uint32)).astype(np.uint64)
    keys <<= np.uint64(32)
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort()
    sorted_values = _unflip((keys >> np.uint64(32)).astype(np.uint32)).view(np.float32)
    keys &= np.uint64(0xFFFFFFFF)
    return keys.view(np.int64), sorted_values


def smallest_abs_quantile(sorted_values: np.ndarray, q: float) -> float:
    """np.quantile(np.abs(values), q) (linear interpolation) from the sorted values, reading
    only the slice around zero that can hold the smallest magnitudes."""
    n = len(sorted_values)
    position = (n - 1) * q
    k = int(np.floor(position))
    zero = int(np.searchsorted(sorted_values, 0.0))
    lo, hi = max(0, zero - k - 2), min(n, zero + k + 2)  # the k + 2 smallest |v| all lie in here
    near = np.abs(sorted_values[lo:hi])
    upper = min(k + 1, len(near) - 1)
    near.partition([k, upper])
    a, b = float(near[k]), float(near[upper])
    return a + (position - k) * (b - a)
