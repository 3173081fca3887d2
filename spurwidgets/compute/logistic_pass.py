"""The logistic loss and its gradient in one pass over the rows of X, split across threads.

A loss/gradient evaluation needs X W^T (the scores) and then r^T X (r: the weighted residuals,
known only after the scores). Done as two whole-matrix products, X streams from memory twice;
here each ~2 MB block of rows gives its scores, residuals and gradient share while it is still
in cache, so X streams once. The rows are split into one contiguous part per BLAS thread the
caller allows, each part run by a Python thread with single-threaded BLAS (NumPy releases the
GIL in BLAS and ufunc loops): multi-threaded BLAS on 2 MB blocks spends its time waking threads.
Measured at 1M x 512 on this 2-core machine: 0.44 s per evaluation vs 0.61 s for two passes on
one thread (benchmarks/RESULTS.md, refit_head speed).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

#: Bytes of X per block: small enough to stay in cache between the two products.
BLOCK_BYTES = 1 << 21

_CONTROLLER: list[ThreadpoolController] = []


def _controller() -> ThreadpoolController:
    if not _CONTROLLER:  # built once: finding the loaded libraries costs ~30 ms
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def one_blas_thread() -> Any:
    """A context limiting NumPy's BLAS to one thread: for small LAPACK calls and small fits,
    whose many short BLAS calls only wait for a second thread on a busy 2-core machine."""
    return _controller().limit(limits=1, user_api="blas")


def blas_threads() -> int:
    """The BLAS thread count in force now (what threadpoolctl.threadpool_limits set, or the default)."""
    counts = [lib.num_threads for lib in _controller().select(user_api="blas").lib_controllers]
    return max(1, min(counts)) if counts else 1


class LogisticPass:
    """Callable (weight (K, D) float32, offset (K,) float32) -> (sum_i w_i loss_i, r^T X (K, D)
    float64, sum_i r_i (K,) float64), where r_i = w_i (p_i - onehot_i) and scores = X W^T + offset.

    K = 1: the binary logistic loss (one logit); K > 1: the multinomial softmax loss.
    Use as a context manager: it holds the worker threads and limits BLAS to one thread per worker.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, n_out: int, threads: int = 1) -> None:
        self.x, self.w, self.n_out = x, w, n_out
        self.target = y.astype(np.float32) if n_out == 1 else None
        self.onehot = np.eye(n_out, dtype=np.float32)[y] if n_out > 1 else None
        n, dim = x.shape
        self.step = max(16, BLOCK_BYTES // (4 * dim))
        parts = max(1, min(threads, -(-n // self.step)))  # no more parts than blocks
        edges = np.linspace(0, n, parts + 1).astype(int)
        self.parts = list(zip(edges[:-1], edges[1:], strict=True))
        self._pool: ThreadPoolExecutor | None = None

    @contextmanager
    def running(self) -> Iterator[LogisticPass]:
        """Worker threads (one per part after the first, which the caller's thread runs) and
        one BLAS thread each while the context is open (only when there are several parts)."""
        if len(self.parts) == 1:
            yield self
            return
        with one_blas_thread(), ThreadPoolExecutor(len(self.parts) - 1) as pool:
            self._pool = pool
            try:
                yield self
            finally:
                self._pool = None

    def __call__(self, weight: np.ndarray, offset: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        rest = [] if self._pool is None else [self._pool.submit(self._part, *p, weight, offset) for p in self.parts[1:]]
        results = [self._part(*self.parts[0], weight, offset)]
        if self._pool is None:  # not running(): the other parts in this thread
            results += [self._part(*p, weight, offset) for p in self.parts[1:]]
        results += [future.result() for future in rest]
        loss = sum(r[0] for r in results)
        return float(loss), sum(r[1] for r in results), sum(r[2] for r in results)

    def _part(self, start: int, stop: int, weight: np.ndarray, offset: np.ndarray):
        k, dim = weight.shape
        loss = 0.0
        grad = np.zeros((k, dim))
        row_sum = np.zeros(k)
        for a in range(start, stop, self.step):
            b = min(stop, a + self.step)
            xb, wb = self.x[a:b], self.w[a:b]
            if self.n_out == 1:  # gemv: one logit
                s = xb @ weight[0] + offset[0]
                t = self.target[a:b]  # type: ignore[index]
                losses = np.maximum(s, 0) - s * t + np.log1p(np.exp(-np.minimum(np.abs(s), 30.0)))
                r = (1.0 / (1.0 + np.exp(-np.clip(s, -30.0, 30.0))) - t) * wb
                grad[0] += r @ xb
                row_sum[0] += r.sum(dtype=np.float64)
            else:
                scores = xb @ weight.T + offset
                top = scores.max(1, keepdims=True)
                shifted = np.exp(np.maximum(scores - top, -30.0))
                total = shifted.sum(1, keepdims=True)
                onehot = self.onehot[a:b]  # type: ignore[index]
                losses = (top + np.log(total))[:, 0] - (scores * onehot).sum(1)
                r = (shifted / total - onehot) * wb[:, None]
                grad += r.T @ xb
                row_sum += r.sum(0, dtype=np.float64)
            loss += float(np.dot(losses.astype(np.float64), wb))
        return loss, grad, row_sum
