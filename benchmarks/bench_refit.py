"""refit_head (torch L-BFGS, float32) vs scikit-learn LogisticRegression(lbfgs), same data and C.

Prints, per size, the wall time of each, their accuracies (train and held-out) and the
speed ratio sklearn / refit_head. The data imitate penultimate features: non-negative
(ReLU) mixtures with a class signal, plus a spurious dimension that agrees with the label.

    .venv/bin/python benchmarks/bench_refit.py --quick        # seconds
    .venv/bin/python benchmarks/bench_refit.py                # N=5k,D=512 and N=50k,D=2048

Both libraries run with the same thread count (torch.set_num_threads + threadpoolctl), once
with 1 and once with 2 threads: on a loaded 2-core machine torch's thread pool wakes up
slowly, and its exp/log kernels (VML, parallel above 2048 elements) suffer most.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from spurwidgets.compute.refit import refit_head


def make_features(n: int, d: int, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n)
    latent = rng.normal(size=(n, 64)).astype(np.float32)
    latent[:, :n_classes] += 1.5 * np.eye(n_classes, dtype=np.float32)[labels]
    mixing = rng.normal(size=(64, d)).astype(np.float32) / 8
    features = np.maximum(latent @ mixing, 0).astype(np.float32)
    return features, labels.astype(np.int64)


def run(n: int, d: int, n_classes: int, C: float, repeats: int, threads: int) -> None:
    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):  # sklearn's BLAS / OpenMP get the same thread count
        _run(n, d, n_classes, C, repeats, threads)


def _run(n: int, d: int, n_classes: int, C: float, repeats: int, threads: int) -> None:
    x, y = make_features(n + n // 5, d, n_classes, seed=0)
    x_train, y_train, x_test, y_test = x[:n], y[:n], x[n:], y[n:]
    refit_head(x_train[:256], y_train[:256], C=C, device="cpu")  # warm up torch kernels
    ours, theirs = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        head = refit_head(x_train, y_train, C=C, device="cpu")
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference = LogisticRegression(C=C, solver="lbfgs", max_iter=1000).fit(x_train, y_train)
        theirs.append(time.perf_counter() - start)
    t_ours, t_theirs = min(ours), min(theirs)
    agree = (head.predict(x_test) == reference.predict(x_test)).mean()
    print(
        f"threads={threads} N={n:>6} D={d:>5} C={C:<5} classes={n_classes}  "
        f"refit_head {t_ours:7.2f}s (iters {head.n_iter_:>3}, train acc {head.score(x_train, y_train):.4f}, "
        f"test acc {head.score(x_test, y_test):.4f})  "
        f"sklearn {t_theirs:7.2f}s (iters {int(np.max(reference.n_iter_)):>3}, train acc {reference.score(x_train, y_train):.4f}, "
        f"test acc {reference.score(x_test, y_test):.4f})  "
        f"prediction agreement {agree:.4f}  speed-up x{t_theirs / t_ours:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (seconds)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts, each used by both libraries")
    args = parser.parse_args()
    if args.quick:
        sizes = [(2000, 128, 2, 1.0, 1), (2000, 128, 4, 1.0, 1)]
    else:
        sizes = [(5000, 512, 2, 1.0, 3), (5000, 512, 4, 1.0, 3), (50000, 2048, 2, 1.0, 1), (50000, 2048, 4, 1.0, 1)]
    print(f"torch {torch.__version__}; sklearn LogisticRegression(solver='lbfgs', max_iter=1000), default tol")
    for n, d, k, c, repeats in sizes:
        for threads in (int(t) for t in args.threads.split(",")):
            run(n, d, k, c, repeats, threads)


if __name__ == "__main__":
    main()
