"""ClusterGallery: one section per cluster (size, class mix, thumbnails), markable by click.

`marked` (dict cluster id -> tag, e.g. {3: "minority"}) is synced both ways: clicking a tag
button in the browser sets it, and assigning it in Python updates the buttons. A section
shows `n_thumbs` thumbnails (the `thumbnails` trait); "Show more" expands it to `max_thumbs`:
the extra thumbnails of that one cluster are encoded on demand and travel as one custom
message `{"kind": "more", "cluster", "indices"}` with the PNGs as binary buffers, so a click
never re-sends the other clusters' pictures. A view that opens with expanded sections asks
for their extras with `{"kind": "need-more", "clusters": [...]}`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..compute.images import ImageSource
from ..compute.validation import check_labels, check_positive_int, to_numpy
from ._base import SpurWidget, css_source, encode_thumbnails, esm_source
from .cluster_exports import ClusterGalleryExport
from .image_gallery import check_indices

DEFAULT_TAGS = ("minority", "majority")


def _marked_to_json(value: dict, _widget: Any) -> dict:
    return {str(k): v for k, v in value.items()}


def _marked_from_json(value: dict, _widget: Any) -> dict:
    return {int(k): v for k, v in (value or {}).items()}


class ClusterGallery(ClusterGalleryExport, SpurWidget):
    """Clusters of images as sections; click a tag to mark a cluster.

    `ClusterGallery(images, clusters, labels=None, indices=None, class_names=None, *,
    tags=("minority", "majority"), n_thumbs=8, max_thumbs=48, thumb_size=56)`.
    `images`: any form `ImageSource` accepts. `indices`: the images shown (default: all of
    `images`, in order); `clusters`: the cluster id of each shown image (e.g. MID's
    `window_clusters_` with `indices=mid.window_`). `labels` (one per image of `images`, or
    one per shown image) give each section's class mix. `marked`: dict cluster -> tag.
    """

    sections = traitlets.List(traitlets.Dict(), help="per cluster: id, size, class mix").tag(sync=True)
    thumbnails = traitlets.Dict(help="cluster id (str) -> PNG bytes of its first n_thumbs thumbnails").tag(sync=True)
    thumb_indices = traitlets.Dict(help="cluster id (str) -> image index of each thumbnail").tag(sync=True)
    expanded = traitlets.List(traitlets.Int(), help="cluster ids whose sections show max_thumbs").tag(sync=True)
    marked: traitlets.Dict[Any, Any] = traitlets.Dict(help="cluster id -> tag chosen by the user").tag(
        sync=True, to_json=_marked_to_json, from_json=_marked_from_json
    )
    tags = traitlets.List(traitlets.Unicode(), help="tags a cluster can be marked with").tag(sync=True)
    thumb_size = traitlets.Int(56, help="thumbnail side in CSS pixels").tag(sync=True)
    n_thumbs = traitlets.Int(8, help="thumbnails per collapsed section").tag(sync=True)

    _esm = esm_source("cluster_gallery.js")
    _css = css_source("cluster_gallery.css")

    def __init__(
        self,
        images: Any,
        clusters: Any,
        labels: Any = None,
        indices: Any = None,
        class_names: Any = None,
        *,
        tags: Any = DEFAULT_TAGS,
        n_thumbs: int = 8,
        max_thumbs: int = 48,
        thumb_size: int = 56,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source = ImageSource(images)
        tags = [str(t) for t in tags]
        if not tags or len(set(tags)) != len(tags):
            raise ValueError(f"tags must be a non-empty list of distinct strings; got {tags!r}")
        self.tags = tags
        self.n_thumbs = check_positive_int(n_thumbs, "n_thumbs")
        self.max_thumbs = max(self.n_thumbs, check_positive_int(max_thumbs, "max_thumbs"))
        self.thumb_size = check_positive_int(thumb_size, "thumb_size", minimum=16)
        class_names = getattr(images, "class_names", None) if class_names is None else class_names
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        self._cache: dict[int, list[bytes]] = {}
        self._expanded_sent: set[int] = set()
        self.set_clusters(clusters, indices=indices, labels=labels)
        self.observe(self.guard(self._on_expanded), "expanded")
        self.on_msg(self._on_view_message)

    def set_clusters(self, clusters: Any, indices: Any = None, labels: Any = None) -> None:
        """Show new clusters (same images); marks of clusters that no longer exist are dropped."""
        n_images = len(self.source)
        self.indices = np.arange(n_images, dtype=np.int64) if indices is None else check_indices(indices, n_images)
        clusters_array = to_numpy(clusters, "clusters").reshape(-1) if clusters is not None else None
        if clusters_array is None or clusters_array.dtype.kind not in "iu":
            raise TypeError(f"clusters must be an integer array (one cluster id per shown image); got {clusters!r:.80}")
        if len(clusters_array) != len(self.indices):
            raise ValueError(
                f"clusters has {len(clusters_array)} entries but {len(self.indices)} images are shown "
                "(one cluster id per shown image; pass indices= to show a subset of images)"
            )
        self.clusters = clusters_array.astype(np.int64)
        self.labels = self._shown_labels(labels)
        self._cache = {}
        ids = np.unique(self.clusters)
        self._members = {int(c): self.indices[self.clusters == c] for c in ids}
        with self.hold_sync():
            self.sections = [self._section(int(c)) for c in ids]
            self.marked = {k: v for k, v in self.marked.items() if k in self._members}
            self._send_thumbnails()
            self._expanded_sent = set(self.expanded)  # nothing is sent inside the held update
            self.expanded = [c for c in self.expanded if c in self._members]
        # After the held state update, which makes the browser drop the old clusters' extras.
        self._expanded_sent = set()
        self._on_expanded()

    def _shown_labels(self, labels: Any) -> np.ndarray | None:
        if labels is None:
            if self.source.labels is None:
                return None
            return np.asarray(self.source.labels)[self.indices]
        if len(labels) == len(self.indices):
            return check_labels(labels, "labels", n=len(self.indices))
        return check_labels(labels, "labels", n=len(self.source))[self.indices]

    def _section(self, cluster: int) -> dict[str, Any]:
        members = self.clusters == cluster
        mix: list[list[Any]] = []
        if self.labels is not None:
            values, counts = np.unique(self.labels[members], return_counts=True)
            for v, c in sorted(zip(values.tolist(), counts.tolist()), key=lambda vc: -vc[1]):
                name = self.class_names[v] if self.class_names and v < len(self.class_names) else str(v)
                mix.append([name, int(c)])
        return {"cluster": cluster, "size": int(members.sum()), "class_mix": mix}

    @traitlets.validate("marked")
    def _validate_marked(self, proposal: dict[str, Any]) -> dict[int, str]:
        out = {}
        for key, tag in dict(proposal["value"]).items():
            try:
                cluster = int(key)
            except (TypeError, ValueError):
                raise TypeError(f"marked keys must be cluster ids (int); got {key!r}") from None
            if cluster not in getattr(self, "_members", {}):
                raise ValueError(
                    f"marked names cluster {cluster}, which is not shown; clusters: {sorted(self._members)}"
                )
            if tag not in self.tags:
                raise ValueError(f"marked[{cluster}] must be one of {self.tags}; got {tag!r}")
            out[cluster] = str(tag)
        return out

    def clusters_tagged(self, tag: str) -> list[int]:
        """Sorted cluster ids marked with `tag` (e.g. `gallery.clusters_tagged("minority")`)."""
        return sorted(c for c, t in self.marked.items() if t == tag)

    def _thumbs(self, cluster: int, count: int) -> list[bytes]:
        cached = self._cache.get(cluster, [])
        if len(cached) < count:
            members = self._members[cluster][len(cached) : count]
            cached = cached + encode_thumbnails(self.source.uint8(members), self.thumb_size)
            self._cache[cluster] = cached
        return cached[:count]

    def _send_thumbnails(self) -> None:
        thumbs, ids = {}, {}
        for cluster, members in self._members.items():
            count = min(len(members), self.n_thumbs)
            thumbs[str(cluster)] = self._thumbs(cluster, count)
            ids[str(cluster)] = members[:count].tolist()
        with self.hold_sync():
            self.thumbnails = thumbs
            self.thumb_indices = ids

    def extra_thumbnails(self, cluster: int) -> tuple[list[int], list[bytes]]:
        """(image indices, PNGs) that "Show more" adds to a section: thumbnails n_thumbs..max_thumbs."""
        members = self._members[int(cluster)]
        count = min(len(members), self.max_thumbs)
        return members[self.n_thumbs : count].tolist(), self._thumbs(int(cluster), count)[self.n_thumbs :]

    def _send_more(self, clusters: Any) -> None:
        for cluster in clusters:
            if int(cluster) in self._members:
                indices, pngs = self.extra_thumbnails(int(cluster))
                self.send({"kind": "more", "cluster": int(cluster), "indices": indices}, pngs)

    def _on_expanded(self, _change: Any = None) -> None:
        """Send the extras of newly expanded sections only (collapsing sends nothing)."""
        if not hasattr(self, "_members"):
            return
        self._send_more([c for c in self.expanded if c not in self._expanded_sent])
        self._expanded_sent = set(self.expanded)

    def _on_view_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("kind") == "need-more":
            self.guard(self._send_more)([int(c) for c in content.get("clusters", [])])
