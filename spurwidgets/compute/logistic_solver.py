"""L2 logistic regression by L-BFGS on a float32 torch matrix that is never copied.

`solve` minimises  mean_w(logloss) + ridge / 2 * ||W||^2  (weights `w` already divided by N).
Two exact reparametrisations make L-BFGS converge in fewer iterations without touching X:

* centring: scores = (X - m) W^T + b', b' = b + W m (the intercept is not penalised), done
  implicitly: X W^T and r^T X are corrected with the (K, D) outer product r.sum(0) m^T, so no
  centred copy of X exists;
* diagonal scaling: W = V / s with s_j proportional to sqrt(var_j / 4 + ridge), the root of
  the Hessian's diagonal at p = 1/2, so all coordinates of V have about the same curvature
  (the penalty becomes ridge/2 ||V/s||^2, the minimiser is the same W).

Per evaluation: X @ W^T and r^T @ X (two passes over X on the torch path; one on the CPU path,
`logistic_pass.LogisticPass`), elementwise work on (N, K).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.linalg import cholesky, solve_triangular
from scipy.optimize import minimize

from .logistic_pass import LogisticPass, blas_threads, one_blas_thread
from .validation import CHUNK_BYTES

__all__ = ["one_blas_thread", "solve"]


def weighted_column_moments(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, variance) of each column under weights `w` (summing to anything > 0), in row blocks."""
    n, d = x.shape
    total = w.sum()
    mean = (w @ x) / total
    var = torch.zeros(d, dtype=torch.float64, device=x.device)
    step = max(1, CHUNK_BYTES // (4 * d))
    for start in range(0, n, step):
        block = x[start : start + step] - mean
        var += (w[start : start + step] @ (block * block)).double()
    return mean, (var / float(total)).to(x.dtype)


def solve(
    x: torch.Tensor,
    y: torch.Tensor,
    w: torch.Tensor,
    n_out: int,
    ridge: float,
    init: tuple[torch.Tensor, torch.Tensor] | None,
    max_iter: int,
    tol: float,
    solver: str = "scipy",
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Minimise sum(w * logloss) + ridge/2 ||W||^2 with L-BFGS; returns (W, b, iterations).

    `w` holds the per-sample weights already divided by the normaliser (sum ~ 1); `init` is a
    warm start (W, b) in the original coordinates.
    """
    if solver == "scipy" and x.device.type == "cpu":
        weight_np, bias_np, n_iter = _solve_numpy(x.numpy(), y.numpy(), w.numpy(), n_out, ridge, init, max_iter, tol)
        return torch.from_numpy(weight_np), torch.from_numpy(bias_np), n_iter
    mean, var = weighted_column_moments(x, w)
    scale = torch.sqrt(var / 4 + ridge)
    # Largest scale 1: |dL/dW_j| = |dL/dV_j| * scale_j <= |dL/dV_j|, so `tol` on the V gradient
    # still bounds every W gradient entry by tol (scikit-learn's stopping rule, or stricter).
    scale = (scale / scale.max()).clamp(min=1e-12)
    if init is None:
        v = torch.zeros(n_out, x.shape[1], dtype=x.dtype, device=x.device)
        b = torch.zeros(n_out, dtype=x.dtype, device=x.device)
    else:
        v, b = (init[0] * scale).clone(), (init[1] + init[0] @ mean).clone()
    onehot = torch.nn.functional.one_hot(y, max(n_out, 2)).to(x.dtype) if n_out > 1 else None
    target = y.to(x.dtype)

    @torch.no_grad()
    def closure() -> torch.Tensor:
        # Loss and gradient by hand: torch's fused log-sigmoid / log-softmax kernels are
        # ~100x slower than these elementwise ops on some CPU builds, and autograd is not needed.
        # exp() of large negative arguments is also ~1000x slower on CPU (underflow path), so
        # arguments are clamped at -30: the change in loss or probability is below 1e-13.
        weight = v / scale
        if n_out == 1:  # matrix-vector products: BLAS gemv streams X once, gemm with one column may pack it
            s = torch.mv(x, weight[0]) + (b - weight @ mean)
            losses = torch.clamp(s, min=0) - s * target + torch.log1p(torch.exp(-s.abs().clamp(max=30.0)))
            r = (torch.sigmoid(s) - target) * w
            loss = (losses * w).double().sum() + 0.5 * ridge * (weight * weight).sum().double()
            v.grad = ((torch.mv(x.T, r) - r.sum() * mean) / scale + ridge * weight[0] / scale)[None]
            b.grad = r.sum()[None]
            return loss
        scores = torch.addmm(b - weight @ mean, x, weight.T)
        top = scores.max(1, keepdim=True).values
        shifted = torch.exp((scores - top).clamp(min=-30.0))
        total = shifted.sum(1, keepdim=True)
        losses = (top + torch.log(total))[:, 0] - (scores * onehot).sum(1)  # type: ignore[operator]
        residual = (shifted / total - onehot) * w[:, None]  # type: ignore[operator]
        loss = (losses * w).double().sum() + 0.5 * ridge * (weight * weight).sum().double()
        row_sum = residual.sum(0)
        v.grad = (residual.T @ x - torch.outer(row_sum, mean)) / scale + ridge * weight / scale
        b.grad = row_sum
        return loss

    if solver == "torch":  # everything on the device (best on GPU: no host round trips)
        v.requires_grad_(False)
        optimizer = torch.optim.LBFGS(
            [v, b],
            lr=1.0,
            max_iter=max_iter,
            history_size=20,
            tolerance_grad=tol,
            tolerance_change=1e-9,
            line_search_fn="strong_wolfe",
        )
        optimizer.step(closure)
        n_iter = int(optimizer.state[optimizer._params[0]].get("n_iter", 0))
    else:
        n_iter = _scipy_lbfgs(v, b, closure, max_iter, tol)
    weight = v.detach() / scale
    return weight, b.detach() - weight @ mean, n_iter


def _scipy_lbfgs(v: torch.Tensor, b: torch.Tensor, closure: Any, max_iter: int, tol: float) -> int:
    """SciPy's compiled L-BFGS-B driving the float32 torch loss/gradient (per-iteration
    bookkeeping in microseconds instead of ~100 small torch ops); leaves the optimum in v, b."""
    size = v.numel()

    def load(theta: np.ndarray) -> None:
        flat = torch.from_numpy(theta.astype(np.float32)).to(v.device)
        v.copy_(flat[:size].view(v.shape))
        b.copy_(flat[size:])

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        load(theta)
        loss = closure()
        grad = torch.cat([v.grad.reshape(-1), b.grad.reshape(-1)])  # type: ignore[union-attr]
        return float(loss), grad.double().cpu().numpy()

    theta0 = torch.cat([v.reshape(-1), b.reshape(-1)]).double().cpu().numpy()
    result = _lbfgs(fun, theta0, max_iter, tol)
    load(result.x)
    return int(result.nit)


def _lbfgs(fun, theta0: np.ndarray, max_iter: int, tol: float, callback: Any = None):
    """SciPy's L-BFGS-B with the settings both solver paths share (fun returns loss and gradient)."""
    options = {"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps, "maxcor": 20}
    return minimize(fun, theta0, jac=True, method="L-BFGS-B", options=options, callback=callback)


#: The CPU path stops at scikit-learn's rule, max |gradient| <= tol, on problems of at least
#: this many feature entries; smaller ones (milliseconds per evaluation) stop at tol / 4: a
#: near-Newton method reaches its first point under tol with less slack in flat directions
#: than scikit-learn's L-BFGS (a 200 x 4 weighted fit's intercept was 2e-3 off at tol), and
#: there the extra iterations cost nothing. On large problems the stricter rule cost 2-4 of
#: 8-12 iterations (200k x 512), so they keep scikit-learn's rule exactly.
STRICT_BELOW = 1 << 22

#: Added to the whitening Hessian's diagonal, relative to its mean diagonal entry.
SHRINKAGE = 1e-2


class _Converged(Exception):
    """Raised inside the objective at a point whose gradient meets the stopping rule."""


def preconditioner_sample(w: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, weights summing to 1) whose weighted covariance estimates the full weighted one.

    All rows with their weights when there are at most `preconditioner_size(dim)`; else that
    many rows drawn with replacement with probability proportional to `w` (seed 0, so the fit
    stays deterministic), each then weighing the same: heavily weighted small groups are
    represented as the loss sees them, not as often as they occur.
    """
    size = preconditioner_size(dim)
    w = np.asarray(w, dtype=np.float64)
    total = w.sum()
    if len(w) <= size or total <= 0:
        return np.arange(len(w)), (w / total if total > 0 else np.full(len(w), 1.0 / len(w)))
    rng = np.random.default_rng(0)
    uniform = w.min() == w.max()
    rows = np.sort(rng.choice(len(w), size=size, replace=not uniform, p=None if uniform else w / total))
    return rows, np.full(size, 1.0 / size)


def preconditioner_size(dim: int) -> int:
    """4 * dim rows (at least 4096): a covariance estimate good enough that the whitened
    problem needs ~10-30 L-BFGS iterations (2 * dim: 20-50; dim: 50-200, measured at
    50k x 2048), for one (size x dim) x (dim x dim) product."""
    return max(4096, 4 * dim)


def whitening(x: np.ndarray, w: np.ndarray, curvature: float, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """(centre m, lower Cholesky factor L) with L L^T ~ the Hessian of the loss at the start.

    H = curvature * weighted covariance of the rows of `preconditioner_sample` + ridge * I,
    plus a shrinkage (SHRINKAGE x the mean variance) that keeps the sample's noisy smallest
    eigenvalues from steering L-BFGS. The sample is read in ~16 MB blocks of rows.
    Substituting W = V L^{-1} makes that Hessian the identity: the curvature that feature
    correlations create (the reason plain L-BFGS needs 50-300 iterations) is gone.
    """
    rows, weights = preconditioner_sample(w, x.shape[1])
    dim = x.shape[1]
    # In blocks of rows (sum w x x^T - m m^T, accumulated in float64): the extra memory is one
    # block and the D x D matrices, also when the sample is every row of a small problem.
    second = np.zeros((dim, dim))
    first = np.zeros(dim)
    step = max(1, CHUNK_BYTES // (4 * dim))
    for start in range(0, len(rows), step):
        block = np.asarray(x[rows[start : start + step]], dtype=np.float32)
        bw = weights[start : start + step]
        first += bw @ block
        scaled = block * np.sqrt(bw).astype(np.float32)[:, None]
        second += scaled.T @ scaled
    mean = first.astype(np.float32)
    hessian = curvature * (second - np.outer(first, first))
    shrink = SHRINKAGE * np.trace(hessian) / len(hessian)
    hessian[np.diag_indices_from(hessian)] += ridge + shrink
    with one_blas_thread():  # 2 BLAS threads on a busy machine: 1.7 s vs 0.2 s (2048^2)
        return mean, cholesky(hessian, lower=True)


def _solve_numpy(x, y, w, n_out, ridge, init, max_iter, tol):
    """The CPU path: L-BFGS on whitened weights V = W L, loss and gradient in NumPy (its BLAS
    is what scikit-learn uses; torch's thread pool wakes slowly on a busy 2-core machine).

    Each evaluation streams X once (`logistic_pass.LogisticPass`: X W^T and r^T X per block of
    rows, the blocks split across the BLAS threads allowed) with no (N, D) temporary: centring
    and whitening act on the (K, D) weights only. Stops at the first point where every entry of the
    gradient with respect to (W, b) is <= tol: scikit-learn's rule (its L-BFGS-B gtol on the
    same 1/N-scaled objective); tol / 4 below STRICT_BELOW feature entries.
    """
    dim = x.shape[1]
    k = n_out
    mean, chol = whitening(x, w, 0.25 if n_out == 1 else 1.0 / n_out, ridge)
    evaluate = LogisticPass(x, y, w, n_out, threads=blas_threads())
    iterations = [0]
    stop_at = tol if x.size >= STRICT_BELOW else tol / 4

    def weights_of(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = theta[: k * dim].reshape(k, dim)
        weight = solve_triangular(chol, v.T, lower=True, trans="T").T  # W^T = L^-T V^T
        return weight, theta[k * dim :]

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        weight64, bias = weights_of(theta)
        weight = weight64.astype(np.float32)
        offset = (bias - weight64 @ mean).astype(np.float32)
        loss_sum, grad_x, row_sum = evaluate(weight, offset)  # one pass over X
        loss = loss_sum + 0.5 * ridge * float((weight64**2).sum())
        grad_w = grad_x - np.outer(row_sum, mean) + ridge * weight64
        if max(np.abs(grad_w).max(), np.abs(row_sum).max()) <= stop_at:
            raise _Converged(weight64, bias)
        grad_v = solve_triangular(chol, grad_w.T, lower=True).T  # dL/dV = dL/dW L^-T
        return loss, np.concatenate([grad_v.ravel(), row_sum])

    if init is None:
        theta0 = np.zeros(k * dim + k)
    else:
        w0, b0 = (t.cpu().numpy().astype(np.float64) for t in init)
        theta0 = np.concatenate([(w0 @ chol).ravel(), b0 + w0 @ mean])

    def count(*_args: Any) -> None:
        iterations[0] += 1

    try:
        with evaluate.running():
            result = _lbfgs(fun, theta0, max_iter, 0.0, callback=count)
        weight64, bias = weights_of(result.x)
    except _Converged as done:
        weight64, bias = done.args
    weight = weight64.astype(np.float32)
    return weight, (bias - weight64 @ mean).astype(np.float32), iterations[0]
