"""Fast last-layer refitting: L2 logistic regression solved by full-batch L-BFGS in torch.

The solver (`logistic_solver.solve`) reads the float32 features in place (a memory map
works): no centred or weighted copy. For huge N, `max_samples` fits a group-balanced
subsample (as DFR does) and `init` warm-starts from a previous head.

The objective has scikit-learn's meaning of `C`::

    C * sum_i w_i * logloss_i + 0.5 * ||W||^2      (no penalty on the intercept)

so `refit_head(X, y, C=c)` and `LogisticRegression(C=c)` minimise the same function (for
two classes both use one logit; for more, both use the multinomial softmax). Internally the
objective is divided by `C * N` so float32 stays well conditioned; the minimiser is unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from .linear_head import LinearHead
from .logistic_solver import one_blas_thread, solve
from .low_rank import principal_directions, with_group_means
from .predictions import predicted_classes
from .subsample import subsample_rows
from .validation import (
    check_features,
    check_finite,
    check_labels,
    check_positive_int,
    check_random_state,
    check_same_length,
    resolve_device,
    to_numpy,
)

#: The capped refit MIDExplorer runs on a Refit click when N is larger (`MID.refit(max_samples=,
#: rank=)` with these values): a group-balanced subsample of 20,000 rows (every group gives an
#: equal share, smaller groups whole, as DFR's balanced subset), fitted in the top 128 principal
#: directions plus the group-mean contrasts they miss. Measured at 200k x 2048 with groups on
#: four synthetic data sets (benchmarks/bench_interactive_refit.py, benchmarks/RESULTS.md):
#: 0.9-1.4 s on 2 loaded CPU cores (full fit 5-6 s), WGA -0.45 to +1.32 points from the full fit.
INTERACTIVE_MAX_SAMPLES = 20_000
#: See INTERACTIVE_MAX_SAMPLES.
INTERACTIVE_RANK = 128


def interactive_refit_options(n: int) -> dict[str, int]:
    """`refit_head` / `MID.refit` keywords for a refit a person waits for: the capped,
    projected fit when `n` exceeds INTERACTIVE_MAX_SAMPLES, else {} (an exact fit on all rows)."""
    if n <= INTERACTIVE_MAX_SAMPLES:
        return {}
    return {"max_samples": INTERACTIVE_MAX_SAMPLES, "rank": INTERACTIVE_RANK}


#: Grid searched by C="auto" (from strong to weak regularisation, each fit warm-starting the next).
C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def balanced_weights(groups: np.ndarray) -> np.ndarray:
    """n / (n_groups * count of the group) per sample, i.e. every group weighs the same; mean 1."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weights = len(groups) / (len(counts) * counts[inverse])
    return (weights / weights.mean()).astype(np.float32)


#: Below this many feature entries a CPU solve runs on one torch thread (see `_threads_for`).
SINGLE_THREAD_BELOW = 1 << 22


@contextmanager
def _threads_for(n_values: int, device: torch.device) -> Iterator[None]:
    """One torch thread for small CPU problems, restored afterwards.

    Each L-BFGS step runs a few tiny matmuls and reductions; waking torch's second thread for
    them costs milliseconds on a busy machine (measured 5-10 ms per op on a loaded 2-core
    CPU), which made a 300 x 8 fit take over a second; NumPy's BLAS (the CPU solver) likewise
    (the projected 20k x 128 interactive fit: 75 ms per evaluation on 2 threads, ~3 on one).
    Large problems keep every thread.
    """
    previous = torch.get_num_threads()
    if device.type != "cpu" or n_values >= SINGLE_THREAD_BELOW:
        yield
        return
    torch.set_num_threads(1)
    try:
        with one_blas_thread():  # the NumPy solver's BLAS too
            yield
    finally:
        torch.set_num_threads(previous)


def _fit_arrays(features, labels, weights, C, device, init=None, max_iter=200, tol=1e-4, solver="scipy", n_total=None):
    """Fit on validated NumPy arrays; labels already encoded to 0..K-1.

    `n_total`: the N that C refers to (the full data set when fitting a subsample of it).
    """
    with _threads_for(features.size, device):
        n_classes = int(labels.max()) + 1
        n_out = 1 if n_classes == 2 else n_classes
        x = _as_tensor(features, device)
        y = torch.from_numpy(labels).to(device)
        n = len(features)
        w = torch.from_numpy(weights).to(device) / n
        ridge = 1.0 / (float(C) * (n if n_total is None else n_total))
        return solve(x, y, w, n_out, ridge, init, max_iter, tol, solver)


