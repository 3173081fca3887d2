"""MIDExplorer drag: time and bytes per committed window, old path (full MID.fit) vs new.

    flock /tmp/spur-heavy.lock python benchmarks/bench_mid_explorer.py          # N=200k, D=256
    python benchmarks/bench_mid_explorer.py --quick                             # N=20k

A drag used to re-run the whole `MID.fit`, including the propagation of cluster membership
to all N samples; now the explorer re-clusters the window only (`fit(propagate=False)`) and
the propagation runs once, at Refit. Bytes: every message the explorer's widgets send to
the browser for one committed window (the curve's window and counts, the gallery's new
clusters, the panel's status), counted at their comms.
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
    x = rng.normal(size=(n, d)).astype(np.float32)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("-n", type=int, default=200_000)
    parser.add_argument("-d", type=int, default=256)
    args = parser.parse_args()
    n, d = (20_000, 64) if args.quick else (args.n, args.d)
    x, logits, y, images = data(n, d)
    explorer = MIDExplorer(x, images, y, logits=logits, device="cpu")
    lo, hi = explorer.window
    windows = [(lo - 0.1 * k, hi + 0.05 * k) for k in range(1, 4)]

    old = []
    for window in windows:  # the previous drag path: the whole pipeline, propagation included
        start = time.perf_counter()
        MID(window=window, device="cpu").fit(x, logits, y)
        old.append(time.perf_counter() - start)

    sent = count_bytes({"curve": explorer.curve, "gallery": explorer.gallery, "panel": explorer.panel})
    new, sizes = [], []
    for window in windows:  # what a committed drag does now, end to end in the kernel
        sent[0] = 0
        start = time.perf_counter()
        explorer.curve.set_state({"window": list(window)})
        new.append(time.perf_counter() - start)
        sizes.append(sent[0])
    start = time.perf_counter()
    explorer.refit()
    refit = time.perf_counter() - start
    assert not explorer.error, explorer.error
    print(f"N={n} D={d}: window of {len(explorer.mid.window_)} samples")
    print(f"drag, old path (MID.fit with propagation): {np.median(old):.3f} s")
    print(f"drag, explorer now (window clusters only, gallery + status included): {np.median(new):.3f} s")
    print(f"ratio old/new: {np.median(old) / np.median(new):.1f}x")
    print(f"bytes sent per committed drag (curve + gallery thumbnails + panel): {int(np.median(sizes))}")
    print(f"refit (propagation over all N + head): {refit:.2f} s")


if __name__ == "__main__":
    main()
