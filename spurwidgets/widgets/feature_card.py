"""FeatureCard: one (class, feature) of a SpuriosityRanker, to look at and annotate.

Shows the class's k most and k least activating images of the feature, where it fires
(activation-map or input-gradient heatmaps, with their colour scale), a feature attack (the
top images after a few gradient-ascent steps that amplify the feature, with the activation
before and after), the importance value, and a core/spurious toggle. The title names the
class. Every toggle is written at once to the annotations JSON file (AnnotationStore).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from ..compute.activation_maps import feature_attack, feature_visuals, overlay
from ..compute.annotations import AnnotationStore
from ..compute.extract import extract
from ..compute.images import ImageSource
from ._base import SpurWidget, css_source, encode_thumbnails, esm_source

VIEWS = ("images", "heatmaps", "attacks")


def _pngs(pictures: np.ndarray | None, size: int) -> list[bytes]:
    return [] if pictures is None else encode_thumbnails(pictures, size)


def heat_scale(n_stops: int = 9) -> dict[str, Any]:
    """The heatmaps' colour scale: `overlay`'s colours at activation 0..1 (read off the function itself).

    Maps are normalised per image, so the scale reads "weakest .. strongest in this image".
    """
    levels = np.linspace(0.0, 1.0, n_stops, dtype=np.float32)
    colours = overlay(np.zeros((1, 1, n_stops, 3), np.uint8), levels[None, None, :], alpha=1.0)[0, 0]
    return {
        "colors": ["#{:02x}{:02x}{:02x}".format(*map(int, rgb)) for rgb in colours],
        "low": "weakest",
        "high": "strongest",
        "title": "activation, scaled per image",
    }


def class_title(cls: int, class_names: Any) -> str:
    """ "class <name>" (the number when no names are known)."""
    if class_names is not None and 0 <= cls < len(class_names):
        return f"class {class_names[cls]}"
    return f"class {cls}"


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
    class_names: Any = None,
) -> dict[str, Any]:
    """The `card` trait of one (class, feature): PNG thumbnails, values and importance.

    `attack_before` / `attack_after`: the feature's activation on each top image before and
    after the feature attack (the penultimate feature, as `feature_attack` measures it).
    """
    cls, feature = ranker.check_class(cls), ranker.check_feature(feature)
    top, bottom = ranker.extreme_images(features, labels, cls, feature, k=k)
    order = np.concatenate([top, bottom])
    visuals = feature_visuals(model, source.float_images(order), feature, layer=layer, attack=False, device=device)
    pictures, heat = visuals["pictures"], visuals["heatmaps"]
    assert pictures is not None
    attacked, before, after = None, np.zeros(0), np.zeros(0)
    if attack and model is not None:  # only the top images are shown attacked: attack only those
        attacked, before, after = feature_attack(model, source.float_images(top), feature, device=device)
    top_list = [int(f) for f in ranker.top_features_.get(cls, [])]
    rank = f" (#{top_list.index(feature) + 1} for this class)" if feature in top_list else ""
    return {
        "cls": cls,
        "feature": feature,
        "title": f"{class_title(cls, class_names)} · feature {feature}{rank}",
        "heat_scale": heat_scale() if heat is not None else {},
        "attack_before": [float(v) for v in before],
        "attack_after": [float(v) for v in after],
        "importance": float(ranker.importance_[cls, feature]),
        "top": _pngs(pictures[: len(top)], thumb_size),
        "bottom": _pngs(pictures[len(top) :], thumb_size),
        "top_heat": [] if heat is None else _pngs(heat[: len(top)], thumb_size),
        "bottom_heat": [] if heat is None else _pngs(heat[len(top) :], thumb_size),
        "top_attack": _pngs(attacked, thumb_size),
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
    class_names: names of the classes for the title (default: an ImageSet's).
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
        class_names: Any = None,
        **kwargs: Any,
    ) -> None:
        source = ImageSource(images)
        class_names = getattr(images, "class_names", None) if class_names is None else list(class_names)
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
            thumb_size=thumb_size, attack=attack, device=device, class_names=class_names,
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
