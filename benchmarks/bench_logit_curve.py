"""LogitCurve: wire size vs plotly, window -> selection time, browser redraw per drag event.

    .venv/bin/python benchmarks/bench_logit_curve.py           # N = 1e4, 1e6, 1e7; browser at 1e6
    .venv/bin/python benchmarks/bench_logit_curve.py --quick   # N = 1e4, 1e5; browser at 1e5

Measured side by side in one run:
1. bytes of the full widget state (JSON incl. ESM/CSS + binary buffers) of LogitCurve vs a
   plotly `go.FigureWidget` with one Scattergl trace of the same sorted curve;
2. time of `curve.window = (lo, hi)` (searchsorted + exact int64 selection + class counts);
3. in Chromium: time per pointermove while dragging the band (handler + canvas draw + a pixel
   readback to force rasterisation) vs a naive redraw of the full N-point polyline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from ipywidgets.widgets.widget import _remove_buffers

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from spurwidgets.testing import chromium_launch_options  # noqa: E402
from spurwidgets.widgets import LogitCurve  # noqa: E402


def wire_bytes(widget, code: bool = True) -> int:
    """State bytes on the wire; `code=False` leaves out the widget's JS/CSS (`_esm`, `_css`)."""
    state, _, buffers = _remove_buffers(widget.get_state())
    if not code:
        state = {k: v for k, v in state.items() if k not in ("_esm", "_css")}
    return len(json.dumps(state)) + sum(len(bytes(b)) for b in buffers)


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n).astype(np.int8)
    logits = (rng.normal(size=n) * 2 + (labels * 2.0 - 1) * 1.5).astype(np.float32)
    return logits, labels


def plotly_bytes(sorted_values: np.ndarray) -> tuple[int, int, float]:
    """(total bytes, bytes without plotly.js, build seconds) of a FigureWidget Scattergl."""
    import plotly.graph_objects as go

    start = time.perf_counter()
    fig = go.FigureWidget(go.Scattergl(x=np.arange(len(sorted_values)), y=sorted_values, mode="lines"))
    build = time.perf_counter() - start
    return wire_bytes(fig), wire_bytes(fig, code=False), build


def window_update_ms(curve: LogitCurve, repeats: int = 7) -> float:
    rng = np.random.default_rng(1)
    times = []
    for _ in range(repeats):
        centre = float(rng.uniform(-1, 1))
        start = time.perf_counter()
        curve.window = (centre - 0.5, centre + 0.5)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


MEASURE_JS = """
async (steps) => {
  const canvas = document.querySelector('canvas.sw-lc-canvas');
  const ctx = canvas.getContext('2d');
  const d = Object.fromEntries(Object.entries(canvas.dataset).map(([k, v]) => [k, +v]));
  const box = canvas.getBoundingClientRect();
  const yOf = (v) => box.top + d.plotY + (d.ymax - v) / (d.ymax - d.ymin) * d.plotH;
  const x = box.left + d.plotX + d.plotW / 2;
  let t0 = 0; const times = [];
  canvas.addEventListener('pointermove', () => { t0 = performance.now(); }, { capture: true });
  canvas.addEventListener('pointermove', () => { ctx.getImageData(0, 0, 1, 1); times.push(performance.now() - t0); });
  const fire = (type, v) => canvas.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: yOf(v), bubbles: true, pointerId: 1 }));
  const mid = (+d.lo + +d.hi) / 2;
  fire('pointerdown', mid);
  for (let i = 1; i <= steps; i++) { fire('pointermove', mid + (i / steps) * 3); await new Promise(requestAnimationFrame); }
  fire('pointerup', mid + 3);
  // naive: the whole sorted curve as one polyline, same canvas size
  const n = window.__model.get('n_samples');
  const ys = new Float32Array(n); for (let i = 0; i < n; i++) ys[i] = Math.tan((i / n - 0.5) * 3);
  const naive = document.createElement('canvas'); naive.width = canvas.width; naive.height = canvas.height;
  const c2 = naive.getContext('2d'); const naiveTimes = [];
  for (let r = 0; r < 5; r++) {
    const s = performance.now();
    c2.clearRect(0, 0, naive.width, naive.height); c2.beginPath();
    for (let i = 0; i < n; i++) { const px = d.plotX + i / n * d.plotW, py = d.plotY + (1 - (ys[i] + 15) / 30) * d.plotH; i ? c2.lineTo(px, py) : c2.moveTo(px, py); }
    c2.stroke(); c2.getImageData(0, 0, 1, 1); naiveTimes.push(performance.now() - s);
  }
  const med = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const p95 = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length * 0.95)];
  return { median: med(times), p95: p95(times), count: times.length, naive: med(naiveTimes), all: times.map((t) => +t.toFixed(2)) };
}
"""


