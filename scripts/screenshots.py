"""Regenerate docs/img/*.png: each main widget rendered by a real headless Chromium.

    .venv/bin/python scripts/screenshots.py              # all widgets available in this checkout
    .venv/bin/python scripts/screenshots.py --only logit_curve latent_scatter

How: a temporary notebook builds each widget on the teaching data (coloured digits, a small
CNN trained in seconds) inside a box tagged `sw-shot-<name>`; Voilà serves it on 127.0.0.1
(a real kernel and the real widget manager, as a user sees it); Playwright drives Debian's
Chromium and screenshots each tagged box. A widget whose module is not importable is
skipped with a message, so the script works while the package grows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from spurwidgets.testing import chromium_launch_options, serve_jupyter, write_notebook

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "img"

SETUP = """
import numpy as np, ipywidgets
import spurwidgets as sw
from spurwidgets.datasets import colored_digits, solid_color_probes
from spurwidgets.models import SmallCNN, train_classifier
train, val, test = colored_digits("train"), colored_digits("val"), colored_digits("test")
# The lesson's regime: a pretrained backbone fine-tuned by ERM on the biased train split; the
# windows, rankings and refits use the held-out val split, the tables the test split.
model = train_classifier(SmallCNN.pretrained(n_classes=2), train, epochs=2, lr=3e-4, head_lr=3e-3, progress=False)
fs = sw.extract(model, val)
def widget_class(name):
    # `spurwidgets.widgets.<name>` when exported, else found in the widget modules directly.
    import importlib, pkgutil, spurwidgets.widgets as pkg
    if hasattr(pkg, name):
        return getattr(pkg, name)
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"spurwidgets.widgets.{info.name}")
        if hasattr(module, name):
            return getattr(module, name)
    raise ImportError(f"no widget class {name} in spurwidgets.widgets")
def shot(name, widget):
    # a 920px column: every widget gets the width a notebook output area gives it
    layout = ipywidgets.Layout(width="920px", flex_flow="column", align_items="stretch")
    return ipywidgets.Box([widget], layout=layout).add_class(f"sw-shot-{name}")
"""

# name -> code whose last line displays shot(name, widget); each runs in its own try block.
WIDGETS = {
    "logit_curve": """
LogitCurve = widget_class("LogitCurve")
curve = LogitCurve(fs.logits, labels=val.labels, class_index=1, class_names=val.class_names)
display(shot("logit_curve", curve))
""",
    "cluster_gallery": """
ClusterGallery = widget_class("ClusterGallery")
mid = sw.MID(random_state=0).fit(fs.features, fs.logits, val.labels)
gallery = ClusterGallery(val, mid.candidate_clusters_, indices=mid.candidates_, class_names=val.class_names)
gallery.marked = {int(c): "minority" for c in mid.minority_clusters_}  # MID's own flags
display(shot("cluster_gallery", gallery))
""",
    "latent_scatter": """
LatentScatter = widget_class("LatentScatter")
probes = solid_color_probes(n=400, size=28, random_state=0)
pc = sw.ProbeClusters(latent_dim=2, random_state=0, vae_params={"epochs": 10}).fit(model, probes)
scatter = LatentScatter(pc.latent_, color={"p(class 1)": pc.probs_[:, 1], "cluster": pc.labels_},
                        color_ranges={"p(class 1)": (0, 1)}, images=probes)
display(shot("latent_scatter", scatter))
""",
    "feature_card": """
FeatureCard = widget_class("FeatureCard")
ranker = sw.SpuriosityRanker(n_features=3).fit(fs.features, val.labels, model.fc)
card = FeatureCard(ranker, 0, int(ranker.top_features_[0][0]), val, model=model, features=fs.features)
display(shot("feature_card", card))
""",
    "mid_explorer": """
explorer = sw.MIDExplorer(model, val, val.labels, groups=val.groups, eval_set=test)
explorer.refit()  # show the before/after table, on the held-out test split
display(shot("mid_explorer", explorer))
""",
    "spuriosity_explorer": """
