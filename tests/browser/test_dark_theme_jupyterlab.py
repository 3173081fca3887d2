"""JupyterLab's dark theme: the widgets take its colours, so text and axes stay readable.

JupyterLab starts with "JupyterLab Dark" from a private user-settings folder
(JUPYTERLAB_SETTINGS_DIR/@jupyterlab/apputils-extension/themes.jupyterlab-settings), runs a
notebook with a LogitCurve and a ClusterGallery, and the test measures luminance: the canvas
background is dark and its axis labels/curve bright; the widgets' HTML text is light on dark.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_pages import CURVE_CELLS

from spurwidgets.testing import serve_jupyter, write_notebook

REPO = Path(__file__).resolve().parents[2]

GALLERY_CELL = (
    "from spurwidgets.widgets import ClusterGallery\n"
    "images = np.random.default_rng(0).integers(0, 255, size=(30, 8, 8, 3), dtype=np.uint8)\n"
    "ClusterGallery(images, np.array([7] * 20 + [2] * 10), n_thumbs=4)"
)

# relative luminance (0-255) of a CSS colour, computed in the page
LUMINANCE_JS = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  let bgEl = el; let bg = getComputedStyle(bgEl).backgroundColor;
  while (bgEl && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bgEl = bgEl.parentElement; bg = bgEl ? getComputedStyle(bgEl).backgroundColor : 'rgb(255,255,255)'; }
  return {fg: lum(rgb(getComputedStyle(el).color)), bg: lum(rgb(bg))};
}"""

CANVAS_JS = """(c) => {
  const g = c.getContext('2d'); const d = g.getImageData(0, 0, c.width, c.height).data;
  const lum = (i) => 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
  const bg = lum(0); let bright = 0;
  for (let i = 0; i < d.length; i += 4) if (lum(i) > bg + 100) bright++;
  return {bg, bright, pixels: d.length / 4};
}"""


@pytest.fixture
def dark_lab(tmp_path: Path) -> Iterator[str]:
    work = tmp_path / "work"
    work.mkdir()
    write_notebook(work / "dark.ipynb", *CURVE_CELLS, GALLERY_CELL)
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "themes.jupyterlab-settings").write_text(json.dumps({"theme": "JupyterLab Dark"}))
    env = {
        "PYTHONPATH": str(REPO),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
    }
    args = ["jupyter", "lab", "--no-browser", "--ip=127.0.0.1", "--allow-root",
            "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={work}"]  # fmt: skip
    with serve_jupyter(args, work, state_dir=tmp_path, env=env) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
def test_widgets_are_readable_in_jupyterlab_dark_theme(dark_lab, page, artifacts_dir):
    page.set_viewport_size({"width": 1200, "height": 1100})
    page.goto(f"{dark_lab}/lab/workspaces/{uuid.uuid4().hex}/tree/dark.ipynb?reset", timeout=60_000)
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=60_000)
    page.locator("#jp-main-statusbar").get_by_text("Idle").wait_for(timeout=60_000)
    for _attempt in range(3):  # a Run All sent while the kernel connects can be dropped: retry
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()
        try:
            page.locator(".sw-cg-section").first.wait_for(timeout=40_000)
            break
        except Exception:
            continue
    page.wait_for_function("() => document.querySelector('canvas.sw-lc-canvas')?.dataset.plotH > 0", timeout=60_000)
    canvas = page.locator("canvas.sw-lc-canvas").first
    canvas.scroll_into_view_if_needed()
    page.locator(".jp-OutputArea-output").nth(0).screenshot(path=str(artifacts_dir / "dark_logit_curve_jupyterlab.png"))

    drawn = canvas.evaluate(CANVAS_JS)
    assert drawn["bg"] < 80, drawn  # the plot background follows --jp-layout-color1 (dark), not white
    assert drawn["bright"] > 500, drawn  # axis labels, ticks and the curve are drawn in light colours
    for selector in (".sw-lc-count", ".sw-cg-summary", ".sw-cg-section"):
        colours = page.locator(selector).first.evaluate(LUMINANCE_JS)
        assert colours["bg"] < 80 and colours["fg"] > colours["bg"] + 100, (selector, colours)
    page.locator(".sw-cg-section").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "dark_jupyterlab.png"))
    assert page.locator(".sw-error:visible").count() == 0
