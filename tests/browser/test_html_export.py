"""Static export: `export_html` pages show the widgets from a file:// URL with every network
request blocked (no kernel, no CDN); the curve, the gallery and the scatter draw from saved state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spurwidgets.html_export import export_html, offline_html
from spurwidgets.testing import write_notebook
from spurwidgets.widgets import ClusterGallery, LatentScatter, LogitCurve

CANVAS_DRAWN_JS = """(c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const first = [d[0], d[1], d[2]]; let other = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - first[0]) + Math.abs(d[i + 1] - first[1]) + Math.abs(d[i + 2] - first[2]) > 60) other++;
  return other;
}"""


def _widgets():
    values = np.arange(40, dtype=np.float32) - 20
    curve = LogitCurve(values, labels=(np.arange(40) % 3 == 0).astype(int), window=(-2.5, 2.5))
    images = np.random.default_rng(0).integers(0, 255, size=(30, 8, 8, 3), dtype=np.uint8)
    gallery = ClusterGallery(images, np.array([7] * 20 + [2] * 10), n_thumbs=4)
    gallery.marked = {7: "minority"}
    points = np.random.default_rng(1).normal(size=(60, 2))
    scatter = LatentScatter(points, np.repeat([0, 1, 2], 20))
    scatter.selection = np.arange(10)
    return curve, gallery, scatter


def test_export_html_rejects_what_is_not_a_widget(tmp_path: Path):
    with pytest.raises(ValueError, match="non-empty"):
        export_html([], tmp_path / "x.html")
    with pytest.raises(TypeError, match=r"widgets\[0\] must be an anywidget"):
        export_html(["curve"], tmp_path / "x.html")


def test_export_html_inlines_everything(tmp_path: Path):
    page = export_html(list(_widgets()), tmp_path / "report.html", title="a <report>").read_text()
    assert "<title>a &lt;report&gt;</title>" in page
    assert "http://" not in page.split("<script", 1)[0] and "src=" not in page  # nothing to fetch
    assert page.count('class="sw-export-item"') == 3


REPO = Path(__file__).resolve().parents[2]
WIDGET_CELLS = [
    "import numpy as np\nfrom spurwidgets.widgets import ClusterGallery, LatentScatter, LogitCurve",
    "values = np.arange(40, dtype=np.float32) - 20\n"
    "LogitCurve(values, labels=(np.arange(40) % 3 == 0).astype(int), window=(-2.5, 2.5))",
    "images = np.random.default_rng(0).integers(0, 255, size=(30, 8, 8, 3), dtype=np.uint8)\n"
    "gallery = ClusterGallery(images, np.array([7] * 20 + [2] * 10), n_thumbs=4)\n"
    "gallery.marked = {7: 'minority'}\ngallery",
    "scatter = LatentScatter(np.random.default_rng(1).normal(size=(60, 2)), np.repeat([0, 1, 2], 20))\n"
    "scatter.selection = np.arange(10)\nscatter",
]


def test_offline_html_rejects_a_page_without_widget_state(tmp_path: Path):
    (tmp_path / "plain.html").write_text("<html><body>hi</body></html>")
    with pytest.raises(ValueError, match="saved widget state"):
        offline_html(tmp_path / "plain.html")


def _nbconvert_page(tmp_path: Path) -> Path:
    """A notebook run and saved with its widget state, then `jupyter nbconvert --to html`."""
    import nbclient
    import nbformat

    path = write_notebook(tmp_path / "widgets.ipynb", *WIDGET_CELLS)
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=300, store_widget_state=True).execute(
        env={"PYTHONPATH": str(REPO)}
    )
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)], check=True, timeout=300)
    return tmp_path / "widgets.html"


def _embed_page(tmp_path: Path) -> Path:
    from ipywidgets.embed import embed_minimal_html

    path = tmp_path / "embed.html"
    embed_minimal_html(str(path), views=list(_widgets()), title="embedded", drop_defaults=False)
    return path


def test_offline_html_explains_embed_without_modules(tmp_path: Path):
    from ipywidgets.embed import embed_minimal_html

    embed_minimal_html(str(tmp_path / "bare.html"), views=[_widgets()[0]], title="bare")  # drop_defaults=True
    with pytest.raises(ValueError, match="drop_defaults=False"):
        offline_html(tmp_path / "bare.html")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("make", [_nbconvert_page, _embed_page], ids=["nbconvert", "embed_minimal_html"])
def test_notebook_html_made_offline_draws_the_widgets(make, tmp_path: Path, page, artifacts_dir: Path):
    path = offline_html(make(tmp_path), tmp_path / "offline.html")
    _check_offline_page(path, page, artifacts_dir / f"html_offline_{make.__name__.strip('_')}.png")


@pytest.mark.browser
def test_exported_page_draws_the_widgets_offline(tmp_path: Path, page, artifacts_dir: Path):
    _check_offline_page(
        export_html(list(_widgets()), tmp_path / "report.html"), page, artifacts_dir / "html_export.png"
    )


def _check_offline_page(path: Path, page, screenshot: Path) -> None:
    requested: list[str] = []

    def block(route):
        requested.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith(("file:", "blob:", "data:")), block)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1000, "height": 1500})
    page.goto(path.as_uri())
    page.wait_for_function("() => document.body.dataset.rendered === 'true'", timeout=20_000)
    page.wait_for_function("() => document.querySelector('canvas.sw-lc-canvas')?.dataset.plotH > 0", timeout=20_000)
    assert page.locator("canvas.sw-lc-canvas").evaluate(CANVAS_DRAWN_JS) > 500  # axes, curve, band
    assert page.locator(".sw-lc-count").inner_text().startswith("5 of 40")
    # gallery: both clusters, thumbnails decoded from the saved PNG bytes, the saved mark shown
    assert page.locator(".sw-cg-section").count() == 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sw-cg-section img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator('.sw-cg-section[data-cluster="7"] .sw-cg-tag[aria-pressed="true"]').inner_text() == "minority"
    # scatter: points drawn, the selection saved from Python shown
    assert page.get_by_text("10 of 60 selected").count() == 1
    assert max(c.evaluate(CANVAS_DRAWN_JS) for c in page.locator(".sw-latent-scatter canvas").all()) > 100
    page.screenshot(path=str(screenshot), full_page=True)
    assert requested == [] and errors == []
