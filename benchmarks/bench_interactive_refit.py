"""Interactive refit (MIDExplorer's Refit click) vs the full fit, on several data sets.

For each data set (N training rows x D, groups = 2 * label + a spurious attribute that agrees
with the label 90 % of the time): the full group-balanced fit on all N rows, then capped
variants (`max_samples`, `rank`, warm start from an ERM head); per variant the median wall time
over `--repeats` runs and the worst-group accuracy (WGA) on held-out rows, and its difference
to the full fit's WGA in points. Capped fits are repeated over `--draws` subsample seeds
(random_state) to show how much the draw alone moves the WGA.

    flock /tmp/spur-heavy.lock .venv/bin/python benchmarks/bench_interactive_refit.py      # 200k x 2048
    .venv/bin/python benchmarks/bench_interactive_refit.py --quick                        # 20k x 256

Data sets: ReLU mixtures of a latent with a label shift (dim 0) and a stronger attribute shift
(dim 1): "latent64" (64 latent dims, the one RESULTS.md measured first), its second seed, and
two less favourable ones for a rank-128 projection: 512 equally strong latent dims, and 1024
dims with a power-law spectrum (scales (1 + i / 16) ** -0.5, like real backbone features).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spurwidgets.compute.refit import interactive_refit_options, refit_head  # noqa: E402
from spurwidgets.metrics import worst_group_accuracy  # noqa: E402


def shortcut_data(n: int, d: int, seed: int, latent: int, decay: bool, majority: float = 0.9):
    """(features float32 (n, d), labels, groups): written in blocks (no second full copy)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    attribute = np.where(rng.random(n) < majority, labels, 1 - labels)
    scales = (1 + np.arange(latent) / 16) ** -0.5 if decay else np.ones(latent)
    scales[:2] = 1.0  # the label and attribute dimensions keep unit noise
    # latent=64: the same mixing as bench_scale_compute's shortcut_features
    mixing = (rng.normal(size=(latent, d)) / 8 * np.sqrt(64 / latent)).astype(np.float32)
    mixing *= scales[:, None].astype(np.float32)
    features = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 50_000):
        stop = min(n, start + 50_000)
        z = rng.normal(size=(stop - start, latent)).astype(np.float32)
        z[:, 0] += 1.0 * (2 * labels[start:stop] - 1)
        z[:, 1] += 2.5 * (2 * attribute[start:stop] - 1)
        np.maximum(z @ mixing, 0, out=features[start:stop])
    return features, labels, 2 * labels + attribute


DATA_SETS = {
    "latent64 seed1": dict(seed=1, latent=64, decay=False),
    "latent64 seed2": dict(seed=2, latent=64, decay=False),
    "latent512 flat": dict(seed=3, latent=512, decay=False),
    "latent1024 power-law": dict(seed=4, latent=1024, decay=True),
}


def timed(fn, **kwargs):
    start = time.perf_counter()
    out = fn(**kwargs)
    return out, time.perf_counter() - start


def run(name: str, n: int, d: int, n_test: int, cap: int, repeats: int, draws: int, spec: dict) -> None:
    x, y, g = shortcut_data(n + n_test, d, **spec)
    x_test, y_test, g_test, x, y, g = x[n:], y[n:], g[n:], x[:n], y[:n], g[:n]
    erm = refit_head(x, y, C=1.0, device="cpu", max_samples=cap, random_state=0)  # the model's "original" head
    full, t_full = timed(refit_head, features=x, labels=y, groups=g, C=1.0, device="cpu")
    wga_full = worst_group_accuracy(y_test, full.predict(x_test), g_test)
    minority = int(np.bincount(g_test).min())
    print(
        f"[{name}] {n} x {d}: full fit {t_full:.2f} s ({full.n_iter_} it), WGA {wga_full:.4f} "
        f"(smallest test group {minority} rows: one standard error ~{100 * np.sqrt(0.2 * 0.8 / minority):.2f} points); "
        f"ERM head WGA {worst_group_accuracy(y_test, erm.predict(x_test), g_test):.4f}",
        flush=True,
    )
    default = interactive_refit_options(n)
    variants = {
        f"default {default}": default,
        "default + warm start (ERM head)": {**default, "init": erm},
        f"max_samples={cap} rank=256": {"max_samples": cap, "rank": 256},
        f"max_samples={2 * cap} rank=128": {"max_samples": 2 * cap, "rank": 128},
        f"max_samples={cap} exact": {"max_samples": cap},
    }
    for label, kwargs in variants.items():
        times, wgas = [], []
        for draw in range(draws):
            for _ in range(repeats if draw == 0 else 1):
                head, t = timed(
                    refit_head, features=x, labels=y, groups=g, C=1.0, device="cpu", random_state=draw, **kwargs
                )
                if draw == 0:
                    times.append(t)
            wgas.append(worst_group_accuracy(y_test, head.predict(x_test), g_test))
        diffs = 100 * (np.array(wgas) - wga_full)
        print(
            f"[{name}]   {label:38s} {statistics.median(times):5.2f} s (runs {', '.join(f'{t:.2f}' for t in times)}); "
            f"WGA - full (points) per draw: {', '.join(f'{v:+.2f}' for v in diffs)}; max |diff| {np.abs(diffs).max():.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k x 256, cap 5k")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of the first draw")
    parser.add_argument("--draws", type=int, default=3, help="subsample seeds per capped variant")
    parser.add_argument("--only", default=None, help="comma-separated data set names (prefix match)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    n, d, n_test, cap = (20_000, 256, 10_000, 5_000) if args.quick else (200_000, 2048, 100_000, 20_000)
    torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        for name, spec in DATA_SETS.items():
            if args.only and not any(name.startswith(p) for p in args.only.split(",")):
                continue
            run(name, n, d, n_test, cap, args.repeats, args.draws, spec)


if __name__ == "__main__":
    main()
