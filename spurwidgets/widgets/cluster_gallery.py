"""ClusterGallery: one section per cluster (size, class mix, thumbnails), markable by click.

`marked` (dict cluster id -> tag, e.g. {3: "minority"}) is synced both ways: clicking a tag
button in the browser sets it, and assigning it in Python updates the buttons. A section
shows `n_thumbs` thumbnails (the `thumbnails` trait); "Show more" expands it to `max_thumbs`:
the extra thumbnails of that one cluster are encoded on demand and travel as one custom
message `{"kind": "more", "cluster", "indices"}` with the PNGs as binary buffers, so a click
never re-sends the other clusters' pictures. A view that opens with expanded sections asks
for their extras with `{"kind": "need-more", "clusters": [...]}`.

Thumbnails are keyed by image index (`thumbnails`: index -> PNG, `thumb_indices`: cluster ->
indices), so the browser can keep the pictures it already has. Once a view says it keeps
such a cache (`{"kind": "cache"}`), new clusters (an MIDExplorer drag) send only the PNGs
of images that view has not received, as `{"kind": "thumbs", "indices"}` + PNG buffers;
the `thumbnails` trait is then updated in Python without being re-sent, so `get_state()`
(a view opened later, Voila, `embed_minimal_html`) still holds every shown thumbnail. A
view missing some (a second view of the same model) asks with `{"kind": "need-thumbs"}`.
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

#: PNGs a gallery keeps encoded (by image index) before it starts over.
MAX_CACHED_PNGS = 20_000


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
    `candidate_clusters_` with `indices=mid.candidates_`: the window plus the misclassified
    samples, so every cluster MID can flag has a section). `labels` (one per image of `images`, or
    one per shown image) give each section's class mix. `marked`: dict cluster -> tag.
    """

    sections = traitlets.List(traitlets.Dict(), help="per cluster: id, size, class mix").tag(sync=True)
    thumbnails = traitlets.Dict(help="image index (str) -> PNG bytes, every collapsed section's thumbnails").tag(
        sync=True
    )
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
        self._pngs: dict[int, bytes] = {}  # image index -> PNG, across set_clusters calls
        self._expanded_sent: set[int] = set()
        self._browser_cache = False  # a view keeps thumbnails by index: send only new ones
        self._browser_has: set[int] = set()
        self._silent: set[str] = set()
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
        ids = np.unique(self.clusters)
        held = np.fromiter(self._browser_has, dtype=np.int64, count=len(self._browser_has))
        self._members = {int(c): self._held_first(self.indices[self.clusters == c], held) for c in ids}
        with self.hold_sync():
            self.sections = [self._section(int(c)) for c in ids]
            self.marked = {k: v for k, v in self.marked.items() if k in self._members}
            self._send_thumbnails()
            self._expanded_sent = set(self.expanded)  # nothing is sent inside the held update
            self.expanded = [c for c in self.expanded if c in self._members]
        # After the held state update, which makes the browser drop the old clusters' extras.
        self._expanded_sent = set()
        self._on_expanded()

    def _held_first(self, members: np.ndarray, held: np.ndarray) -> np.ndarray:
        """A cluster's members in display order: those the view already holds first, then the
        others, each part in index order. Any members would do as a cluster's thumbnails; those
        the view holds cost nothing to show, and nearby windows keep showing the same ones."""
        if len(held) == 0:
            return members
        mask = np.isin(members, held)
        return np.concatenate([members[mask], members[~mask]])

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
        return self._encoded(self._members[cluster][:count])

    def _encoded(self, indices: Any) -> list[bytes]:
        """PNGs of images `indices`, each encoded once (kept while the gallery lives, up to
        MAX_CACHED_PNGS of them)."""
        missing = [int(i) for i in indices if int(i) not in self._pngs]
        if missing:
            if len(self._pngs) + len(missing) > MAX_CACHED_PNGS:
                self._pngs = {}
                missing = [int(i) for i in indices]
            unique = list(dict.fromkeys(missing))
            self._pngs.update(zip(unique, encode_thumbnails(self.source.uint8(unique), self.thumb_size)))
        return [self._pngs[int(i)] for i in indices]

    def _send_thumbnails(self) -> None:
        ids = {str(c): m[: self.n_thumbs].tolist() for c, m in self._members.items()}
        shown = [i for indices in ids.values() for i in indices]
        thumbs = {str(i): png for i, png in zip(shown, self._encoded(shown))}
        with self.hold_sync():
            if self._browser_cache:
                self._send_pngs([i for i in shown if i not in self._browser_has])
                self._silent.add("thumbnails")  # the view has them all: keep the state, send nothing
                try:
                    self.thumbnails = thumbs
                finally:
                    self._silent.discard("thumbnails")
            else:
                self.thumbnails = thumbs
                self._browser_has = set(shown)
            self.thumb_indices = ids

    def _send_pngs(self, indices: list[int]) -> None:
        """One custom message with the PNGs of `indices` (the views add them to their caches)."""
        indices = list(dict.fromkeys(int(i) for i in indices))
        if indices:
            self.send({"kind": "thumbs", "indices": indices}, self._encoded(indices))
            self._browser_has.update(indices)

    def _should_send_property(self, key: str, value: Any) -> bool:
        if key in getattr(self, "_silent", ()):
            return False
        return super()._should_send_property(key, value)

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
        kind = content.get("kind") if isinstance(content, dict) else None
        if kind == "need-more":
            self.guard(self._send_more)([int(c) for c in content.get("clusters", [])])
        elif kind == "cache":  # the view keeps thumbnails by image index and reads "thumbs"
            self._browser_cache = True
        elif kind == "need-thumbs":  # a view without some shown thumbnails (opened later)
            shown = {int(i) for i in self.thumbnails}
            self.guard(self._send_pngs)([int(i) for i in content.get("indices", []) if int(i) in shown])
