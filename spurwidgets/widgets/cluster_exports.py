"""ClusterGallery's exports: the images of chosen clusters, with their `cluster` and `tag`.

See `exports.py` for `to_pandas` / `export_images`; this mixin adds `clusters=` and `tag=`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .exports import SelectionExport, check_indices


class ClusterGalleryExport(SelectionExport):
    """ClusterGallery: images of chosen clusters, with `cluster` and `tag` (the mark, "" if none).

    `to_pandas(clusters=None, tag=None)` / `export_images(folder, clusters=None, tag=None)`:
    `tag="minority"` takes the clusters marked so, `clusters=[...]` names them; neither takes
    every marked cluster (the gallery's "selection"). `indices=` picks shown images directly.
    """

    source: Any  # attributes of ClusterGallery (for type checkers)
    indices: np.ndarray
    clusters: np.ndarray
    marked: Any
    tags: Any
    _members: dict[int, np.ndarray]

    def _export_size(self) -> int:
        return len(self.source)

    def _cluster_of(self) -> dict[int, int]:
        return dict(zip(self.indices.tolist(), self.clusters.tolist()))

    def _export_labels(self) -> np.ndarray | None:
        shown = getattr(self, "labels", None)  # one per shown image
        if shown is None:
            return None
        labels = np.zeros(self._export_size(), dtype=np.int64)
        labels[self.indices] = shown
        return labels

    def _export_selection(self) -> np.ndarray:
        return self.cluster_indices(clusters=None, tag=None)

    def _shown_only(self, indices: Any) -> np.ndarray:
        chosen = check_indices(indices, self._export_size())
        hidden = np.setdiff1d(chosen, self.indices)
        if hidden.size:
            raise ValueError(f"indices must be images the gallery shows; {hidden[:5].tolist()} are not shown")
        return chosen

    def cluster_indices(self, clusters: Any = None, tag: str | None = None) -> np.ndarray:
        """Sorted image indices of `clusters`, of the clusters marked `tag`, or of every marked one."""
        marked: dict[int, str] = dict(self.marked)
        members: dict[int, np.ndarray] = self._members
        if clusters is not None and tag is not None:
            raise ValueError("pass clusters= or tag=, not both")
        if tag is not None:
            tags = list(self.tags)
            if tag not in tags:
                raise ValueError(f"tag must be one of {tags}; got {tag!r}")
            chosen = [c for c, t in marked.items() if t == tag]
        elif clusters is not None:
            chosen = [int(c) for c in np.asarray(clusters).reshape(-1).tolist()]
            unknown = sorted(set(chosen) - set(members))
            if unknown:
                raise ValueError(f"clusters {unknown} are not shown; clusters: {sorted(members)}")
        else:
            chosen = list(marked)
        parts = [members[c] for c in chosen] or [np.zeros(0, dtype=np.int64)]
        return np.unique(np.concatenate(parts)).astype(np.int64)

    def _export_columns(self, indices: np.ndarray) -> dict[str, Any]:
        cluster_of, marked = self._cluster_of(), dict(self.marked)
        clusters = [cluster_of.get(i, -1) for i in indices.tolist()]
        return {
            "cluster": np.asarray(clusters, dtype=np.int64),
            "tag": [marked.get(c, "") for c in clusters],
        }

    def to_pandas(  # type: ignore[override]
        self,
        indices: Any = None,
        *,
        clusters: Any = None,
        tag: str | None = None,
        images: Any = None,
        labels: Any = None,
        groups: Any = None,
    ) -> Any:
        if indices is None and (clusters is not None or tag is not None):
            indices = self.cluster_indices(clusters, tag)
        elif indices is not None:
            indices = self._shown_only(indices)
        return super().to_pandas(indices, images=images, labels=labels, groups=groups)

    def export_images(  # type: ignore[override]
        self,
        folder: Any,
        indices: Any = None,
        *,
        clusters: Any = None,
        tag: str | None = None,
        images: Any = None,
        labels: Any = None,
    ) -> list[Path]:
        if indices is None and (clusters is not None or tag is not None):
            indices = self.cluster_indices(clusters, tag)
        elif indices is not None:
            indices = self._shown_only(indices)
        return super().export_images(folder, indices, images=images, labels=labels)
