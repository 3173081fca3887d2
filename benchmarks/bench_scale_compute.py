"""Scale: SpuriosityRanker memory, refit_head vs sklearn, LogitCurve build, LatentScatter payloads.

    .venv/bin/python benchmarks/bench_scale_compute.py --quick   # CI size, ~1 min
    flock /tmp/spur-heavy.lock .venv/bin/python benchmarks/bench_scale_compute.py   # full, heavy

Side by side in one run (full sizes in brackets):
1. SpuriosityRanker.fit + score on a memory-mapped float32 .npy (1M x 2048 = 8 GB) in a child
   process: peak RSS (getrusage) and peak anonymous memory (RssAnon sampled every 20 ms,
   i.e. memory that is not the mapped file) vs the size of the features;
2. refit_head vs sklearn LogisticRegression(lbfgs) on the same problem (1M x 512, 200k x 2048),
   both with 2 threads; plus the interactive setting (200k x 2048, max_samples, warm start)
   with its worst-group accuracy vs the full fit;
3. LogitCurve build at N = 1e7: the previous argsort-based build vs today's;
4. LatentScatter payload bytes (coords + codes) and recolour bytes at 5M points.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SPURIOSITY_CHILD = r"""
import resource, sys, threading, time
import numpy as np
sys.path.insert(0, {repo!r})
from spurwidgets import SpuriosityRanker

