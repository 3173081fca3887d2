"""Automatic core/spurious suggestions from an image-text model (optional extra `concepts`).

Each (class, feature) pair's most activating images of the class are compared with text
concepts ("a digit", "red colour", "blue background", ...) by a CLIP-like `transformers`
model that the user passes together with its processor. The best-matching concept names the
feature; if the user listed that concept as one of the class's object concepts, the feature
is suggested "core", otherwise "spurious". Suggestions are only suggestions: a person
confirms them (`AnnotationStore.update(as_annotations(suggestions))`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .images import ImageSource
from .mislabel import embedding_tensor
from .validation import check_positive_int, resolve_device


def _check_concepts(concepts: Any) -> list[str]:
    if isinstance(concepts, str) or not isinstance(concepts, Sequence) or not concepts:
        raise ValueError(f"concepts must be a non-empty list of texts; got {concepts!r}")
    if not all(isinstance(c, str) and c for c in concepts):
        raise TypeError(f"concepts must all be non-empty strings; got {concepts!r}")
    return list(concepts)


@torch.no_grad()
def concept_similarity(
    model: Any, processor: Any, images: Any, concepts: Sequence[str], *, batch_size: int = 64, device: Any = "auto"
) -> np.ndarray:
    """(N, n_concepts) cosine similarity between each image and each text concept."""
    for attr in ("get_image_features", "get_text_features"):
        if not hasattr(model, attr):
            raise TypeError(f"model must be a CLIP-like transformers model with {attr}(); got {type(model).__name__}")
    concepts = _check_concepts(concepts)
    batch_size = check_positive_int(batch_size, "batch_size")
    source = ImageSource(images)
    device = resolve_device(device)
    model = model.to(device).eval()
    text = processor(text=concepts, return_tensors="pt", padding=True)
    text_emb = embedding_tensor(model.get_text_features(**{k: v.to(device) for k, v in text.items()}))
    text_emb = torch.nn.functional.normalize(text_emb, dim=-1)
    out = []
    for start in range(0, len(source), batch_size):
        batch = source.uint8(np.arange(start, min(start + batch_size, len(source))))
        pixels = processor(images=list(batch), return_tensors="pt")["pixel_values"].to(device)
        image_emb = torch.nn.functional.normalize(
            embedding_tensor(model.get_image_features(pixel_values=pixels)), dim=-1
        )
        out.append((image_emb @ text_emb.T).float().cpu().numpy())
    return np.concatenate(out)


def suggest_annotations(
    ranker: Any,
    features: Any,
    labels: Any,
    images: Any,
    model: Any,
    processor: Any,
    concepts: Sequence[str],
    object_concepts: Mapping[int, Sequence[str]],
    *,
    k: int = 5,
    device: Any = "auto",
) -> dict[int, dict[int, dict[str, Any]]]:
    """Suggest core/spurious for every class's top features.

    object_concepts: {class: concepts that ARE the class object}, each among `concepts`.
    Returns {class: {feature: {"label": "core" | "spurious", "concept": best concept,
    "scores": {concept: mean similarity over the feature's k most activating images}}}}.
    """
    concepts = _check_concepts(concepts)
    for cls, names in object_concepts.items():
        ranker.check_class(cls)
        unknown = [n for n in names if n not in concepts]
        if unknown:
            raise ValueError(f"object_concepts of class {cls} name {unknown} which are not in concepts {concepts}")
    source = ImageSource(images)
    if len(source) != len(features):
        raise ValueError(f"images has {len(source)} entries but features has {len(features)}; expected one per sample")
    pairs = [(c, int(f)) for c, feats in ranker.top_features_.items() for f in feats]
    tops = {pair: ranker.extreme_images(features, labels, pair[0], pair[1], k=k)[0] for pair in pairs}
    needed = np.unique(np.concatenate(list(tops.values()))) if tops else np.empty(0, dtype=np.int64)
    similarity = concept_similarity(model, processor, source.uint8(needed), concepts, device=device)
    row_of = {int(i): r for r, i in enumerate(needed)}
    suggestions: dict[int, dict[int, dict[str, Any]]] = {}
    for (cls, feature), top in tops.items():
        scores = similarity[[row_of[int(i)] for i in top]].mean(0)
        best = concepts[int(scores.argmax())]
        label = "core" if best in object_concepts.get(cls, ()) else "spurious"
        suggestions.setdefault(cls, {})[feature] = {
            "label": label,
            "concept": best,
            "scores": {c: float(s) for c, s in zip(concepts, scores)},
        }
    return suggestions


def as_annotations(suggestions: Mapping[int, Mapping[int, Mapping[str, Any]]]) -> dict[int, dict[int, str]]:
    """{class: {feature: label}} from `suggest_annotations`, for `AnnotationStore.update`."""
    return {cls: {f: s["label"] for f, s in feats.items()} for cls, feats in suggestions.items()}
