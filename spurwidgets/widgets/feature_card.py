"""FeatureCard: one (class, feature) of a SpuriosityRanker, to look at and annotate.

Shows the class's k most and k least activating images of the feature, where it fires
(activation-map or input-gradient heatmaps), a feature attack (the top images after a few
gradient-ascent steps that amplify the feature), the importance value, and a core/spurious
toggle. Every toggle is written at once to the annotations JSON file (AnnotationStore).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..compute.activation_maps import feature_visuals
from ..compute.annotations import AnnotationStore
from ..compute.extract import extract
from ..compute.images import ImageSource
from ._base import SpurWidget, css_source, encode_thumbnails, esm_source

VIEWS = ("images", "heatmaps", "attacks")


def _pngs(pictures: np.ndarray | None, size: int) -> list[bytes]:
    return [] if pictures is None else encode_thumbnails(pictures, size)


def card_payload(
    ranker: Any,
    cls: int,
    feature: int,
    source: ImageSource,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    model: Any = None,
    layer: str | None = "features",
    k: int = 5,
    thumb_size: int = 64,
    attack: bool = True,
    device: Any = "auto",
) -> dict[str, Any]:
    """The `card` trait of one (class, feature): PNG thumbnails, values and importance."""
    cls, feature = ranker.check_class(cls), ranker.check_feature(feature)
    top, bottom = ranker.extreme_images(features, labels, cls, feature, k=k)
    order = np.concatenate([top, bottom])
    visuals = feature_visuals(
        model, source.float_images(order), feature, layer=layer, attack=attack and model is not None, device=device
    )
    pictures, heat, attacked = visuals["pictures"], visuals["heatmaps"], visuals["attacks"]
    assert pictures is not None
    top_list = [int(f) for f in ranker.top_features_.get(cls, [])]
    rank = f" (#{top_list.index(feature) + 1} for this class)" if feature in top_list else ""
    return {
        "cls": cls,
        "feature": feature,
        "title": f"feature {feature}{rank}",
        "importance": float(ranker.importance_[cls, feature]),
        "top": _pngs(pictures[: len(top)], thumb_size),
        "bottom": _pngs(pictures[len(top) :], thumb_size),
        "top_heat": [] if heat is None else _pngs(heat[: len(top)], thumb_size),
        "bottom_heat": [] if heat is None else _pngs(heat[len(top) :], thumb_size),
        "top_attack": [] if attacked is None else _pngs(attacked[: len(top)], thumb_size),
        "top_values": [float(v) for v in features[top, feature]],
        "bottom_values": [float(v) for v in features[bottom, feature]],
        "top_indices": top.tolist(),
        "bottom_indices": bottom.tolist(),
    }


def resolve_store(ranker: Any, store: AnnotationStore | None, annotations_path: Any) -> AnnotationStore:
    """The store given, else one on `annotations_path` (None: in memory) sized for the ranker."""
    if store is not None:
        if not isinstance(store, AnnotationStore):
            raise TypeError(f"store must be an AnnotationStore; got {type(store).__name__}")
        if (store.n_classes, store.n_features) != (ranker.n_classes_, ranker.n_features_in_):
            raise ValueError(
                f"store is sized for {store.n_classes} classes x {store.n_features} features but the ranker "
                f"has {ranker.n_classes_} x {ranker.n_features_in_}"
            )
        return store
    return AnnotationStore.for_ranker(ranker, annotations_path)


class FeatureCard(SpurWidget):
    """`FeatureCard(ranker, cls, feature, images, *, features=None, labels=None, model=None, ...)`.

    images: the images the ranker's features came from (any accepted form; an ImageSet also
        gives the labels). features: their (N, D) features; computed with `extract(model, ...)`
        when omitted. model: needed for heatmaps and feature attacks (`layer` = conv module
        whose channels are the features, e.g. SmallCNN's "features"; None = gradient maps).
    store / annotations_path: where the core/spurious toggle is saved (default: in memory).
    The toggle is the `annotation` trait ("", "core" or "spurious"), synced both ways.
    """

    card = traitlets.Dict(help="what the card shows: thumbnails (PNG bytes), values, importance").tag(sync=True)
    annotation = traitlets.Unicode("", help='"", "core" or "spurious"; saved to the store on change').tag(sync=True)
    view = traitlets.Unicode("images", help='"images", "heatmaps" or "attacks"').tag(sync=True)

    _esm = esm_source("feature_card_draw.js", "feature_card.js")
    _css = css_source("feature_card.css")

    def __init__(
        self,
        ranker: Any,
        cls: int,
        feature: int,
        images: Any,
        *,
        features: Any = None,
        labels: Any = None,
        model: Any = None,
        layer: str | None = "features",
        store: AnnotationStore | None = None,
        annotations_path: Any = None,
        k: int = 5,
        thumb_size: int = 64,
        attack: bool = True,
        device: Any = "auto",
        **kwargs: Any,
    ) -> None:
        source = ImageSource(images)
        labels = source.labels if labels is None else np.asarray(labels)
        if labels is None:
            raise ValueError("labels are needed: pass an ImageSet or labels=")
        if features is None:
            if model is None:
                raise ValueError("pass features= (the ranker's features of these images) or model= to compute them")
            features = extract(model, images, device=device).features
        resolved_store = resolve_store(ranker, store, annotations_path)
        payload = card_payload(
            ranker, cls, feature, source, np.asarray(features), labels, model=model, layer=layer, k=k,
            thumb_size=thumb_size, attack=attack, device=device,
        )  # fmt: skip
        super().__init__(**kwargs)
        self.ranker, self.store = ranker, resolved_store
        self.card, self.annotation = payload, self.store.get(cls, feature) or ""
        self.observe(self.guard(self._on_annotation), "annotation")
        self.observe(self.guard(self._on_view), "view")

    @property
    def cls(self) -> int:
        return int(self.card["cls"])

    @property
    def feature(self) -> int:
        return int(self.card["feature"])

    # Callbacks read the trait itself: `guard` wrappers are called with the change's name only.
    def _on_annotation(self, _change: Any = None) -> None:
        label = self.annotation
        try:
            if label:
                self.store.set(self.cls, self.feature, label)
            else:
                self.store.clear(self.cls, self.feature)
        except Exception:
            self.annotation = self.store.get(self.cls, self.feature) or ""  # show what is really saved
            raise

    def _on_view(self, _change: Any = None) -> None:
        if self.view not in VIEWS:
            bad, self.view = self.view, "images"
            raise ValueError(f"view must be one of {list(VIEWS)}; got {bad!r}")
