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


#: Rows (2^24) up to which `sort_float32` packs row index and an 8-bit code into one uint32.
PACK_CODES_BELOW = 1 << 24


def sort_float32(
    values: np.ndarray, codes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(order, sorted float32 values, codes in sorted order or None) of finite 1-D `values`.

    `order` is the stable argsort (as `argsort_float32`, -0.0 before +0.0), uint32 below 2^32
    rows (4 bytes per sample instead of 8), else int64. `codes` (uint8, one per value, e.g.
    label codes) come back in sorted order without a random gather: below 2^24 rows each
    uint64 sort key is (float key, row << 8 | code): the code rides along and, below the
    unique row, never changes the order. The key's halves are written and read through a
    uint32 view, so no uint64 temporaries besides the keys themselves (12 bytes per sample).
    """
    values = np.asarray(values, dtype=np.float32)
    n = len(values)
    little = np.little_endian
    pack = codes is not None and n < PACK_CODES_BELOW
    if not little or n >= 1 << 32 or (codes is not None and not pack):
        order, sorted_values = argsort_float32(values)
        return order, sorted_values, None if codes is None else np.asarray(codes, dtype=np.uint8)[order]
    keys = np.empty(n, dtype=np.uint64)
    halves = keys.view(np.uint32).reshape(n, 2)  # little-endian: [:, 0] low, [:, 1] high
    bits = np.ascontiguousarray(values).view(np.uint32)
    flip = (bits.view(np.int32) >> 31).view(np.uint32)  # all ones where the sign bit is set
    flip |= _SIGN
    np.bitwise_xor(bits, flip, out=halves[:, 1])
    rows = np.arange(n, dtype=np.uint32)
    if pack:
        np.left_shift(rows, np.uint32(8), out=rows)
        np.bitwise_or(rows, np.asarray(codes, dtype=np.uint8), out=halves[:, 0])
    else:
        halves[:, 0] = rows
    del rows
    keys.sort()
    top = np.right_shift(halves[:, 1].view(np.int32), 31, out=flip.view(np.int32))  # reuse the buffer
    np.invert(top, out=top)  # all ones where the key's top bit is set, i.e. a positive value
    flip |= _SIGN
    sorted_values = np.bitwise_xor(halves[:, 1], flip, out=flip).view(np.float32)
    low = halves[:, 0]
    if pack:
        return np.right_shift(low, np.uint32(8)), sorted_values, low.astype(np.uint8)  # uint8: the low 8 bits
    return low.copy(), sorted_values, None


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
