"""ProbeExplorer: the clustered-random-probes method as one notebook app.

A LatentScatter of the VAE latent space (colour by each class probability, by cluster or by
predicted class), a ClusterGallery with the probes of each cluster (class mix = the model's
predicted classes), an ImageGallery following the scatter's lasso/box selection, and the VAE
decoded along each latent axis, under a header with the average cluster probability.
"""

from __future__ import annotations

import html
from typing import Any, cast

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F

from ..compute.images import ImageSource
from ..compute.probe_clusters import ProbeClusters
from ..compute.validation import check_positive_int
from ._base import CLASS_PALETTE, check_kwargs, class_color, encode_thumbnails
from .cluster_gallery import ClusterGallery
from .image_gallery import ImageGallery
from .latent_scatter import LatentScatter
from .link import link_selection

CLASS_COLORS = list(CLASS_PALETTE)  # kept for existing imports; the palette lives in _base


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
    Attributes: `clusters` (the ProbeClusters), `scatter` (the LatentScatter),
    `cluster_gallery` (ClusterGallery, one section per cluster), `selection_gallery`
    (ImageGallery showing `scatter.selection`), `traversal` (image of the decoded axes).
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
        fitted_labels = cast(np.ndarray, clusters.labels_)
        if len(fitted_labels) != len(self.source):
            raise ValueError(f"clusters was fitted on {len(fitted_labels)} probes but probes has {len(self.source)}")
        self.clusters = clusters
        self.max_images = check_positive_int(max_images, "max_images")
        n_classes = clusters.probs_.shape[1]
        names = [str(c) for c in (class_names if class_names is not None else range(n_classes))]
        if len(names) != n_classes:
            raise ValueError(f"class_names has {len(names)} names but the model has {n_classes} classes")
        self.class_names = names
        self.cluster_names = [f"cluster {k} → {names[c]}" for k, c in enumerate(clusters.cluster_classes_)]
        class_colors = [class_color(c) for c in range(n_classes)]
        colorings: dict[str, np.ndarray] = {f"p({name})": clusters.probs_[:, c] for c, name in enumerate(names)}
        colorings["cluster"] = fitted_labels
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
        predicted = clusters.probs_.argmax(1)
        self.cluster_gallery = ClusterGallery(
            probes, clusters.labels_, labels=predicted, class_names=names, tags=("note",), max_thumbs=max_images
        )
        self.selection_gallery = ImageGallery(
            probes, indices=[], labels=predicted, scores=clusters.probs_.max(1), score_name="max p",
            class_names=names, columns=8, page_size=max_images, thumb_size=40, title="lasso / box selection",
        )  # fmt: skip
        self._link = link_selection(self.scatter, self.selection_gallery)
        self.traversal_title = widgets.HTML()
        self.traversal = widgets.Image(format="png", layout={"max_width": "100%"})
        super().__init__(
            [
                self.header,
                self.scatter,
                widgets.HBox(
                    [
                        widgets.VBox(
                            [widgets.HTML("<b>Probes of each cluster</b>"), self.cluster_gallery],
                            layout={"width": "55%"},
                        ),
                        widgets.VBox(
                            [self.selection_gallery, self.traversal_title, self.traversal],
                            layout={"width": "45%"},
                        ),
                    ]
                ),
            ],
            **kwargs,
        )
        self._render_header()
        self._render_traversal(check_positive_int(n_steps, "n_steps"))

    def _render_header(self) -> None:
        pc = self.clusters
        parts = []
        for k, name in enumerate(self.cluster_names):
            members = cast(np.ndarray, pc.labels_) == k
            if members.any():
                mean = pc.probs_[members, pc.cluster_classes_[k]].mean()
                parts.append(f"{html.escape(name)}: {int(members.sum())} probes, mean p = {mean:.2f}")
        variant = getattr(pc, "variant", "?")
        self.header.value = (
            f"<b>Average cluster probability: {100 * pc.average_cluster_probability_:.1f}%</b> "
            f"(variant {html.escape(str(variant))}, {pc.latent_.shape[1]}-D latent, {len(cast(np.ndarray, pc.labels_))} probes)<br>"
            + "; ".join(parts)
        )

    def _render_traversal(self, n_steps: int) -> None:
        """The decoded axes, shown only once the decoder reconstructs the probes (R² >= 0.5):
        after a short training its pictures are grey noise that would only mislead."""
        vae = self.clusters.vae_
        self.vae_r2_ = reconstruction_r2(vae, self.source.uint8(np.arange(min(len(self.source), 256))))
        if self.vae_r2_ < MIN_TRAVERSAL_R2:
            epochs = getattr(vae, "n_epochs_", "?")
            self.traversal_title.value = (
                "<b>VAE decoded along each latent axis</b>: hidden. After "
                f"{epochs} epochs the VAE reconstructs the probes poorly (R² = {self.vae_r2_:.2f} &lt; "
                f"{MIN_TRAVERSAL_R2}), so its pictures would be grey noise; fit it longer (e.g. "
                "<code>vae_params={'epochs': 40}</code>) to see what each latent axis encodes."
            )
            self.traversal.layout.display = "none"
            return
        self.traversal_title.value = "<b>VAE decoded along each latent axis</b> (−2σ … +2σ, one row per axis)"
        self.traversal.layout.display = None
        grid = vae.traverse(n_steps=n_steps)
        dim, steps = grid.shape[:2]
        picture = tile(grid.reshape(dim * steps, *grid.shape[2:]), steps)
        self.traversal.value = encode_thumbnails(picture[None], max(picture.shape[:2]) * 2)[0]


#: Below this reconstruction R² the decoded traversal is hidden (measured on 400 colour probes:
#: 8-10 epochs give 0.20-0.22 and grey pictures, 40 epochs (the VAE default) 0.65).
MIN_TRAVERSAL_R2 = 0.5


def reconstruction_r2(vae: Any, images: np.ndarray) -> float:
    """1 - MSE(decode(encode(x)), x) / Var(x) on uint8 images: how much the decoder reproduces."""
    rebuilt = vae.decode(vae.encode(images)).astype(np.float32) / 255
    if rebuilt.shape != images.shape:  # the VAE works at its own image size: compare there
        pictures = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
        size = rebuilt.shape[1:3]
        pictures = F.interpolate(pictures, size=size, mode="bilinear", antialias=True, align_corners=False)
        images = (pictures.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    x = images.astype(np.float32) / 255
    variance = float(x.var())
    return 1.0 - float(((rebuilt - x) ** 2).mean()) / variance if variance > 0 else 0.0
