"""Validation helpers pinned exactly: row_chunks' block size, check_index on good and bad
values, check_same_length with three lengths, the ragged-list message."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spurwidgets.compute.validation import check_index, check_matrix, check_same_length, row_chunks


def test_row_chunks_blocks_of_about_16_mb_and_one_row_when_a_row_is_larger():
    assert row_chunks(10**8, 1024) == range(0, 10**8, (1 << 24) // 1024)  # 16 MB blocks by default
    assert row_chunks(10, 4, chunk_bytes=8) == range(0, 10, 2)
    assert list(row_chunks(3, 1 << 25)) == [0, 1, 2]  # a row over the block size: one row per block
    assert list(row_chunks(3, 0, chunk_bytes=2)) == [0, 2]


@pytest.mark.parametrize("value", [0, 3, np.int64(2), np.uint8(1)])
def test_check_index_returns_valid_integers(value):
    got = check_index(value, "class", 4)
    assert got == int(value) and type(got) is int


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "class must be an integer in 0..3; got True"),
        (1.0, TypeError, "class must be an integer in 0..3; got 1.0"),
        ("1", TypeError, "class must be an integer in 0..3; got '1'"),
        (4, ValueError, "class 4 does not exist; expected a class in 0..3"),
        (-1, ValueError, "class -1 does not exist; expected a class in 0..3"),
    ],
)
def test_check_index_refuses_exactly(value, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        check_index(value, "class", 4)


def test_check_same_length_with_three_different_lengths():
    message = "length mismatch: a has 2, b has 3, c has 4 entries; expected one entry per sample in each"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_same_length(a=np.zeros(2), b=np.zeros(3), c=np.zeros(4))
    assert check_same_length(a=np.zeros(2), b=None, c=[1, 2]) == 2
    two = "length mismatch: a has 2, b has 3 entries; expected one entry per sample in each"
    with pytest.raises(ValueError, match=f"^{re.escape(two)}$"):
        check_same_length(a=np.zeros(2), b=np.zeros(3))


def test_ragged_nested_lists_message():
    message = "features must be a rectangular array; got nested lists of different lengths"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_matrix([[1, 2], [3]], "features")
