"""The whitening sample takes every row, with its own weight, up to preconditioner_size rows
(as documented), and draws equal-weight rows beyond (a mutation survivor in logistic_solver.py)."""

from __future__ import annotations

import numpy as np

from spurwidgets.compute.logistic_solver import preconditioner_sample, preconditioner_size


def test_up_to_the_size_every_row_keeps_its_weight():
    size = preconditioner_size(8)
    assert size == 4096  # max(4096, 4 * 8)
    w = np.linspace(1.0, 3.0, size)
    rows, weights = preconditioner_sample(w, 8)
    assert rows.tolist() == list(range(size))
    np.testing.assert_allclose(weights, w / w.sum())
    rows, weights = preconditioner_sample(np.linspace(1.0, 3.0, size + 1), 8)
    assert len(rows) == size and np.all(weights == 1.0 / size)
