"""refit_head (CPU) vs scikit-learn LogisticRegression(lbfgs), same data, same C, same threads.

Prints, per size and thread count, the median wall time of each over `repeats` runs that
alternate ours / sklearn (the machine is shared: interleaving spreads load changes over both),
the speed ratio sklearn / refit_head, iterations, held-out accuracy and prediction agreement,
and the peak memory refit_head allocates on top of the features (tracemalloc, one extra run).
The data imitate penultimate features: non-negative (ReLU) mixtures of a 64-dim latent with a
class signal.

    .venv/bin/python benchmarks/bench_refit.py --quick        # seconds
    flock /tmp/spur-heavy.lock .venv/bin/python benchmarks/bench_refit.py            # 5k x 512, 50k x 2048
    flock /tmp/spur-heavy.lock .venv/bin/python benchmarks/bench_refit.py --large    # 1M x 512, 200k x 2048
    ... --weighted   # both fitted with the same balanced group weights (refit_head groups=)

Both libraries run with the same thread count (threadpoolctl for BLAS, torch.set_num_threads).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from spurwidgets.compute.refit import balanced_weights, refit_head


def make_features(n: int, d: int, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(features float32 (n, d), labels); written in blocks, so 1M x 512 needs no temporary copy."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n)
    mixing = rng.normal(size=(64, d)).astype(np.float32) / 8
    features = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 50_000):
        stop = min(n, start + 50_000)
        latent = rng.normal(size=(stop - start, 64)).astype(np.float32)
        latent[:, :n_classes] += 1.5 * np.eye(n_classes, dtype=np.float32)[labels[start:stop]]
        np.maximum(latent @ mixing, 0, out=features[start:stop])
    return features, labels.astype(np.int64)


def peak_extra_bytes(fn) -> int:
    """Peak bytes allocated (NumPy reports to tracemalloc) while `fn()` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(n: int, d: int, n_classes: int, C: float, repeats: int, thread_counts: list[int], weighted: bool) -> list:
    x, y = make_features(n + min(n // 5, 40_000), d, n_classes, seed=0)
    x_train, y_train, x_test, y_test = x[:n], y[:n], x[n:], y[n:]
    # groups for --weighted: a rare attribute (10 %) crossed with the class, balanced like DFR
    groups = y_train * 2 + (np.random.default_rng(1).random(n) < 0.1) if weighted else None
    sample_weight = balanced_weights(groups) if weighted else None
    rows = []
    for threads in thread_counts:
        torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):  # sklearn's BLAS / OpenMP get the same thread count
            refit_head(x_train[:256], y_train[:256], C=C, device="cpu")  # warm up
            ours, theirs = [], []
            for _ in range(repeats):
                start = time.perf_counter()
                head = refit_head(x_train, y_train, groups=groups, C=C, device="cpu")
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                reference = LogisticRegression(C=C, solver="lbfgs", max_iter=1000)
                reference.fit(x_train, y_train, sample_weight=sample_weight)
                theirs.append(time.perf_counter() - start)
        t_ours, t_theirs = statistics.median(ours), statistics.median(theirs)
        agree = float((head.predict(x_test) == reference.predict(x_test)).mean())
        print(
            f"threads={threads} N={n:>7} D={d:>5} C={C:<4} classes={n_classes}{' weighted' if weighted else ''}  "
            f"refit_head {t_ours:7.2f}s (iters {head.n_iter_:>3}, test acc {head.score(x_test, y_test):.4f})  "
            f"sklearn {t_theirs:7.2f}s (iters {int(np.max(reference.n_iter_)):>3}, "
            f"test acc {reference.score(x_test, y_test):.4f})  agreement {agree:.4f}  "
            f"speed-up x{t_theirs / t_ours:.2f}  (runs ours {', '.join(f'{t:.2f}' for t in ours)}; "
            f"sklearn {', '.join(f'{t:.2f}' for t in theirs)})",
            flush=True,
        )
        rows.append((threads, t_ours, t_theirs, agree))
    extra = peak_extra_bytes(lambda: refit_head(x_train, y_train, groups=groups, C=C, device="cpu"))
    print(
        f"    refit_head peak allocation {extra / 2**20:.0f} MiB = {extra / x_train.nbytes:.3f}x the features",
        flush=True,
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (seconds)")
    parser.add_argument(
        "--large", action="store_true", help="issue 14's sizes: 1M x 512 and 200k x 2048 (2 GB, 1.6 GB)"
    )
    parser.add_argument("--weighted", action="store_true", help="balanced group weights (refit_head groups=)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts, each used by both libraries")
    parser.add_argument("--repeats", type=int, default=None, help="runs per library (default: 3, 1 at 50k x 2048)")
    args = parser.parse_args()
    if args.quick:
        sizes = [(2000, 128, 2, 1), (2000, 128, 4, 1)]
    elif args.large:
        sizes = [(1_000_000, 512, 2, 3), (200_000, 2048, 2, 3)]
    else:
        sizes = [(5000, 512, 2, 3), (5000, 512, 4, 3), (50000, 2048, 2, 1), (50000, 2048, 4, 1)]
    threads = [int(t) for t in args.threads.split(",")]
    print(f"torch {torch.__version__}; sklearn LogisticRegression(solver='lbfgs', max_iter=1000), default tol")
    for n, d, k, repeats in sizes:
        run(n, d, k, 1.0, args.repeats or repeats, threads, args.weighted)


if __name__ == "__main__":
    main()
