"""Scale: extraction on Ray (2 CPU actors) vs the local path, resume cost, and extract's RSS vs N.

    flock /tmp/spur-heavy.lock python benchmarks/bench_scale.py [--quick] [--n 50000]

1. Same model (SmallCNN width 64, 32x32 images), same uint8 images, same batch size: the local
   path (one process, 2 torch threads) vs `backend="ray"` with 2 CPU actors (1 thread each) on a
   2-CPU Ray (`RAY_ADDRESS` is honoured). Ray's startup is timed apart. Results must be equal.
2. Resume: one shard deleted, the rerun's time vs the full run's.
3. Peak anonymous RSS (RssAnon, sampled) of extract(out=.npy) at N and 2N beyond the images:
   flat in N means labels/features do not pile up in memory.
4. `--pipeline N`: peak RSS of MID().fit + refit on a memory-mapped N x 512 float32 result
   folder (`FeatureSet.open`), each stage in a fresh process, vs the features file's size.
   The features are synthetic (written straight to the folder's features.npy): the extract
   stage's RSS is item 3, flat in N, so no CNN needs to run over 1M images here.
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


PIPELINE_CHILD = r"""
import json, resource, sys, threading, time
import numpy as np
import spurwidgets
from spurwidgets.compute.mid import MID
folder, stage, max_samples = sys.argv[1], sys.argv[2], sys.argv[3]
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
base = {"rss": status("VmRSS"), "anon": status("RssAnon")}
peak, stop = {"anon": 0}, [False]
def sample():
    while not stop[0]:
        peak["anon"] = max(peak["anon"], status("RssAnon")); time.sleep(0.01)
thread = threading.Thread(target=sample); thread.start()
start = time.perf_counter()
fs = spurwidgets.FeatureSet.open(folder)
mid = MID(device="cpu").fit(fs.features, fs.logits, fs.labels, propagate=stage != "fit")
if stage == "fit+refit":
    mid.refit(max_samples=None if max_samples == "none" else int(max_samples))
seconds = time.perf_counter() - start
stop[0] = True; thread.join()
print(json.dumps({"stage": stage, "seconds": seconds, "base_rss": base["rss"], "base_anon": base["anon"],
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "peak_anon": peak["anon"]}))
"""


def write_synthetic_feature_set(folder: Path, n: int, d: int, chunk: int = 65536) -> int:
    """A finished result folder (features/logits/labels .npy + manifest) of a two-class shortcut
    problem, written in row chunks; returns the features file's size in bytes."""
    from spurwidgets.compute.feature_store import FORMAT, MANIFEST, VERSION

    folder.mkdir(parents=True, exist_ok=True)
    features = np.lib.format.open_memmap(folder / "features.npy", mode="w+", dtype=np.float32, shape=(n, d))
    logits = np.lib.format.open_memmap(folder / "logits.npy", mode="w+", dtype=np.float32, shape=(n, 1))
    labels = np.lib.format.open_memmap(folder / "labels.npy", mode="w+", dtype=np.int64, shape=(n,))
    rng = np.random.default_rng(0)
    for start in range(0, n, chunk):
        rows = min(chunk, n - start)
        y = rng.integers(0, 2, rows)
        spur = np.where(rng.random(rows) < 0.1, 1 - y, y)
        x = rng.standard_normal((rows, d), dtype=np.float32)
        x[:, 0] += 2 * y - 1
        x[:, 1] += 3 * (2 * spur - 1)
        features[start : start + rows], labels[start : start + rows] = x, y
        logits[start : start + rows, 0] = 0.5 * x[:, 0] + 1.5 * x[:, 1]
    for array in (features, logits, labels):
        array.flush()
    del features, logits, labels
    manifest = {"format": FORMAT, "version": VERSION, "n": n, "d": d, "c": 1, "labels": True, "complete": True,
                "shards": [], "model": "synthetic", "inputs": "synthetic"}  # fmt: skip
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return (folder / "features.npy").stat().st_size


def pipeline_rss(n: int, d: int = 512, max_samples: str = "none") -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        size, t_write = timed(lambda: write_synthetic_feature_set(Path(tmp) / "result", n, d))
        print(f"pipeline on a memory-mapped {n} x {d} float32 result: features.npy {size / 2**30:.2f} GiB "
              f"(written in {t_write:.0f} s, synthetic)")  # fmt: skip
        for stage in ("fit", "fit+propagate", "fit+refit"):
            res = subprocess.run(
                [sys.executable, "-c", PIPELINE_CHILD, str(Path(tmp) / "result"), stage, max_samples],
                capture_output=True,
                text=True,
                env={**os.environ, "OMP_NUM_THREADS": "2"},
            )
            if res.returncode:
                print(f"  {stage}: failed: {res.stderr.strip().splitlines()[-1:]}")
                continue
            row = json.loads(res.stdout.strip().splitlines()[-1])
            print(f"  MID {stage:14s} (max_samples={max_samples}) {row['seconds']:6.1f} s  peak RSS "
                  f"{row['peak_rss'] / 2**30:.2f} GiB = {row['peak_rss'] / size:.2f}x the features file "
                  f"(after imports {row['base_rss'] / 2**30:.2f} GiB); peak anonymous {row['peak_anon'] / 2**30:.2f} GiB "
                  f"= {row['peak_anon'] / size:.2f}x")  # fmt: skip


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
    parser.add_argument("--skip-rss", action="store_true", help="skip extract's RSS vs N")
    parser.add_argument("--pipeline", type=int, default=0, help="N for the MID + refit RSS run (e.g. 1000000)")
    parser.add_argument("--max-samples", default="none", help="MID.refit(max_samples=...) in the pipeline run")
    args = parser.parse_args()
    n = args.n or (4000 if args.quick else 50000)
    if not args.skip_ray:
        ray_vs_local(n, batch_size=256)
    if not args.skip_rss:
        print("extract RSS vs N (flat = no per-image growth):")
        rss_vs_n(20000 if args.quick else 100000)
    if args.pipeline:
        pipeline_rss(args.pipeline, max_samples=args.max_samples)


if __name__ == "__main__":
    main()
