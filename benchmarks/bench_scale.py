"""Scale: extraction on Ray (2 CPU actors) vs the local path, resume cost, and extract's RSS vs N.

    flock /tmp/spur-heavy.lock python benchmarks/bench_scale.py [--quick] [--n 50000]

1. Same model (SmallCNN width 64, 32x32 images), same uint8 images, same batch size: the local
   path (one process, 2 torch threads) vs `backend="ray"` with 2 CPU actors (1 thread each) on a
   2-CPU Ray (`RAY_ADDRESS` is honoured). Ray's startup is timed apart. Results must be equal.
2. Resume: one shard deleted, the rerun's time vs the full run's.
3. Peak anonymous RSS (RssAnon, sampled) of extract(out=.npy) at N and 2N beyond the images:
   flat in N means labels/features do not pile up in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import spurwidgets
from spurwidgets.models import SmallCNN

RSS_CHILD = r"""
import sys, threading, time, json, numpy as np, torch
from torch.utils.data import TensorDataset
import spurwidgets
from spurwidgets.models import SmallCNN
n, out = int(sys.argv[1]), sys.argv[2]
def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
images = torch.from_numpy(np.random.default_rng(0).integers(0, 256, size=(n, 3, 8, 8), dtype=np.uint8))
dataset = TensorDataset(images.float().div_(255), torch.arange(n) % 2)
model = SmallCNN(width=16)
spurwidgets.extract(model, images[:64].float().div(255), batch_size=64)
base, peak, stop = anon(), [0], [False]
def sample():
    while not stop[0]:
        peak[0] = max(peak[0], anon()); time.sleep(0.005)
t = threading.Thread(target=sample); t.start()
fs = spurwidgets.extract(model, dataset, batch_size=512, out=out)
stop[0] = True; t.join()
print(json.dumps({"n": n, "extra_mb": (peak[0] - base) / 2**20}))
"""


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t


def ray_vs_local(n: int, batch_size: int) -> None:
    import ray

    torch.set_num_threads(2)
    images = np.random.default_rng(0).integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    model = SmallCNN(width=64)
    spurwidgets.extract(model, images[:batch_size], batch_size=batch_size, device="cpu")  # warm-up
    local, t_local = timed(lambda: spurwidgets.extract(model, images, batch_size=batch_size, device="cpu"))
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    _, t_init = timed(
        lambda: ray.init(num_cpus=2, include_dashboard=False) if not os.environ.get("RAY_ADDRESS") else ray.init()
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ray"

        def run(**kw):
            return spurwidgets.extract(
                model, images, backend="ray", out=out, batch_size=batch_size, concurrency=2, device="cpu", **kw
            )

        fs, t_ray = timed(lambda: run(overwrite=True))  # includes actor start-up and model shipping
        equal = np.array_equal(fs.features, local.features) and np.array_equal(fs.logits, local.logits)
        diff = float(np.abs(np.asarray(fs.features) - local.features).max())
        shards = sorted((out / "shards").iterdir())
        shards[len(shards) // 2].unlink()
        _, t_resume = timed(run)
        manifest = json.loads((out / "manifest.json").read_text())
    ray.shutdown()
    print(f"N={n} images 32x32, SmallCNN(width=64), batch {batch_size}, shards of {manifest['shard_size']} rows")
    print(f"  local (1 process, 2 threads)   {n / t_local:8.0f} img/s  ({t_local:.1f} s)")
    print(f"  ray   (2 CPU actors, 1 thread) {n / t_ray:8.0f} img/s  ({t_ray:.1f} s, actor start-up included)")
    print(f"  throughput ratio ray/local     {t_local / t_ray:.2f}x   ray.init {t_init:.1f} s")
    print(f"  identical results: {equal} (max |diff| {diff:.2g})")
    print(f"  resume after 1 of {len(shards)} shards deleted: {t_resume:.1f} s vs full run {t_ray:.1f} s")


def rss_vs_n(n: int) -> None:
    rows = []
    for size in (n, 2 * n):
        with tempfile.TemporaryDirectory() as tmp:
            res = subprocess.run(
                [sys.executable, "-c", RSS_CHILD, str(size), str(Path(tmp) / "f.npy")],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "OMP_NUM_THREADS": "2"},
            )
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    for row in rows:
        print(f"  extract(out=.npy) on a labelled Dataset, N={row['n']:>7}: peak RssAnon +{row['extra_mb']:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--quick", action="store_true", help="CI size: 4k images, RSS at 20k/40k (full: 50k, RSS at 100k/200k)"
    )
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    n = args.n or (4000 if args.quick else 50000)
    if not args.skip_ray:
        ray_vs_local(n, batch_size=256)
    print("extract RSS vs N (flat = no per-image growth):")
    rss_vs_n(20000 if args.quick else 100000)


if __name__ == "__main__":
    main()