def _as_tensor(features: np.ndarray, device: torch.device) -> torch.Tensor:
    """A torch view of the features (no copy on CPU, even for a read-only memory map)."""
    if features.flags.writeable:
        return torch.from_numpy(features).to(device)
    with warnings.catch_warnings():  # torch warns that it could write; nothing here writes to x
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(features).to(device)


def _features_for(features: Any, max_samples: Any) -> tuple[np.ndarray, bool]:
    """(features, scan_drawn_rows): `check_features`, except that for a capped fit (N >
    max_samples) of float32 C-contiguous input the NaN/inf scan is left to the drawn rows,
    the only ones the fit reads (scanning a 1.6 GB matrix took 0.3-0.6 s of a 2 s budget)."""
    array = to_numpy(features, "features")
    capped = (
        max_samples is not None
        and array.ndim == 2
        and len(array) > check_positive_int(max_samples, "max_samples", minimum=2)
        and array.dtype == np.float32
        and array.flags.c_contiguous
    )
    if not capped:
        return check_features(array), False
    check_features(np.zeros((1, array.shape[1]), array.dtype))  # a width or dtype error, same message
    return array, True


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
    max_samples: int | None = None,
    init: Any = None,
    rank: int | None = None,
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
        (scikit-learn's rule and default, 1e-4; the CPU solver uses tol / 4 on small problems).
    solver: "auto" ("torch" on CUDA, "scipy" on CPU), "torch" (torch.optim.LBFGS, all on
        the device) or "scipy" (SciPy's L-BFGS-B driving the float32 torch loss/gradient).
    max_samples: cap on the rows used (None: all). When N is larger, the fit uses a random
        subsample of `max_samples` rows drawn with `random_state`: with `groups`, group-balanced
        as in DFR (every group contributes min(its size, an equal share), small groups whole);
        without, uniform. C keeps its meaning for the full N (the subsample's loss is scaled
        by N / max_samples), so the subsample estimates the same objective. Only the chosen
        rows are copied, so a memory-mapped 10M x 512 matrix needs ~max_samples x D x 4 bytes,
        and only they are scanned for NaN/inf.
        See INTERACTIVE_MAX_SAMPLES for the interactive setting and its measured effect.
    init: a LinearHead with the same classes and width (e.g. the previous refit) to start
        L-BFGS from (warm start): same optimum, fewer iterations when it is close.
    rank: None (fit all D features) or r < D: fit the head in the span of the top-r principal
        directions of the (weighted, centred) rows fitted, estimated by a randomized SVD on at
        most 4096 of them (`low_rank.principal_directions`), plus the per-group (per-class
        without `groups`) mean contrasts they miss (`low_rank.with_group_means`, at most one
        direction per group), and map it back to D inputs. The solver then reads an (n, r + g)
        projection instead of (n, D); the penalty keeps its meaning (orthonormal directions).
        An approximation: whatever the head needs outside those directions is lost (see
        INTERACTIVE_RANK).
    """
    features, scan_drawn_rows = _features_for(features, max_samples)
    raw_labels = check_labels(labels, "labels", n=len(features))
    C = _check_C(C)
    max_iter = check_positive_int(max_iter, "max_iter")
    classes, encoded = np.unique(raw_labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"labels must hold at least 2 classes to fit a classifier; got only class {classes[0]}")
    encoded = encoded.astype(np.int64)
    group_ids = None if groups is None else check_labels(groups, "groups", n=len(features))
    extra = None
    if sample_weight is not None:
        extra = np.asarray(to_numpy(sample_weight, "sample_weight"), dtype=np.float32)
        check_same_length(features=features, sample_weight=extra)
        if extra.ndim != 1 or not np.isfinite(extra).all() or (extra < 0).any() or extra.sum() <= 0:
            raise ValueError("sample_weight must be a 1-D array of finite non-negative numbers, not all zero")
    n_total = len(features)
    if max_samples is not None and n_total > check_positive_int(max_samples, "max_samples", minimum=2):
        rows = subsample_rows(group_ids, n_total, max_samples, random_state)
        features, encoded = features[rows], encoded[rows]
        if scan_drawn_rows:
            check_finite(features, "features")
        group_ids = None if group_ids is None else group_ids[rows]
        extra = None if extra is None else extra[rows]
        if len(np.unique(encoded)) < len(classes):
            raise ValueError(f"max_samples={max_samples} leaves a class without samples; pass a larger max_samples")
    weights = np.ones(len(features), dtype=np.float32)
    if group_ids is not None:
        weights = weights * balanced_weights(group_ids)
    if extra is not None:
        if extra.sum() <= 0:
            raise ValueError(f"sample_weight is zero on all {len(extra)} rows drawn by max_samples")
        weights = weights * extra
    weights = (weights / weights.mean()).astype(np.float32)
    device = resolve_device(device)
    if not isinstance(solver, str) or solver not in ("auto", "torch", "scipy"):
        raise ValueError(f"solver must be 'auto', 'torch' or 'scipy'; got {solver!r}")
    if solver == "auto":
        solver = "torch" if device.type == "cuda" else "scipy"

    start = None if init is None else _warm_start(init, classes, features.shape[1], device)
    basis = centre = None
    if rank is not None and check_positive_int(rank, "rank") < features.shape[1]:
        centre, basis = principal_directions(features, weights, rank)
        basis = with_group_means(features, weights, encoded if group_ids is None else group_ids, basis)
        features = features @ basis  # (n, rank): the only copy the projected fit makes
        features -= centre @ basis
        if start is not None:  # the warm start's projection onto the directions
            start = (start[0] @ torch.from_numpy(basis), start[1] + start[0] @ torch.from_numpy(centre))
    if C == "auto":
        C, start = _select_C(
            features,
            encoded,
            weights,
            group_ids,
            random_state,
            device,
            max_iter,
            tol,
            validation_fraction,
            solver,
            start,
        )
    weight, bias, n_iter = _fit_arrays(
        features, encoded, weights, C, device, start, max_iter, tol, solver, n_total=n_total
    )
    coef, intercept = weight.cpu().numpy(), bias.cpu().numpy()
    if basis is not None:  # scores = w_r . (U^T (x - c)) + b_r = (w_r U^T) . x + b_r - (w_r U^T) . c
        coef = coef @ basis.T
        intercept = intercept - coef @ centre
    return LinearHead(coef, intercept, classes, n_iter=n_iter, C=float(C))


def _select_C(
    features, encoded, weights, group_ids, random_state, device, max_iter, tol, validation_fraction, solver, init
):
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
    for c in C_GRID:
        weight, bias, _ = _fit_arrays(
            features[train], encoded[train], weights[train], c, device, init, max_iter, tol, solver
        )
        init = (weight, bias)
        scores = torch.addmm(bias, x_val, weight.T)
        pred = predicted_classes(scores).cpu().numpy()
        correct = pred == encoded[val]
        if group_ids is None:
            score = correct.mean()
        else:
            score = min(correct[group_ids[val] == g].mean() for g in np.unique(group_ids[val]))
        if score > best[0] + 1e-12:
            best = (score, c, init)
    return best[1], best[2]


def _warm_start(init: Any, classes: np.ndarray, dim: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(W, b) tensors from a LinearHead fitted on the same classes and feature width."""
    if not isinstance(init, LinearHead):
        raise TypeError(f"init must be a LinearHead (e.g. a previous refit_head result); got {type(init).__name__}")
    n_out = 1 if len(classes) == 2 else len(classes)
    if init.classes_.tolist() != classes.tolist() or init.coef_.shape != (n_out, dim):
        raise ValueError(
            f"init has classes {init.classes_.tolist()} and coef_ shape {init.coef_.shape}; expected classes "
            f"{classes.tolist()} and shape {(n_out, dim)}"
        )
    return torch.from_numpy(init.coef_.copy()).to(device), torch.from_numpy(init.intercept_.copy()).to(device)
