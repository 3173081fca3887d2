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


def bench_spuriosity(n: int, d: int, k: int = 10) -> dict:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "features.npy"
        start = time.perf_counter()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI sizes (about a minute)")
    parser.add_argument("--only", default="spuriosity,refit,logit_curve,latent_scatter", help="comma-separated parts")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    results = {}
    if "spuriosity" in parts:
        results["spuriosity"] = bench_spuriosity(*((20_000, 256) if args.quick else (1_000_000, 2048)))
    print(json.dumps({k: v for k, v in results.items()}, default=float))


if __name__ == "__main__":
    main()
