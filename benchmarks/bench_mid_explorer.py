"""MIDExplorer drag: time and bytes per committed window, old path (full MID.fit) vs new.

    flock /tmp/spur-heavy.lock python benchmarks/bench_mid_explorer.py          # N=200k, D=512
    flock /tmp/spur-heavy.lock python benchmarks/bench_mid_explorer.py -d 2048  # N=200k, D=2048
    python benchmarks/bench_mid_explorer.py --quick                             # N=20k, D=64

Old path: a drag re-ran the whole `MID.fit` (scikit-learn k-means on every window sample,
then the propagation to all N): `MID(max_cluster_samples=None).fit(...)`. Now: the explorer
calls `MID.fit_window` (no re-validation, no pass over all N features; per class k-means on
at most `max_cluster_samples` window samples, the others join the nearest centre), the
gallery re-sends nothing the browser already has. Time: Python, from the curve's comm
delivering the new window to the gallery, counts and status being updated (what the browser
waits for). Bytes: every message the explorer's widgets send to the browser for one committed
window, counted at their comms, with a view that caches thumbnails (as the real one does)
and, for comparison, without one (nbclient, marimo without custom messages).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from spurwidgets.compute.mid import MID
from spurwidgets.widgets.mid_explorer import MIDExplorer


def data(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    spur = np.where(rng.random(n) < 0.1, 1 - y, y)
    x = rng.normal(size=(n, d)).astype(np.float32) if d <= 512 else rng.standard_normal((n, d), dtype=np.float32)
    x[:, 0] += 2 * y - 1
    x[:, 1] += 3 * (2 * spur - 1)
    logits = (0.5 * x[:, 0] + 1.5 * x[:, 1]).astype(np.float32)
    images = rng.integers(0, 120, (n, 8, 8, 3), dtype=np.uint8)  # every thumbnail different
    images[..., 0] += (120 * spur).astype(np.uint8)[:, None, None]
    return x, logits, y, images


def count_bytes(widgets: dict) -> list[int]:
    total = [0]
    for widget in widgets.values():
        send = widget.comm.send

        def counting(data=None, metadata=None, buffers=None, _send=send):
            total[0] += len(json.dumps(data or {}, default=str)) + sum(memoryview(b).nbytes for b in buffers or [])
            return _send(data=data, metadata=metadata, buffers=buffers)

        widget.comm.send = counting
    return total


def drag(explorer, windows, sent) -> tuple[list[float], list[int]]:
    times, sizes = [], []
    for window in windows:  # what a committed drag does now, end to end in the kernel
        sent[0] = 0
        start = time.perf_counter()
        explorer.curve.set_state({"window": list(window)})
        times.append(time.perf_counter() - start)
        sizes.append(sent[0])
        assert not explorer.error, explorer.error
    return times, sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("-n", type=int, default=200_000)
    parser.add_argument("-d", type=int, default=512)
    parser.add_argument("--old-windows", type=int, default=1, help="windows timed on the old path (slow; 0: skip)")
    parser.add_argument("--no-refit", action="store_true", help="skip the final refit (minutes at D=2048)")
    args = parser.parse_args()
    n, d = (20_000, 64) if args.quick else (args.n, args.d)
    x, logits, y, images = data(n, d)
    start = time.perf_counter()
    explorer = MIDExplorer(x, images, y, logits=logits, device="cpu")
    build = time.perf_counter() - start
    lo, hi = explorer.window
    # A user dragging one edge, then the other, in small committed steps, then back.
    windows = [(lo, hi + 0.05), (lo, hi + 0.1), (lo - 0.05, hi + 0.1), (lo - 0.1, hi + 0.1), (lo - 0.1, hi + 0.05),
               (lo - 0.05, hi), (lo, hi), (lo - 0.3, hi + 0.15)]  # fmt: skip

    old = []
    for window in windows[: args.old_windows]:  # the previous drag path: the whole pipeline
        start = time.perf_counter()
        MID(window=window, device="cpu", max_cluster_samples=None).fit(x, logits, y)
        old.append(time.perf_counter() - start)

    sent = count_bytes({"curve": explorer.curve, "gallery": explorer.gallery, "panel": explorer.panel})
    plain_times, plain_sizes = drag(explorer, windows, sent)  # no view has said it caches thumbnails
    explorer.curve.set_state({"window": [lo, hi]})
    view_says = {"content": {"data": {"method": "custom", "content": {"kind": "cache"}}}, "buffers": []}
    explorer.gallery.comm.handle_msg(view_says)  # what the gallery's view sends when it renders
    times, sizes = drag(explorer, windows, sent)
    start = time.perf_counter()
    if not args.no_refit:
        explorer.refit()
    refit = time.perf_counter() - start
    assert not explorer.error, explorer.error
    print(f"N={n} D={d}: windows of {len(explorer.mid.window_)} samples (+ misclassified), "
          f"{len(explorer.mid.candidates_)} clustered; explorer built in {build:.2f} s")  # fmt: skip
    if old:
        print(f"drag, old path (MID.fit, k-means on the whole window, propagation): {np.median(old):.3f} s")
    print(f"drag now, Python (window -> clusters + gallery + status): median {np.median(times):.3f} s, "
          f"max {np.max(times):.3f} s over {len(times)} drags; without a caching view median {np.median(plain_times):.3f} s")  # fmt: skip
    if old:
        print(f"ratio old/new: {np.median(old) / np.median(times):.1f}x")
    print(f"bytes per committed drag, caching view: median {int(np.median(sizes))}, max {max(sizes)} ({sizes})")
    print(f"bytes per committed drag, no caching view: median {int(np.median(plain_sizes))}, max {max(plain_sizes)}")
    if not args.no_refit:
        print(f"refit (propagation over all N + head): {refit:.2f} s")


if __name__ == "__main__":
    main()
