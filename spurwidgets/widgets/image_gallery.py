"""ImageGallery: a paged thumbnail grid of a selection of images.

Only the current page crosses the wire: Python encodes its thumbnails (PNG at display size)
when `page` or `indices` changes, so a 100k-image selection stays responsive. Clicking a
thumbnail toggles it in `selection` (image indices, synced both ways).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..compute.images import ImageSource
from ..compute.validation import check_labels, check_positive_int, check_vector
from ._base import SpurWidget, css_source, encode_thumbnails, esm_source, selection_array, selection_trait
from .exports import ImageGalleryExport, check_indices

__all__ = ["ImageGallery", "check_indices"]


class ImageGallery(ImageGalleryExport, SpurWidget):
    """Paged thumbnail grid. Click to select; hover shows index, label and score.

    `ImageGallery(images, indices=None, captions=None, *, labels=None, scores=None,
    score_name="logit", class_names=None, columns=8, page_size=64, thumb_size=72)`.
    `images`: any form `ImageSource` accepts (uint8 (N,H,W,3), float (N,3,H,W), ImageSet,
    Dataset). `indices`: which images to show (default all), in that order; assign
    `gallery.indices = ...` to show others (e.g. `link_selection(curve, gallery)`).
    `labels`, `scores`, `captions`: one per image of `images` (labels default to an
    ImageSet's). `selection`: the clicked image indices; `to_pandas()` and
    `export_images(folder)` get them out (see `spurwidgets.widgets.exports`).
    """

    page = traitlets.Int(0, help="current page (0-based)").tag(sync=True)
    page_size = traitlets.Int(64, help="thumbnails per page").tag(sync=True)
    columns = traitlets.Int(8, help="thumbnails per row").tag(sync=True)
    thumb_size = traitlets.Int(72, help="thumbnail side in CSS pixels").tag(sync=True)
    n_items = traitlets.Int(0, help="number of images in the gallery").tag(sync=True)
    thumbnails = traitlets.List(traitlets.Bytes(), help="PNG bytes of the current page").tag(sync=True)
    page_indices = traitlets.List(traitlets.Int(), help="image index of each thumbnail on the page").tag(sync=True)
    tooltips = traitlets.List(traitlets.Unicode(), help="hover text of each thumbnail").tag(sync=True)
    page_captions = traitlets.List(traitlets.Unicode(), help="caption under each thumbnail").tag(sync=True)
    selection = selection_trait("int64 indices (ascending) of the clicked images; settable, highlighted")
    title = traitlets.Unicode("", help="heading above the grid").tag(sync=True)

    _esm = esm_source("image_gallery.js")
    _css = css_source("image_gallery.css")

    def __init__(
        self,
        images: Any,
        indices: Any = None,
        captions: Any = None,
        *,
        labels: Any = None,
        scores: Any = None,
        score_name: str = "logit",
        class_names: Any = None,
        columns: int = 8,
        page_size: int = 64,
        thumb_size: int = 72,
        title: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = ImageSource(images)
        n = len(self.source)
        labels = self.source.labels if labels is None else labels
        self.labels = None if labels is None else check_labels(labels, "labels", n=n)
        self.scores = None if scores is None else check_vector(scores, "scores", n=n)
        if captions is not None and len(captions) != n:
            raise ValueError(f"captions has {len(captions)} entries but there are {n} images (one caption per image)")
        self.captions = None if captions is None else [str(c) for c in captions]
        self.score_name = str(score_name)
        # kept for to_pandas (ImageSource keeps only the images and labels of an ImageSet)
        self.groups = getattr(images, "groups", None)
        self.group_names = list(getattr(images, "group_names", None) or []) or None
        class_names = getattr(images, "class_names", None) if class_names is None else class_names
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        self.columns = check_positive_int(columns, "columns")
        self.page_size = check_positive_int(page_size, "page_size")
        self.thumb_size = check_positive_int(thumb_size, "thumb_size", minimum=16)
        self.title = str(title)
        self._indices = np.arange(n, dtype=np.int64)
        self.observe(self.guard(self._render_page), ["page", "page_size", "thumb_size"])
        self.indices = self._indices if indices is None else indices

    @traitlets.validate("selection")
    def _validate_selection(self, proposal: dict[str, Any]) -> np.ndarray:
        return selection_array(proposal["value"], len(self.source))

    @property
    def indices(self) -> np.ndarray:
        """int64 indices of the images shown, in display order."""
        return self._indices

    @indices.setter
    def indices(self, value: Any) -> None:
        self._indices = check_indices(value, len(self.source))
        self.n_items = len(self._indices)
        if len(self.selection):  # keep only selected images that are still shown
            self.selection = self.selection[np.isin(self.selection, self._indices)]
        if self.page != 0:
            self.page = 0  # the observer renders
        else:
            self._render_page()

    @property
    def n_pages(self) -> int:
        return max(1, -(-len(self._indices) // self.page_size))

    @traitlets.validate("page")
    def _validate_page(self, proposal: dict[str, Any]) -> int:
        return int(min(max(0, proposal["value"]), self.n_pages - 1))

    def _describe(self, index: int) -> tuple[str, str]:
        """(tooltip, caption) of one image."""
        parts = [f"index {index}"]
        caption = ""
        if self.labels is not None:
            label = int(self.labels[index])
            name = self.class_names[label] if self.class_names and label < len(self.class_names) else str(label)
            parts.append(f"label {name}")
            caption = name
        if self.scores is not None:
            parts.append(f"{self.score_name} {self.scores[index]:.3g}")
        if self.captions is not None:
            caption = self.captions[index]
            parts.append(caption)
        return " · ".join(parts), caption

    def _render_page(self, _change: Any = None) -> None:
        start = self.page * self.page_size
        shown = self._indices[start : start + self.page_size]
        pictures = self.source.uint8(shown) if len(shown) else np.zeros((0, 1, 1, 3), np.uint8)
        described = [self._describe(int(i)) for i in shown]
        with self.hold_sync():
            self.thumbnails = encode_thumbnails(pictures, self.thumb_size)
            self.page_indices = shown.tolist()
            self.tooltips = [d[0] for d in described]
            self.page_captions = [d[1] for d in described]
