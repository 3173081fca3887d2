"""LatentScatter at scale: wire size, redraw time in Chromium, lasso selection in Python.

    .venv/bin/python benchmarks/bench_latent_scatter.py            # N = 1,000,000
    .venv/bin/python benchmarks/bench_latent_scatter.py --quick    # N = 100,000

Side by side in one run:
1. bytes on the wire per point: LatentScatter state (float32 coords + uint8 codes) vs a
   plotly Scattergl figure of the same points (its JSON);
2. full redraw of all N points in headless Chromium (SwiftShader, no GPU): the widget's
   ImageData pixel plotting (lsPlot) vs the naive canvas loop (one fillRect per point);
3. a zoom (wheel) in the real widget page: time of the synchronous redraw;
4. exact lasso membership in Python (points_in_polygon, 64-vertex polygon): time only.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from spurwidgets.compute.projection import points_in_polygon
from spurwidgets.testing import chromium_launch_options
from spurwidgets.widgets.latent_scatter import LatentScatter

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "browser" / "harness"


# Runs in the harness page: the widget's drawing helpers are injected as a classic script.
BENCH_JS = """(repeats) => {
  const m = window.__model;
  const dv = m.get('coords').buffer, cv = m.get('codes').buffer;
  const xy = new Float32Array(dv.buffer.slice(dv.byteOffset, dv.byteOffset + dv.byteLength));
  const codes = new Uint8Array(cv.buffer, cv.byteOffset, cv.byteLength);
  const n = codes.length, xs = new Float32Array(n), ys = new Float32Array(n);
  for (let i = 0; i < n; i++) { xs[i] = xy[2 * i]; ys[i] = xy[2 * i + 1]; }
  const w = 700, h = 400, view = { x0: -4, x1: 4, y0: -4, y1: 4 };
  const colors = new Uint32Array(256).fill(0xffa7794e), stamp = lsStamp(1);
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  const ours = [], naive = [], zoom = [];
  const canvas = document.createElement('canvas'); canvas.width = w; canvas.height = h;
  const g = canvas.getContext('2d');
  const o = document.querySelector('.sw-ls-overlay'), rect = o.getBoundingClientRect();
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    const img = g.createImageData(w, h), px = new Uint32Array(img.data.buffer);
    lsPlot(px, w, h, xs, ys, codes, null, -1, colors, stamp, view, new Int32Array(w * h));
    g.putImageData(img, 0, 0); g.getImageData(0, 0, 1, 1); ours.push(performance.now() - t);
    t = performance.now();
    g.clearRect(0, 0, w, h); const sx = w / 8, sy = h / 8;
    for (let i = 0; i < n; i++) { g.fillStyle = codes[i] ? '#4e79a7' : '#f28e2b'; g.fillRect((xs[i] + 4) * sx, (4 - ys[i]) * sy, 1, 1); }
    g.getImageData(0, 0, 1, 1); naive.push(performance.now() - t);
    t = performance.now();
    o.dispatchEvent(new WheelEvent('wheel', { deltaY: r % 2 ? 120 : -120, clientX: rect.left + 300, clientY: rect.top + 200, bubbles: true, cancelable: true }));
    zoom.push(performance.now() - t);
  }
  return { ours: med(ours), naive: med(naive), zoom: med(zoom) };
}"""


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def wire_sizes(points: np.ndarray, codes: np.ndarray) -> tuple[float, float]:
    import plotly.graph_objects as go

    w = LatentScatter(points, color=codes)
    ours = w.coords.nbytes + w.codes.nbytes
    fig = go.Figure(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", marker={"color": codes}))
    theirs = len(fig.to_json())
    return ours / len(points), theirs / len(points)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def browser_timings(
    points: np.ndarray, codes: np.ndarray, repeats: int, screenshot: str | None = None
) -> dict[str, float]:
    from ipywidgets.widgets.widget import _remove_buffers
    from playwright.sync_api import sync_playwright

    w = LatentScatter(points, color=codes, point_size=1.0)
    state = w.get_state()
    clean, paths, buffers = _remove_buffers(state)
    spec = {
        "state": clean,
        "buffer_paths": [list(p) for p in paths],
        "buffers": [base64.b64encode(bytes(b)).decode() for b in buffers],
    }
    tmp = Path(tempfile.mkdtemp())
    try:
        for name in ("index.html", "harness.js"):
            shutil.copy(HARNESS / name, tmp / name)
        (tmp / "w" / "x").mkdir(parents=True)
        (tmp / "w" / "x" / "widget.js").write_text(state["_esm"])
        (tmp / "w" / "x" / "state.json").write_text(json.dumps(spec))
        draw_js = (ROOT / "spurwidgets" / "widgets" / "latent_scatter_draw.js").read_text()
        httpd, url = serve(tmp)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(**chromium_launch_options())
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.goto(f"{url}/index.html?id=x&width=800")
            page.wait_for_function("window.__ready === true", timeout=120_000)
            page.add_script_tag(content=draw_js)
            result = page.evaluate(BENCH_JS, repeats)
            if screenshot:
                page.locator("#widget").screenshot(path=screenshot)
            browser.close()
        httpd.shutdown()
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k points, 3 repeats")
    parser.add_argument("--screenshot", default=None, help="save a PNG of the widget with all N points here")
    args = parser.parse_args()
    n, repeats = (100_000, 3) if args.quick else (1_000_000, 5)
    rng = np.random.default_rng(0)
    points = rng.normal(size=(n, 2)).astype(np.float32)
    codes = (points[:, 0] > 0).astype(np.int64)
    ours, plotly_bytes = wire_sizes(points, codes)
    print(f"N = {n:,}")
    print(
        f"wire bytes/point: LatentScatter {ours:.2f}, plotly Scattergl JSON {plotly_bytes:.1f} -> {plotly_bytes / ours:.1f}x smaller"
    )
    t = browser_timings(points, codes, repeats, args.screenshot)
    print(f"full redraw in Chromium: pixel plotting {t['ours']:.0f} ms, naive fillRect loop {t['naive']:.0f} ms "
          f"-> {t['naive'] / t['ours']:.1f}x faster; zoom (wheel) redraw in the widget {t['zoom']:.0f} ms")  # fmt: skip
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    polygon = np.stack([1.5 * np.cos(angles), np.sin(angles)], axis=1)
    inside = points_in_polygon(points, polygon)
    seconds = median_time(lambda: points_in_polygon(points, polygon), repeats)
    print(f"lasso membership in Python (64 vertices): {1000 * seconds:.0f} ms for {len(inside):,} selected points")


if __name__ == "__main__":
    main()
