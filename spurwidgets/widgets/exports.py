"""Getting a widget's selection out: `to_pandas()` and `export_images(folder)`.

Every widget with a selection (a LogitCurve window, a LatentScatter lasso, the clicked images
of an ImageGallery, the clusters of a ClusterGallery) lists one of the mixins below as a base
class, so the exports live here and the widget files stay about drawing and gestures.

- `to_pandas(indices=None, *, images=None, labels=None, groups=None)`: a DataFrame indexed by
  sample index (`index`, ascending as the selection is) with the columns the widget knows:
  `label` and `class_name`, `group` (and `group_name`), then the widget's own ones (`logit`;
  `x`, `y` and the colourings; the gallery's score and caption; `cluster` and `tag`).
- `export_images(folder, indices=None, *, images=None, labels=None)`: writes the selected
  images as an ImageFolder tree, `folder/<class name>/<index>.png` (`unlabelled/` when no
  labels are known), and returns the written paths in index order.

`indices=None` exports the widget's selection; pass indices to export others (e.g.
`gallery.indices`, every shown image). `images=` supplies what the widget does not hold:
an `ImageSet` brings images, labels, groups and class/group names at once (its names win
over the widget's; a LogitCurve has no images; LatentScatter and ClusterGallery keep no
groups). `labels=` / `groups=` (one per sample) override the widget's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..compute.images import ImageSource
from ..compute.imageset import ImageSet
from ..compute.validation import check_labels, to_numpy

UNLABELLED = "unlabelled"
_UNSAFE = re.compile(r"[^\w .+-]")


def check_indices(indices: Any, n_images: int, name: str = "indices") -> np.ndarray:
    """int64 indices into `n_images` images (any array-like of ints; empty allowed)."""
    array = to_numpy(indices, name).reshape(-1) if not isinstance(indices, range) else np.asarray(indices)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer image indices; got dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= n_images):
        raise ValueError(
            f"{name} must be in 0..{n_images - 1} (there are {n_images} images); got range {array.min()}..{array.max()}"
        )
    return array


def folder_names(class_names: list[str] | None, labels: np.ndarray) -> dict[int, str]:
    """label -> a safe, distinct folder name (the class name; path separators replaced)."""
    out: dict[int, str] = {}
    for label in np.unique(labels).tolist():
        name = class_names[label] if class_names is not None and label < len(class_names) else str(label)
        safe = _UNSAFE.sub("_", name).strip()
        if safe in ("", ".", "..") or safe in out.values():
            safe = f"{safe or 'class'}_{label}".lstrip(".")
        out[label] = safe
    return out


# ClusterGallery's mixin (clusters and tags choose the rows) lives in cluster_exports.py.


class SelectionExport:
    """Mixin: `to_pandas` and `export_images` from a few hooks a widget class fills in.

    Hooks (override in a subclass below): `_export_size()` number of samples, `_export_selection()`
    default indices, `_export_source()` an ImageSource or None, `_export_labels()` labels (N,)
    or None, `_export_class_names()`, `_export_groups()` (groups, group names) and
    `_export_columns(indices)` the widget's own columns.
    """

    selection: Any  # attributes of the widget class the mixin is used in (for type checkers)

    def _export_size(self) -> int:
        raise NotImplementedError

    def _export_selection(self) -> np.ndarray:
        return np.unique(np.asarray(self.selection, dtype=np.int64).reshape(-1))

    def _export_source(self) -> Any:
        return getattr(self, "source", None)

    def _export_labels(self) -> np.ndarray | None:
        return getattr(self, "labels", None)

    def _export_class_names(self) -> list[str] | None:
        return getattr(self, "class_names", None)

    def _export_groups(self) -> tuple[np.ndarray | None, list[str] | None]:
        return None, None

    def _export_columns(self, indices: np.ndarray) -> dict[str, Any]:
        return {}

    # ------------------------------------------------------------------ shared logic
    def _export_context(self, indices: Any, images: Any, labels: Any, groups: Any) -> dict[str, Any]:
        n = self._export_size()
        chosen = self._export_selection() if indices is None else check_indices(indices, n)
        source, class_names = self._export_source(), self._export_class_names()
        own_groups, group_names = self._export_groups()
        image_labels = None
        if images is not None:
            source = images if isinstance(images, ImageSource) else ImageSource(images)
            if len(source) != n:
                raise ValueError(f"images has {len(source)} entries but the widget has {n} samples (one per sample)")
            image_labels = source.labels
            if isinstance(images, ImageSet):
                # names given with this call win over the widget's (often just "0", "1", ...)
                class_names = list(images.class_names)
                own_groups = images.groups if own_groups is None else own_groups
                group_names = list(images.group_names) or group_names
        if labels is not None:
            labels = check_labels(labels, "labels", n=n)
        else:
            labels = self._export_labels()
            labels = image_labels if labels is None else labels
        if groups is not None:
            own_groups = check_labels(groups, "groups", n=n)
        return {
            "indices": chosen,
            "source": source,
            "labels": None if labels is None else np.asarray(labels),
            "class_names": class_names,
            "groups": own_groups,
            "group_names": group_names,
        }

    def to_pandas(self, indices: Any = None, *, images: Any = None, labels: Any = None, groups: Any = None) -> Any:
        """The selection (or `indices`) as a DataFrame indexed by sample index (see the module doc)."""
        import pandas as pd  # pandas on use: `import spurwidgets` stays light

        ctx = self._export_context(indices, images, labels, groups)
        idx = ctx["indices"]
        data: dict[str, Any] = {}
        if ctx["labels"] is not None:
            chosen = ctx["labels"][idx].astype(np.int64)
            names = ctx["class_names"]
            data["label"] = chosen
            data["class_name"] = [names[v] if names and v < len(names) else str(v) for v in chosen.tolist()]
        if ctx["groups"] is not None:
            chosen = np.asarray(ctx["groups"])[idx].astype(np.int64)
            data["group"] = chosen
            if ctx["group_names"]:
                gn = ctx["group_names"]
                data["group_name"] = [gn[v] if v < len(gn) else str(v) for v in chosen.tolist()]
        for name, values in self._export_columns(idx).items():
            data.setdefault(name, values)
        return pd.DataFrame(data, index=pd.Index(idx, name="index"))

    def export_images(self, folder: Any, indices: Any = None, *, images: Any = None, labels: Any = None) -> list[Path]:
        """Write the selection (or `indices`) as `folder/<class name>/<index>.png`; returns the paths."""
        ctx = self._export_context(indices, images, labels, None)
        source, idx = ctx["source"], ctx["indices"]
        if source is None:
            raise ValueError(
                f"{type(self).__name__} holds no images: pass images= (the images its samples come from, "
                "e.g. the ImageSet) to export_images"
            )
        root = Path(folder)
        if root.exists() and not root.is_dir():
            raise ValueError(f"folder must be a directory; {root} is a file")
        if ctx["labels"] is None:
            sub = {-1: UNLABELLED}
            chosen = np.full(len(idx), -1, dtype=np.int64)
        else:
            chosen = ctx["labels"][idx].astype(np.int64)
            sub = folder_names(ctx["class_names"], chosen)
        paths: list[Path] = []
        for start in range(0, len(idx), 256):  # bounded memory for large selections
            part = idx[start : start + 256]
            for i, label, picture in zip(part.tolist(), chosen[start : start + 256].tolist(), source.uint8(part)):
                path = root / sub[label] / f"{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(picture).save(path)
                paths.append(path)
        return paths


class LogitCurveExport(SelectionExport):
    """LogitCurve: the window's samples with their `logit` (the sorted class column)."""

    values: np.ndarray

    def _export_size(self) -> int:
        return len(self.values)

    def _export_source(self) -> Any:
        return None

    def _export_class_names(self) -> list[str] | None:
        # The curve keeps names only for its legend classes (label_names, "other" last).
        legend = getattr(self, "_legend_classes", None)
        names = list(getattr(self, "label_names", []))
        if legend is None or not len(legend):
            return None
        by_label = {int(c): names[i] for i, c in enumerate(legend) if i < len(names)}
        return [by_label.get(c, str(c)) for c in range(int(max(by_label)) + 1)]

    def _export_columns(self, indices: np.ndarray) -> dict[str, Any]:
        return {"logit": np.asarray(self.values)[indices]}