peak = [0]
def sample():
    while True:
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon:"):
                peak[0] = max(peak[0], int(line.split()[1]) * 1024)
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
features = np.load({path!r}, mmap_mode="r")
n, d = features.shape
labels = (np.arange(n) * 7919) % {k}
weight = np.random.default_rng(0).normal(size=({k}, d))
start = time.perf_counter()
ranker = SpuriosityRanker(n_features=5).fit(features, labels, weight)
fit_s = time.perf_counter() - start
start = time.perf_counter()
scores = ranker.score(features, labels, spurious={{c: ranker.top_features_[c][:3] for c in range({k})}})
score_s = time.perf_counter() - start
time.sleep(0.05)
print({{"fit_s": fit_s, "score_s": score_s, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_anon": peak[0], "score_mean": float(scores.mean())}})
"""


def write_features(path: Path, n: int, d: int, seed: int = 0) -> None:
    """A float32 .npy of ReLU-like features, written in blocks (never whole in memory)."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    rng = np.random.default_rng(seed)
    step = max(1, (1 << 25) // (4 * d))
    for start in range(0, n, step):
        block = rng.standard_normal((min(step, n - start), d), dtype=np.float32)
        np.maximum(block, 0, out=block)
        out[start : start + step] = block
    out.flush()
    del out


def bench_spuriosity(n: int, d: int, k: int = 10, features_path: str | None = None) -> dict:
    """`features_path`: reuse (or create and keep) that .npy instead of a temporary one."""
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(features_path) if features_path else Path(tmp) / "features.npy"
        start = time.perf_counter()
        if not (path.exists() and np.load(path, mmap_mode="r").shape == (n, d)):
            write_features(path, n, d)
        write_s = time.perf_counter() - start
        code = SPURIOSITY_CHILD.format(repo=str(REPO), path=str(path), k=k)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        result = eval(out.strip().splitlines()[-1])  # noqa: S307 - our own child's dict literal
    size = n * d * 4
    print(
        f"SpuriosityRanker {n} x {d} float32 memmap ({size / 2**30:.2f} GiB, written in {write_s:.0f} s): "
        f"fit {result['fit_s']:.1f} s, score {result['score_s']:.1f} s, "
        f"peak RSS {result['peak_rss'] / 2**30:.2f} GiB = {result['peak_rss'] / size:.2f}x features, "
        f"peak anonymous {result['peak_anon'] / 2**20:.0f} MiB = {result['peak_anon'] / size:.3f}x features",
        flush=True,
    )
    return {"n": n, "d": d, "size": size, **result}


def shortcut_features(n: int, d: int, seed: int, majority: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features float32 (n, d), labels, groups = 2 * label + attribute): ReLU mixtures of a
    weak label signal and a strong spurious attribute that agrees with the label `majority` of the time."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    attribute = np.where(rng.random(n) < majority, labels, 1 - labels)
    mixing = (rng.normal(size=(64, d)) / 8).astype(np.float32)
    features = np.empty((n, d), dtype=np.float32)
    step = 50_000
    for start in range(0, n, step):
        stop = min(n, start + step)
        latent = rng.normal(size=(stop - start, 64)).astype(np.float32)
        latent[:, 0] += 1.0 * (2 * labels[start:stop] - 1)
        latent[:, 1] += 2.5 * (2 * attribute[start:stop] - 1)
        np.maximum(latent @ mixing, 0, out=features[start:stop])
    return features, labels, 2 * labels + attribute


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def bench_refit(sizes: list[tuple[int, int]], interactive: tuple[int, int, int], threads: int = 2) -> list[dict]:
    import torch
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from spurwidgets.compute.refit import interactive_refit_options, refit_head
    from spurwidgets.metrics import worst_group_accuracy

    torch.set_num_threads(threads)
    rows = []
    with threadpool_limits(limits=threads):
        for n, d in sizes:
            x, y, _ = shortcut_features(n + 20_000, d, seed=0)
            x_test, y_test, x, y = x[n:], y[n:], x[:n], y[:n]
            refit_head(x[:512], y[:512], device="cpu")  # warm up torch kernels
            head, ours = _timed(refit_head, x, y, C=1.0, device="cpu")
            ref, theirs = _timed(LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit, x, y)
            row = {
                "n": n,
                "d": d,
                "ours_s": ours,
                "sklearn_s": theirs,
                "ratio": theirs / ours,
                "iters": (head.n_iter_, int(np.max(ref.n_iter_))),
                "test_acc": (head.score(x_test, y_test), ref.score(x_test, y_test)),
                "agree": float((head.predict(x_test) == ref.predict(x_test)).mean()),
            }
            print(
                f"refit_head vs sklearn lbfgs, {n} x {d}, {threads} threads: ours {ours:.2f} s ({head.n_iter_} it), "
                f"sklearn {theirs:.2f} s ({row['iters'][1]} it) -> x{row['ratio']:.2f}; test acc "
                f"{row['test_acc'][0]:.4f} / {row['test_acc'][1]:.4f}, agreement {row['agree']:.4f}",
                flush=True,
            )
            rows.append(row)
            del x, y, x_test, y_test
        n, d, cap = interactive
        x, y, g = shortcut_features(n + 40_000, d, seed=1)
        x_test, y_test, g_test, x, y, g = x[n:], y[n:], g[n:], x[:n], y[:n], g[:n]
        erm = refit_head(x, y, C=1.0, device="cpu", max_samples=cap, random_state=0)  # the "original" head
        full, t_full = _timed(refit_head, x, y, groups=g, C=1.0, device="cpu")
        wga_full = worst_group_accuracy(y_test, full.predict(x_test), g_test)
        variants = (
            ("interactive default", interactive_refit_options(n)),
            ("exact subsample", {"max_samples": cap}),
            ("interactive + warm start", {**interactive_refit_options(n), "init": erm}),
            ("2x cap, rank 128", {"max_samples": 2 * cap, "rank": 128}),
        )
        for label, kwargs in variants:
            head, t = _timed(refit_head, x, y, groups=g, C=1.0, device="cpu", **kwargs)
            wga = worst_group_accuracy(y_test, head.predict(x_test), g_test)
            shown = {k: v for k, v in kwargs.items() if k != "init"}
            row = {
                "n": n,
                "d": d,
                "mode": label,
                "options": shown,
                "seconds": t,
                "full_seconds": t_full,
                "wga": wga,
                "wga_full": wga_full,
                "iters": (head.n_iter_, full.n_iter_),
            }
            print(
                f"interactive refit {n} x {d} groups, {threads} threads: full {t_full:.2f} s ({full.n_iter_} it, "
                f"WGA {wga_full:.4f}); {label} {shown}: {t:.2f} s ({head.n_iter_} it, WGA {wga:.4f}, "
                f"{100 * (wga - wga_full):+.2f} points)",
                flush=True,
            )
            rows.append(row)
    return rows


def bench_logit_curve(n: int) -> dict:
    from spurwidgets.compute.sorting import argsort_float32, smallest_abs_quantile
    from spurwidgets.widgets import LogitCurve

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n).astype(np.int8)
    logits = (rng.normal(size=n) * 2 + (labels * 2.0 - 1) * 1.5).astype(np.float32)

    def before() -> None:  # what the build did before: stable argsort, gather, quantile of |v|
        order = np.argsort(logits, kind="stable")
        logits[order]
        np.quantile(np.abs(logits), 0.15)

    def after() -> None:
        _, sorted_values = argsort_float32(logits)
        smallest_abs_quantile(sorted_values, 0.15)

    _, t_before = _timed(before)
    _, t_after = _timed(after)
    curve, t_build = _timed(LogitCurve, logits, labels)
    print(
        f"LogitCurve N={n:.0e}: sort + default window before {t_before:.2f} s, now {t_after:.2f} s "
        f"(x{t_before / t_after:.1f}); whole widget build now {t_build:.2f} s (recorded before: 7.8 s at 1e7)",
        flush=True,
    )
    return {"n": n, "sort_before_s": t_before, "sort_after_s": t_after, "build_s": t_build, "count": curve.count}


def bench_latent_scatter(n: int, max_points: int = 1_000_000) -> dict:
    from spurwidgets.compute.projection import points_in_polygon
    from spurwidgets.widgets.latent_scatter import LatentScatter

    rng = np.random.default_rng(0)
    points = rng.normal(size=(n, 2)).astype(np.float32)
    colours = {"class": rng.integers(0, 3, n), "score": rng.random(n).astype(np.float32)}
    w, t_build = _timed(LatentScatter, points, colours, max_points=max_points)
    initial = w.coords.nbytes + w.codes.nbytes
    w.color_by = "score"
    recolour = w.codes.nbytes
    ring = [[1.5 * np.cos(a), 1.5 * np.sin(a)] for a in np.linspace(0, 2 * np.pi, 64)]
    _, t_lasso = _timed(setattr, w, "lasso", ring)
    _, t_exact = _timed(points_in_polygon, points, ring)
    print(
        f"LatentScatter N={n:,} (max_points {max_points:,}): build {t_build:.2f} s; initial payload "
        f"{initial / 1e6:.1f} MB (all points: {9 * n / 1e6:.1f} MB); recolour {recolour / 1e6:.2f} MB "
        f"(all points: {n / 1e6:.1f} MB); lasso in Python {t_lasso:.2f} s incl. highlight bits "
        f"{len(w.selected_bits) / 1e3:.0f} KB, {w.n_selected:,} selected (exact test alone {t_exact:.2f} s)",
        flush=True,
    )
    return {
        "n": n,
        "initial_bytes": initial,
        "recolour_bytes": recolour,
        "lasso_s": t_lasso,
        "build_s": t_build,
        "bits_bytes": len(w.selected_bits),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI sizes (about a minute)")
    parser.add_argument(
        "--only",
        default="spuriosity,refit,logit_curve,latent_scatter",
        help="comma-separated parts (also: interactive)",
    )
    parser.add_argument("--features", default=None, help="keep/reuse the SpuriosityRanker features .npy here")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    results = {}
    if "spuriosity" in parts:
        size = (20_000, 256) if args.quick else (1_000_000, 2048)
        results["spuriosity"] = bench_spuriosity(*size, features_path=args.features)
    if "interactive" in parts:  # only the interactive refit (no 1M x 512 / 200k x 2048 sklearn comparison)
        results["interactive"] = bench_refit([], (20_000, 256, 5_000) if args.quick else (200_000, 2048, 20_000))
    if "refit" in parts:
        if args.quick:
            results["refit"] = bench_refit([(20_000, 256)], (20_000, 256, 5_000))
        else:
            results["refit"] = bench_refit([(1_000_000, 512), (200_000, 2048)], (200_000, 2048, 20_000))
    if "logit_curve" in parts:
        results["logit_curve"] = bench_logit_curve(10**5 if args.quick else 10**7)
    if "latent_scatter" in parts:
        results["latent_scatter"] = (
            bench_latent_scatter(50_000, max_points=10_000) if args.quick else bench_latent_scatter(5_000_000)
        )
    print(json.dumps({k: v for k, v in results.items()}, default=float))


if __name__ == "__main__":
    main()
