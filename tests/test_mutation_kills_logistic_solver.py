"""The whitening sample takes every row, with its own weight, up to preconditioner_size rows
(as documented), and draws equal-weight rows beyond; weighted column moments by hand
(mutation survivors in logistic_solver.py)."""

from __future__ import annotations

import numpy as np
import torch

from spurwidgets.compute.logistic_solver import preconditioner_sample, preconditioner_size, weighted_column_moments


def test_up_to_the_size_every_row_keeps_its_weight():
    size = preconditioner_size(8)
    assert size == 4096  # max(4096, 4 * 8)
    w = np.linspace(1.0, 3.0, size)
    rows, weights = preconditioner_sample(w, 8)
    assert rows.tolist() == list(range(size))
    np.testing.assert_allclose(weights, w / w.sum())
    rows, weights = preconditioner_sample(np.linspace(1.0, 3.0, size + 1), 8)
    assert len(rows) == size and np.all(weights == 1.0 / size)


def test_weighted_column_moments_by_hand_for_weights_not_summing_to_one():
    x = torch.tensor([[0.0, 1.0], [2.0, 1.0], [4.0, 7.0]])
    w = torch.tensor([1.0, 1.0, 2.0])  # sum 4
    mean, var = weighted_column_moments(x, w)
    # column 0: mean (0 + 2 + 8) / 4 = 2.5, variance (6.25 + 0.25 + 2 * 2.25) / 4 = 2.75
    # column 1: mean (1 + 1 + 14) / 4 = 4, variance (9 + 9 + 2 * 9) / 4 = 9
    assert mean.tolist() == [2.5, 4.0]
    assert var.tolist() == [2.75, 9.0]


def test_cpu_tensors_go_to_the_numpy_solver_by_default_and_to_torch_on_request(monkeypatch):
    from spurwidgets.compute import logistic_solver

    calls = []
    real = logistic_solver._solve_numpy

    def recording(*args, **kwargs):
        calls.append("numpy")
        return real(*args, **kwargs)

    monkeypatch.setattr(logistic_solver, "_solve_numpy", recording)
    x = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.5, 2.0], [2.0, 0.5]])
    y = torch.tensor([0, 1, 0, 1])
    w = torch.full((4,), 0.25)
    default = logistic_solver.solve(x, y, w, 1, 0.1, None, 100, 1e-8)
    assert calls == ["numpy"]
    torch_path = logistic_solver.solve(x, y, w, 1, 0.1, None, 100, 1e-8, solver="torch")
    assert calls == ["numpy"]  # not called again
    np.testing.assert_allclose(torch_path[0].numpy(), default[0].numpy(), atol=1e-4)


def test_all_zero_weights_above_the_size_keep_every_row_equally():
    w = np.zeros(4097)
    rows, weights = preconditioner_sample(w, 8)
    assert rows.tolist() == list(range(4097)) and np.all(weights == 1.0 / 4097)


def test_the_torch_path_with_a_ridge_above_the_feature_variance_and_a_warm_start():
    from spurwidgets.compute import logistic_solver

    x = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.5, 2.0], [2.0, 0.5]])
    y = torch.tensor([0, 1, 0, 1])
    w = torch.full((4,), 0.25)
    weight, bias, _ = logistic_solver.solve(x, y, w, 1, 2.0, None, 100, 1e-10)  # ridge 2 > var / 4
    torch_weight, torch_bias, _ = logistic_solver.solve(x, y, w, 1, 2.0, None, 100, 1e-10, solver="torch")
    assert torch.isfinite(torch_weight).all()
    np.testing.assert_allclose(torch_weight.numpy(), weight.numpy(), atol=1e-4)
    # warm-started at the optimum, one iteration stays there (the intercept is mapped back exactly)
    warm_weight, warm_bias, _ = logistic_solver.solve(
        x, y, w, 1, 2.0, (weight.clone(), bias.clone()), 1, 1e-10, solver="torch"
    )
    np.testing.assert_allclose(warm_bias.numpy(), bias.numpy(), atol=1e-4)