class LatentScatterExport(SelectionExport):
    """LatentScatter: the lasso's points with `x`, `y` (the plotted 2-D coordinates) and colourings."""

    n_points: int
    points_2d: np.ndarray

    def _export_size(self) -> int:
        return int(self.n_points)

    def _export_source(self) -> Any:
        return getattr(self, "_images", None)

    def _export_labels(self) -> np.ndarray | None:
        source = self._export_source()
        return None if source is None else source.labels

    def _export_class_names(self) -> list[str] | None:
        return None

    def _export_columns(self, indices: np.ndarray) -> dict[str, Any]:
        xy = np.asarray(self.points_2d)[indices]
        columns: dict[str, Any] = {"x": xy[:, 0], "y": xy[:, 1]}
        for name, values in getattr(self, "_colorings", {}).items():
            if name != "none":  # the placeholder colouring of a scatter made without color=
                columns.setdefault(name, np.asarray(values)[indices])
        return columns


class ImageGalleryExport(SelectionExport):
    """ImageGallery: the clicked images with the gallery's score and caption."""

    source: Any

    def _export_size(self) -> int:
        return len(self.source)

    def _export_groups(self) -> tuple[np.ndarray | None, list[str] | None]:
        return getattr(self, "groups", None), getattr(self, "group_names", None)

    def _export_columns(self, indices: np.ndarray) -> dict[str, Any]:
        columns: dict[str, Any] = {}
        scores, captions = getattr(self, "scores", None), getattr(self, "captions", None)
        if scores is not None:
            columns[getattr(self, "score_name", "score")] = np.asarray(scores)[indices]
        if captions is not None:
            columns["caption"] = [captions[i] for i in indices.tolist()]
        return columns
