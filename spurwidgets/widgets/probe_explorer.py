"""ProbeExplorer: the clustered-random-probes method as one notebook app.

A LatentScatter of the VAE latent space (colour by each class probability, by cluster or by
predicted class), the probe images of a chosen cluster or of the lasso selection, and the
VAE decoded along each latent axis, under a header with the average cluster probability.
Image panels are tiled into one PNG each (probes are tiny), so they cost one message.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..compute.images import ImageSource
from ..compute.probe_clusters import ProbeClusters
from ..compute.validation import check_positive_int
from ._base import check_kwargs, encode_thumbnails
from .latent_scatter import LatentScatter

SELECTION = "lasso selection"
CLASS_COLORS = [
    "#e15759",
    "#4e79a7",
    "#59a14f",
    "#f28e2b",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]


def tile(images: np.ndarray, columns: int, *, pad: int = 2, background: int = 255) -> np.ndarray:
    """uint8 (k, H, W, 3) -> one uint8 picture with the images in rows of `columns`."""
    k, h, w, _ = images.shape
    rows = max(1, -(-k // columns))
    out = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), background, dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        out[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = image
    return out


class ProbeExplorer(widgets.VBox):
    """Explore what a classifier responds to, with clustered random probes.

    `ProbeExplorer(model, probes, latent_dim=3, variant="paper", random_state=0)` runs
    `ProbeClusters` itself; `ProbeExplorer(probes=probes, clusters=fitted_probe_clusters)`
    shows an existing result. `class_names` label the classes; `projection` ("pca"/"umap")
    maps latent spaces of more than 2 dimensions onto the plot; `max_images` caps the
    gallery; `n_steps` is the number of decoded images per latent axis.
    Attributes: `clusters` (the ProbeClusters), `scatter` (the LatentScatter), `gallery_indices`
    (int64 indices of the probes shown in the gallery).
    """

    def __init__(
        self,
        model: Any = None,
        probes: Any = None,
        *,
        clusters: ProbeClusters | None = None,
        latent_dim: int = 3,
        variant: str = "paper",
        random_state: int | None = 0,
        class_names: Any = None,
        projection: str = "pca",
        max_images: int = 60,
        n_steps: int = 7,
        **kwargs: Any,
    ) -> None:
        check_kwargs("ProbeExplorer", kwargs)
        if probes is None:
            raise ValueError("probes are needed: pass the probe images (e.g. solid_color_probes(...)) as probes=")
        self.source = ImageSource(probes, name="probes")
        if clusters is None:
            if model is None:
                raise ValueError("pass either model= (the classifier to probe) or clusters= (a fitted ProbeClusters)")
            clusters = ProbeClusters(latent_dim, random_state, variant=variant).fit(model, probes)
        elif getattr(clusters, "labels_", None) is None:
            raise ValueError("clusters must be a fitted ProbeClusters (call .fit(model, probes) first)")
        if len(clusters.labels_) != len(self.source):
            raise ValueError(f"clusters was fitted on {len(clusters.labels_)} probes but probes has {len(self.source)}")
        self.clusters = clusters
        self.max_images = check_positive_int(max_images, "max_images")
        n_classes = clusters.probs_.shape[1]
        names = [str(c) for c in (class_names if class_names is not None else range(n_classes))]
        if len(names) != n_classes:
            raise ValueError(f"class_names has {len(names)} names but the model has {n_classes} classes")
        self.class_names = names
        self.cluster_names = [f"cluster {k} → {names[c]}" for k, c in enumerate(clusters.cluster_classes_)]
        class_colors = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in range(n_classes)]
        colorings: dict[str, np.ndarray] = {f"p({name})": clusters.probs_[:, c] for c, name in enumerate(names)}
        colorings["cluster"] = clusters.labels_
        colorings["predicted class"] = clusters.probs_.argmax(1)
        self.scatter = LatentScatter(
            clusters.latent_,
            color={"cluster": colorings.pop("cluster"), **colorings},
            projection=projection,
            random_state=random_state,
            color_ranges={f"p({name})": (0.0, 1.0) for name in names},
            category_names={"cluster": self.cluster_names, "predicted class": names},
            # a cluster takes the colour of the class it stands for, as in "predicted class"
            category_colors={
                "cluster": [class_colors[c] for c in clusters.cluster_classes_],
                "predicted class": class_colors,
            },
            images=self.source,
        )
        self.header = widgets.HTML()
        self.error = widgets.HTML()
        self.choice = widgets.Dropdown(
            options=[*self.cluster_names, SELECTION], description="probes of", layout={"width": "340px"}
        )
        self.gallery = widgets.Image(format="png", layout={"max_width": "100%"})
        self.caption = widgets.HTML()
        self.traversal = widgets.Image(format="png", layout={"max_width": "100%"})
        self.gallery_indices = np.zeros(0, dtype=np.int64)
        self.choice.observe(self._guarded(self._show_gallery), "value")
        self.scatter.observe(self._guarded(self._on_selection), "selection")
        super().__init__(
            [
                self.header,
                self.error,
                self.scatter,
                widgets.HBox(
                    [
                        widgets.VBox([self.choice, self.caption, self.gallery], layout={"width": "50%"}),
                        widgets.VBox(
                            [widgets.HTML("<b>VAE decoded along each latent axis</b> (−2σ … +2σ)"), self.traversal]
                        ),
                    ]
                ),
            ],
            **kwargs,
        )
        self._render_header()
        self._render_traversal(check_positive_int(n_steps, "n_steps"))
        self._show_gallery()

    def _guarded(self, callback: Any) -> Any:
        def run(*args: Any) -> None:
            try:
                callback(*args)
                self.error.value = ""
            except Exception as exc:  # noqa: BLE001 - shown in the app instead of vanishing
                self.error.value = f'<div style="color:#d1242f">{html.escape(f"{type(exc).__name__}: {exc}")}</div>'

        return run

    def _render_header(self) -> None:
        pc = self.clusters
        parts = []
        for k, name in enumerate(self.cluster_names):
            members = pc.labels_ == k
            if members.any():
                mean = pc.probs_[members, pc.cluster_classes_[k]].mean()
                parts.append(f"{html.escape(name)}: {int(members.sum())} probes, mean p = {mean:.2f}")
        variant = getattr(pc, "variant", "?")
        self.header.value = (
            f"<b>Average cluster probability: {100 * pc.average_cluster_probability_:.1f}%</b> "
            f"(variant {html.escape(str(variant))}, {pc.latent_.shape[1]}-D latent, {len(pc.labels_)} probes)<br>"
            + "; ".join(parts)
        )

    def _render_traversal(self, n_steps: int) -> None:
        grid = self.clusters.vae_.traverse(n_steps=n_steps)
        dim, steps = grid.shape[:2]
        picture = tile(grid.reshape(dim * steps, *grid.shape[2:]), steps)
        self.traversal.value = encode_thumbnails(picture[None], max(picture.shape[:2]) * 2)[0]

    def _on_selection(self, _change: Any = None) -> None:
        if self.choice.value == SELECTION:
            self._show_gallery()
        else:
            self.choice.value = SELECTION  # triggers _show_gallery

    def _show_gallery(self, _change: Any = None) -> None:
        if self.choice.value == SELECTION:
            indices = np.asarray(self.scatter.selection, dtype=np.int64)
            what = "selected probes"
        else:
            k = self.cluster_names.index(self.choice.value)
            indices = self.clusters.cluster_members(k)
            what = f"probes in {self.choice.value}"
        self.gallery_indices = indices
        shown = indices[: self.max_images]
        self.caption.value = f"{len(indices)} {html.escape(what)}" + (
            f" (first {len(shown)} shown)" if len(shown) < len(indices) else ""
        )
        if len(shown) == 0:
            self.gallery.value = b""
            return
        picture = tile(self.source.uint8(shown), 12)
        self.gallery.value = encode_thumbnails(picture[None], max(picture.shape[:2]) * 2)[0]