sexplorer = sw.SpuriosityExplorer(model, val, test, n_features=3)
# Annotate as a user would: a top feature is spurious when it tracks the digit's colour
# (groups = label * 2 + colour; |correlation| > 0.25 within the class, since each of the 256
# features mixes colour with shape), else core: the strip, gap table and chart then show the ranking.
colour = val.groups % 2
notes = {}
for c, top in sexplorer.ranker.top_features_.items():
    members = val.labels == c
    corr = [abs(np.corrcoef(sexplorer.train_features[members, f], colour[members])[0, 1]) for f in top]
    notes[str(c)] = {str(int(f)): "spurious" if r > 0.25 else "core" for f, r in zip(top, corr)}
sexplorer.view.annotations = notes
display(shot("spuriosity_explorer", sexplorer))
""",
    "probe_explorer": """
pexplorer = sw.ProbeExplorer(model, solid_color_probes(n=400, size=28, random_state=0), latent_dim=2, random_state=0)
pexplorer.scatter.select_box(-1.0, -3.0, 1.0, 0.5)  # as after a box drag: the gallery follows it
display(shot("probe_explorer", pexplorer))
""",
}


def _cell(code: str, name: str) -> str:
    body = "\n".join("    " + line for line in code.strip().splitlines())
    return f"try:\n{body}\nexcept Exception as error:\n    print('SKIPPED {name}:', type(error).__name__, error)"


def build_notebook(names: list[str], path: Path) -> None:
    write_notebook(path, SETUP, *(_cell(WIDGETS[n], n) for n in names))


MARGIN = 8  # CSS pixels of page around each widget


def _shoot(page, widget, target: Path) -> None:
    """Screenshot the whole widget. Voila scrolls its page inside a container, so a widget
    taller than the viewport was captured with everything outside the viewport left white
    (the SpuriosityExplorer was cut below its image strip): first grow the viewport to fit
    the widget, then wait until its images, canvases and plotly charts have drawn."""
    widget.scroll_into_view_if_needed()
    height = widget.bounding_box()["height"]
    page.set_viewport_size({"width": 1000, "height": max(900, int(height) + 4 * MARGIN)})
    widget.evaluate("el => el.scrollIntoView({block: 'center'})")
    widget.evaluate(
        """el => new Promise((resolve) => {
            const ready = () => [...el.querySelectorAll("img")].every((i) => i.complete && i.naturalWidth > 0)
                && [...el.querySelectorAll(".js-plotly-plot")].every((p) => p.querySelector(".main-svg .plot"));
            const poll = (n) => (ready() || n === 0 ? resolve() : setTimeout(() => poll(n - 1), 100));
            poll(200);
        })"""
    )
    page.wait_for_timeout(600)  # last frames: canvas redraw after the resize, plotly transitions
    box = widget.bounding_box()
    clip = {"x": max(0, box["x"] - MARGIN), "y": max(0, box["y"] - MARGIN),
            "width": box["width"] + 2 * MARGIN, "height": box["height"] + 2 * MARGIN}  # fmt: skip
    page.screenshot(path=str(target), clip=clip)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(WIDGETS), help="widgets to shoot (default all)")
    parser.add_argument("--out", default=str(OUT), help="output folder (default docs/img)")
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    args = parser.parse_args()
    names = args.only or list(WIDGETS)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        build_notebook(names, tmp_path / "shots.ipynb")
        voila_args = ["voila", "shots.ipynb", "--no-browser", "--Voila.ip=127.0.0.1", f"--theme={args.theme}"]
        with serve_jupyter(voila_args, tmp_path) as url:
            with sync_playwright() as p:
                browser = p.chromium.launch(**chromium_launch_options())
                page = browser.new_page(viewport={"width": 1000, "height": 900}, device_scale_factor=2)
                problems: list[str] = []
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
                page.on(
                    "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
                )
                page.goto(f"{url}/", timeout=600_000)
                page.wait_for_load_state("networkidle", timeout=600_000)
                for text in page.locator("pre").all_inner_texts():
                    if "SKIPPED" in text:
                        print(text.strip())
                written = []
                for name in names:
                    box = page.locator(f".sw-shot-{name}")
                    if box.count() == 0:
                        continue
                    target = out / f"{name}.png"
                    _shoot(page, box.first.locator(":scope > *").first, target)  # the widget itself
                    written.append(target)
                browser.close()
                for problem in problems:
                    print(problem[:300])
        for target in written:
            print(f"wrote {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")
        missing = sorted(set(names) - {t.stem for t in written})
        if missing:
            print("not rendered:", ", ".join(missing), "(the voila log is printed above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
