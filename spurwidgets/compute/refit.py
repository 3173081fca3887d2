"""Fast last-layer refitting: L2 logistic regression solved by full-batch L-BFGS in torch.

The objective has scikit-learn's meaning of `C`::

    C * sum_i w_i * logloss_i + 0.5 * ||W||^2      (no penalty on the intercept)

so `refit_head(X, y, C=c)` and `LogisticRegression(C=c)` minimise the same function (for
two classes both use one logit; for more, both use the multinomial softmax). Internally the
objective is divided by `C * N` so float32 stays well conditioned; the minimiser is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from .linear_head import LinearHead
from .validation import (
    check_features,
    check_labels,
    check_positive_int,
    check_random_state,
    check_same_length,
    resolve_device,
    to_numpy,
)

#: Grid searched by C="auto" (from strong to weak regularisation, each fit warm-starting the next).
C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def balanced_weights(groups: np.ndarray) -> np.ndarray:
    """n / (n_groups * count of the group) per sample, i.e. every group weighs the same; mean 1."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weights = len(groups) / (len(counts) * counts[inverse])
    return (weights / weights.mean()).astype(np.float32)


def _solve(
    x: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    n_out: int,
    C: float,
    init: tuple[torch.Tensor, torch.Tensor] | None,
    max_iter: int,
    tol: float,
    solver: str = "scipy",
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Minimise mean(w * logloss) + ||W||^2 / (2 C N) with L-BFGS; returns (W, b, iterations)."""
    n, d = x.shape
    weight = torch.zeros(n_out, d, dtype=x.dtype, device=x.device) if init is None else init[0].clone()
    bias = torch.zeros(n_out, dtype=x.dtype, device=x.device) if init is None else init[1].clone()
    ridge = 1.0 / (C * n)
    w_over_n = w / n
    onehot = torch.nn.functional.one_hot(y, max(n_out, 2)).to(x.dtype)
    target = y.to(x.dtype)

    @torch.no_grad()
    def closure() -> torch.Tensor:
        # Loss and gradient by hand: torch's fused log-sigmoid / log-softmax kernels are
        # ~100x slower than these elementwise ops on some CPU builds, and autograd is not needed.
        # exp() of large negative arguments is also ~1000x slower on CPU (underflow path), so
        # arguments are clamped at -30: the change in loss or probability is below 1e-13.
        scores = torch.addmm(bias, x, weight.T)
        if n_out == 1:
            s = scores[:, 0]
            losses = torch.clamp(s, min=0) - s * target + torch.log1p(torch.exp(-s.abs().clamp(max=30.0)))
            residual = ((torch.sigmoid(s) - target) * w_over_n)[:, None]
        else:
            top = scores.max(1, keepdim=True).values
            shifted = torch.exp((scores - top).clamp(min=-30.0))
            total = shifted.sum(1, keepdim=True)
            losses = (top + torch.log(total))[:, 0] - (scores * onehot).sum(1)
            residual = (shifted / total - onehot) * w_over_n[:, None]
        loss = (losses * w_over_n).double().sum() + 0.5 * ridge * (weight * weight).sum().double()
        weight.grad = residual.T @ x + ridge * weight
        bias.grad = residual.sum(0)
        return loss

    if solver == "torch":  # everything on the device (best on GPU: no host round trips)
        optimizer = torch.optim.LBFGS(
            [weight, bias],
            lr=1.0,
            max_iter=max_iter,
            history_size=20,
            tolerance_grad=tol,
            tolerance_change=1e-9,
            line_search_fn="strong_wolfe",
        )
        optimizer.step(closure)
        n_iter = int(optimizer.state[optimizer._params[0]].get("n_iter", 0))
        return weight.detach(), bias.detach(), n_iter
    # "scipy": SciPy's compiled L-BFGS-B drives the float32 torch loss/gradient; the
    # per-iteration bookkeeping then costs microseconds instead of ~100 small torch ops.
    from scipy.optimize import minimize

    shape_w = weight.shape

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        flat = torch.from_numpy(theta.astype(np.float32)).to(x.device)
        weight.copy_(flat[: weight.numel()].view(shape_w))
        bias.copy_(flat[weight.numel() :])
        loss = closure()
        grad = torch.cat([weight.grad.reshape(-1), bias.grad.reshape(-1)])  # type: ignore[union-attr]
        return float(loss), grad.double().cpu().numpy()

    theta0 = torch.cat([weight.reshape(-1), bias.reshape(-1)]).double().cpu().numpy()
    result = minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps, "maxcor": 20},
    )
    final = torch.from_numpy(result.x.astype(np.float32)).to(x.device)
    return final[: weight.numel()].view(shape_w).clone(), final[weight.numel() :].clone(), int(result.nit)


#: Below this many feature entries a CPU solve runs on one torch thread (see `_threads_for`).
SINGLE_THREAD_BELOW = 1 << 22


@contextmanager
def _threads_for(n_values: int, device: torch.device) -> Iterator[None]:
    """One torch thread for small CPU problems, restored afterwards.

    Each L-BFGS step runs a few tiny matmuls and reductions; waking torch's second thread for
    them costs milliseconds on a busy machine (measured 5-10 ms per op on a loaded 2-core
    CPU), which made a 300 x 8 fit take over a second. Large problems keep every thread.
    """
    previous = torch.get_num_threads()
    if device.type != "cpu" or n_values >= SINGLE_THREAD_BELOW or previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _fit_arrays(features, labels, weights, C, device, init=None, max_iter=200, tol=1e-4, solver="scipy"):
    """Fit on validated NumPy arrays; labels already encoded to 0..K-1."""
    with _threads_for(features.size, device):
        return _fit_arrays_now(features, labels, weights, C, device, init, max_iter, tol, solver)


def _fit_arrays_now(features, labels, weights, C, device, init, max_iter, tol, solver):
    n_classes = int(labels.max()) + 1
    n_out = 1 if n_classes == 2 else n_classes
    x = torch.from_numpy(features).to(device)
    y = torch.from_numpy(labels).to(device)
    w = torch.from_numpy(weights).to(device)
    # Centring the features is an exact reparametrisation (the intercept is not penalised:
    # b' = b + W @ mean) that removes the dominant mean direction of non-negative (ReLU)
    # features from the Hessian, so L-BFGS needs far fewer iterations.
    mean = (w[:, None] * x).sum(0) / w.sum()
    if init is not None:
        init = (init[0], init[1] + init[0] @ mean)
    weight, bias, n_iter = _solve(x - mean, y, w, n_out, float(C), init, max_iter, tol, solver)
    return weight, bias - weight @ mean, n_iter


def _check_C(C: Any) -> float | str:
    if isinstance(C, str):
        if C != "auto":
            raise ValueError(f"C must be a positive number or 'auto'; got {C!r}")
        return C
    if isinstance(C, bool) or not isinstance(C, (int, float, np.integer, np.floating)) or not np.isfinite(C) or C <= 0:
        raise ValueError(f"C must be a positive number or 'auto'; got {C!r}")
    return float(C)


def refit_head(
    features: Any,
    labels: Any,
    *,
    groups: Any = None,
    sample_weight: Any = None,
    C: float | str = 1.0,
    random_state: Any = 0,
    device: Any = "auto",
    max_iter: int = 200,
    tol: float = 1e-4,
    validation_fraction: float = 0.2,
    solver: str = "auto",
) -> LinearHead:
    """Fit an L2-regularised logistic-regression head on `features` (N, D).

    groups: optional (N,) group ids; each group then weighs the same in the loss (sample
        weights n / (n_groups * count), mean 1), like class_weight="balanced" over groups.
    sample_weight: optional (N,) non-negative weights (multiplied with the group weights,
        then normalised to mean 1).
    C: inverse regularisation strength with scikit-learn's meaning, or "auto": pick C from
        C_GRID by accuracy on a stratified validation split (worst-group accuracy when
        groups are given), warm-starting each fit from the previous one, then refit on all.
    random_state: seeds the validation split of C="auto" (the fit itself is deterministic).
    device: "auto" (CUDA when present), "cpu", "cuda" or a torch.device; float32 throughout.
    tol: stop when the largest gradient entry of the (1/N-scaled) objective is below tol
        (scikit-learn's default, 1e-4).
    solver: "auto" ("torch" on CUDA, "scipy" on CPU), "torch" (torch.optim.LBFGS, all on
        the device) or "scipy" (SciPy's L-BFGS-B driving the float32 torch loss/gradient).
    """
    features = check_features(features)
    raw_labels = check_labels(labels, "labels", n=len(features))
    C = _check_C(C)
    max_iter = check_positive_int(max_iter, "max_iter")
    classes, encoded = np.unique(raw_labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"labels must hold at least 2 classes to fit a classifier; got only class {classes[0]}")
    encoded = encoded.astype(np.int64)
    weights = np.ones(len(features), dtype=np.float32)
    group_ids = None
    if groups is not None:
        group_ids = check_labels(groups, "groups", n=len(features))
        weights = weights * balanced_weights(group_ids)
    if sample_weight is not None:
        extra = np.asarray(to_numpy(sample_weight, "sample_weight"), dtype=np.float32)
        check_same_length(features=features, sample_weight=extra)
        if extra.ndim != 1 or not np.isfinite(extra).all() or (extra < 0).any() or extra.sum() <= 0:
            raise ValueError("sample_weight must be a 1-D array of finite non-negative numbers, not all zero")
        weights = weights * extra
    weights = (weights / weights.mean()).astype(np.float32)
    device = resolve_device(device)
    if not isinstance(solver, str) or solver not in ("auto", "torch", "scipy"):
        raise ValueError(f"solver must be 'auto', 'torch' or 'scipy'; got {solver!r}")
    if solver == "auto":
        solver = "torch" if device.type == "cuda" else "scipy"

    if C == "auto":
        C, init = _select_C(
            features, encoded, weights, group_ids, random_state, device, max_iter, tol, validation_fraction, solver
        )
    else:
        init = None
    weight, bias, n_iter = _fit_arrays(features, encoded, weights, C, device, init, max_iter, tol, solver)
    return LinearHead(weight.cpu().numpy(), bias.cpu().numpy(), classes, n_iter=n_iter, C=float(C))


def _select_C(features, encoded, weights, group_ids, random_state, device, max_iter, tol, validation_fraction, solver):
    """Warm-started grid search over C_GRID on a stratified validation split."""
    rng = check_random_state(random_state)
    strata = encoded if group_ids is None else group_ids * (encoded.max() + 1) + encoded
    val = np.zeros(len(encoded), dtype=bool)
    for s in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == s))
        val[members[: int(round(validation_fraction * len(members)))]] = True
    train = ~val
    if len(np.unique(encoded[train])) < len(np.unique(encoded)) or not val.any():
        raise ValueError("C='auto' needs enough samples per class for a validation split; pass a number for C")
    x_val = torch.from_numpy(features[val]).to(device)
    best = (-np.inf, C_GRID[0], None)
    init = None
    for c in C_GRID:
        weight, bias, _ = _fit_arrays(
            features[train], encoded[train], weights[train], c, device, init, max_iter, tol, solver
        )
        init = (weight, bias)
        scores = torch.addmm(bias, x_val, weight.T)
        pred = ((scores[:, 0] > 0).long() if scores.shape[1] == 1 else scores.argmax(1)).cpu().numpy()
        correct = pred == encoded[val]
        if group_ids is None:
            score = correct.mean()
        else:
            score = min(correct[group_ids[val] == g].mean() for g in np.unique(group_ids[val]))
        if score > best[0] + 1e-12:
            best = (score, c, init)
    return best[1], best[2]