def browser_redraw(n: int) -> dict:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO / "tests" / "browser"))
    from conftest import _Server, encode_state  # the fast-tier harness server

    logits, labels = make_data(n)
    curve = LogitCurve(logits, labels=labels, window=(-0.5, 0.5))
    server = _Server()
    state = curve.get_state()
    server.files["/w/bench/widget.js"] = ("text/javascript", state["_esm"].encode())
    server.files["/w/bench/state.json"] = ("application/json", json.dumps(encode_state(state)).encode())
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(**chromium_launch_options())
            page = browser.new_page(viewport={"width": 900, "height": 600})
            page.goto(f"{server.url}/index.html?id=bench&width=800")
            page.wait_for_function("window.__ready === true")
            result = page.evaluate(MEASURE_JS, 60)
            browser.close()
    finally:
        server.close()
    return result


def _previous_sort(values, codes=None):
    """The build's sort before `sort_float32`: argsort_float32 (int64 order, uint64 shifts and
    an int64 arange), then the label codes gathered by rank."""
    from spurwidgets.compute.sorting import argsort_float32

    order, sorted_values = argsort_float32(values)
    return order, sorted_values, None if codes is None else codes[order]


def build_side_by_side(n: int, repeats: int = 3) -> None:
    """Whole LogitCurve build, previous sort vs now, alternating in one process."""
    import spurwidgets.widgets.logit_curve as module

    logits, labels = make_data(n)
    times: dict[str, list[float]] = {"previous": [], "now": []}
    current = module.sort_float32
    for _ in range(repeats):
        for name, sort in (("previous", _previous_sort), ("now", current)):
            module.sort_float32 = sort
            start = time.perf_counter()
            curve = LogitCurve(logits, labels=labels)
            times[name].append(time.perf_counter() - start)
            del curve
    module.sort_float32 = current
    old, new = np.median(times["previous"]), np.median(times["now"])
    print(f"LogitCurve build at N={n:,} with labels, median of {repeats} alternating runs: "
          f"previous {old:.2f} s, now {new:.2f} s ({old / new:.2f}x); all runs {times}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N, seconds")
    parser.add_argument("--build-only", action="store_true", help="only the 1e7 build, previous vs now")
    args = parser.parse_args()
    if args.build_only:
        build_side_by_side(10_000_000)
        return
    sizes = [10_000, 100_000] if args.quick else [10_000, 1_000_000, 10_000_000]
    print("state bytes: total (incl. JS) | data only (no _esm/_css); build s: ours | plotly")
    head = [
        "N",
        "ours total",
        "plotly total",
        "ratio",
        "ours data",
        "plotly data",
        "ratio",
        "build s",
        "window->sel ms",
    ]
    print("".join(f"{h:>15}" for h in head))
    for n in sizes:
        logits, labels = make_data(n)
        start = time.perf_counter()
        curve = LogitCurve(logits, labels=labels, window=(-0.5, 0.5))
        build = time.perf_counter() - start
        ours, ours_data = wire_bytes(curve), wire_bytes(curve, code=False)
        update_ms = window_update_ms(curve)
        theirs, theirs_data, plotly_build = plotly_bytes(curve.sorted_values)
        row = [f"{n:,}", f"{ours:,}", f"{theirs:,}", f"{theirs / ours:.0f}x", f"{ours_data:,}", f"{theirs_data:,}",
               f"{theirs_data / ours_data:.0f}x", f"{build:.2f}|{plotly_build:.2f}", f"{update_ms:.2f}"]  # fmt: skip
        print("".join(f"{c:>15}" for c in row), flush=True)
        del curve
    n_browser = 100_000 if args.quick else 1_000_000
    r = browser_redraw(n_browser)
    print(f"\nChromium, N={n_browser:,}: per drag event {r['median']:.2f} ms median, {r['p95']:.2f} ms p95 "
          f"({r['count']} events); naive full polyline redraw {r['naive']:.1f} ms -> {r['naive'] / r['median']:.0f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
