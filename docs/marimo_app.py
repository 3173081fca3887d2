"""spurwidgets in marimo: `marimo edit docs/marimo_app.py` (or `marimo run docs/marimo_app.py`).

Each widget is wrapped with `mo.ui.anywidget(...)`; a cell that reads `.value` of the
wrapper re-runs when the browser changes the widget, and `wrapper.widget` is the spurwidgets
object with its Python-side results (`window`, `selection`, `marked`).
"""

# ruff: noqa: B018 - marimo shows a cell's last expression
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import numpy as np

    from spurwidgets.widgets import ClusterGallery, LatentScatter, LogitCurve

    return ClusterGallery, LatentScatter, LogitCurve, mo, np


@app.cell
def _(LogitCurve, mo, np):
    rng = np.random.default_rng(0)
    margins = rng.normal(size=2000).astype(np.float32) * 3
    labels = (margins + rng.normal(size=2000) > 0).astype(int)
    curve = mo.ui.anywidget(LogitCurve(margins, labels=labels, window=(-1.0, 1.0)))
    curve
    return curve, labels, margins, rng


@app.cell
def _(curve):
    # re-runs after every drag of the window band
    _ = curve.value
    f"window {curve.widget.window}: {len(curve.widget.selection)} samples selected"
    return


@app.cell
def _(ClusterGallery, labels, mo, np, rng):
    images = rng.integers(0, 255, size=(60, 16, 16, 3), dtype=np.uint8)
    gallery = mo.ui.anywidget(ClusterGallery(images, np.arange(60) % 3, labels=labels[:60], n_thumbs=6))
    gallery
    return (gallery,)


@app.cell
def _(gallery):
    _ = gallery.value
    f"marked clusters: {gallery.widget.marked}"
    return


@app.cell
def _(LatentScatter, mo, np, rng):
    points = np.vstack([rng.normal(loc, 0.5, size=(100, 2)) for loc in ((0, 0), (6, 0), (3, 5))])
    scatter = mo.ui.anywidget(LatentScatter(points, {"blob": np.repeat([0, 1, 2], 100)}))
    scatter
    return (scatter,)


@app.cell
def _(scatter):
    _ = scatter.value
    f"lasso selection: {len(scatter.widget.selection)} points"
    return


if __name__ == "__main__":
    app.run()
