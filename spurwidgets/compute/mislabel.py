"""Mislabel filters for the MID window (samples whose given label is probably wrong).

Three built-ins, all usable as `MID(mislabel_filter=...)`:
- `confident_mislabels`: confident-learning style. Out-of-fold probabilities from a
  cross-validated linear probe (`refit_head`) on the features; a sample is flagged when the
  probability of its given label is below that class's average self-confidence and another
  class's probability reaches that other class's average self-confidence.
- `ZeroShotFilter`: a CLIP-like image-text model from `transformers` that the user passes
  (with its processor) scores each window image against one prompt per class; a sample is
  flagged when the zero-shot prediction disagrees with its label with probability >= threshold.
- `ITMFilter`: the paper's choice, BLIP image-text matching (`BlipForImageTextRetrieval` and
  its `BlipProcessor`, passed by the user): each window image is matched against every class
  prompt with the ITM head; the match probabilities, normalised over the classes, are the class
  probabilities, and the same rule as `ZeroShotFilter` flags the sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .images import ImageSource
from .refit import refit_head
from .validation import (
    check_features,
    check_fraction,
    check_labels,
    check_positive_int,
    check_random_state,
    resolve_device,
)


def out_of_fold_proba(
    features: Any, labels: Any, *, n_folds: int = 5, C: float = 1.0, random_state: Any = 0, device: Any = "auto"
) -> np.ndarray:
    """(N, n_classes) probabilities of a linear probe, each sample predicted by the fold that did not see it."""
    features = check_features(features)
    labels = check_labels(labels, "labels", n=len(features))
    n_folds = check_positive_int(n_folds, "n_folds", minimum=2)
    rng = check_random_state(random_state)
    classes = np.unique(labels)
    fold = np.empty(len(labels), dtype=np.int64)
    for cls in classes:  # stratified folds
        members = rng.permutation(np.flatnonzero(labels == cls))
        fold[members] = np.arange(len(members)) % n_folds
    proba = np.zeros((len(labels), len(classes)), dtype=np.float64)
    for k in range(n_folds):
        test = fold == k
        train = ~test
        if not test.any():
            continue
        if len(np.unique(labels[train])) < len(classes):
            raise ValueError(f"a class has fewer than 2 samples, too few for {n_folds}-fold cross-validation")
        head = refit_head(features[train], labels[train], C=C, device=device)
        proba[test] = head.predict_proba(features[test])
    return proba


def confident_mislabels(
    features: Any, labels: Any, *, n_folds: int = 5, C: float = 1.0, random_state: Any = 0, device: Any = "auto"
) -> np.ndarray:
    """Boolean mask (N,): True where the given label is likely wrong (confident-learning rule)."""
    labels = check_labels(labels, "labels")
    proba = out_of_fold_proba(features, labels, n_folds=n_folds, C=C, random_state=random_state, device=device)
    classes, encoded = np.unique(labels, return_inverse=True)
    # Per-class threshold: the mean probability of class j among the samples labelled j.
    thresholds = np.array([proba[encoded == j, j].mean() for j in range(len(classes))])
    self_confidence = proba[np.arange(len(labels)), encoded]
    above = proba >= thresholds[None, :]
    above[np.arange(len(labels)), encoded] = False
    return (self_confidence < thresholds[encoded]) & above.any(1)


def window_mislabels(
    mislabel_filter: Any, features: np.ndarray, labels: np.ndarray, window: np.ndarray, random_state: Any = 0
) -> np.ndarray:
    """`MID(mislabel_filter=...)` applied to the window: a boolean mask over `window`, True =
    likely mislabelled. mislabel_filter: None (nothing flagged), "confident"
    (`confident_mislabels` with `random_state`) or a callable `f(features, labels, window)`."""
    if mislabel_filter is None:
        return np.zeros(len(window), dtype=bool)
    if isinstance(mislabel_filter, str):
        if mislabel_filter != "confident":
            raise ValueError(f"mislabel_filter must be None, 'confident' or a callable; got {mislabel_filter!r}")
        return confident_mislabels(features, labels, random_state=random_state)[window]
    if not callable(mislabel_filter):
        raise TypeError(
            f"mislabel_filter must be None, 'confident' or a callable; got {type(mislabel_filter).__name__}"
        )
    mask = np.asarray(mislabel_filter(features, labels, window))
    if mask.shape != (len(window),) or mask.dtype != bool:
        raise ValueError(
            f"mislabel_filter must return a boolean mask of shape ({len(window)},) over the window; "
            f"got shape {mask.shape} and dtype {mask.dtype}"
        )
    return mask


class ZeroShotFilter:
    """Flag window samples whose label a zero-shot image-text model disagrees with.

    model: a transformers CLIP-like model with `get_image_features` and `get_text_features`
        (e.g. `CLIPModel`); processor: its processor (tokenizer + image processor).
    images: the images of the fitted samples (anything `ImageSource` accepts), same order.
    prompts: one text per class, e.g. ["a photo of the digit zero", ...].
    threshold: flag when the zero-shot probability of some other class is >= threshold.
    """

    def __init__(
        self,
        model: Any,
        processor: Any,
        images: Any,
        prompts: Sequence[str],
        *,
        threshold: float = 0.5,
        batch_size: int = 64,
        device: Any = "auto",
    ):
        self._check_model(model)
        if isinstance(prompts, str) or len(prompts) < 2:
            raise ValueError(f"prompts must be a list of one text per class (at least 2); got {prompts!r}")
        self.model = model
        self.processor = processor
        self.source = ImageSource(images, name="images")
        self.prompts = list(prompts)
        self.threshold = check_fraction(threshold, "threshold")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.device = device

    @staticmethod
    def _check_model(model: Any) -> None:
        for attr in ("get_image_features", "get_text_features"):
            if not hasattr(model, attr):
                raise TypeError(
                    f"model must be a CLIP-like transformers model with {attr}(); got {type(model).__name__}"
                )

    @torch.no_grad()
    def zero_shot_proba(self, indices: np.ndarray) -> np.ndarray:
        """(len(indices), n_prompts) zero-shot class probabilities of the given images."""
        device = resolve_device(self.device)
        model = self.model.to(device).eval()
        text = self.processor(text=self.prompts, return_tensors="pt", padding=True)
        text_emb = embedding_tensor(model.get_text_features(**{k: v.to(device) for k, v in text.items()}))
        text_emb = torch.nn.functional.normalize(text_emb, dim=-1)
        scale = model.logit_scale.exp() if hasattr(model, "logit_scale") else torch.tensor(100.0)
        out = []
        for start in range(0, len(indices), self.batch_size):
            batch = self.source.uint8(indices[start : start + self.batch_size])
            pixels = self.processor(images=list(batch), return_tensors="pt")["pixel_values"].to(device)
            image_emb = torch.nn.functional.normalize(
                embedding_tensor(model.get_image_features(pixel_values=pixels)), dim=-1
            )
            out.append(torch.softmax(scale * image_emb @ text_emb.T, dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.prompts)))

    def class_proba(self, indices: np.ndarray) -> np.ndarray:
        """(len(indices), n_prompts) class probabilities the filter judges the labels by."""
        return self.zero_shot_proba(indices)

    def __call__(self, features: np.ndarray, labels: np.ndarray, window: np.ndarray) -> np.ndarray:
        if len(self.source) != len(labels):
            raise ValueError(
                f"{type(self).__name__} images has {len(self.source)} entries but MID was fitted on {len(labels)} samples"
            )
        if labels.max() >= len(self.prompts):
            raise ValueError(f"prompts has {len(self.prompts)} texts but labels go up to class {labels.max()}")
        proba = self.class_proba(np.asarray(window))
        others = proba.copy()
        others[np.arange(len(window)), labels[window]] = 0.0
        return others.max(1) >= self.threshold


class ITMFilter(ZeroShotFilter):
    """Flag window samples whose label BLIP image-text matching disagrees with (the paper's filter).

    model: a transformers `BlipForImageTextRetrieval` (anything called as
        `model(pixel_values=, input_ids=, attention_mask=, use_itm_head=True)` returning
        `itm_score` (B, 2) logits of no-match/match); processor: its `BlipProcessor`.
    images, prompts, threshold, batch_size, device: as for `ZeroShotFilter`. Every window image
    is scored against every prompt; the match probabilities, divided by their sum over the
    prompts, are the class probabilities; a sample is flagged when some other class's reaches
    `threshold`.
    """

    @staticmethod
    def _check_model(model: Any) -> None:
        if not hasattr(model, "itm_head"):
            raise TypeError(
                f"model must be a BLIP image-text matching model (BlipForImageTextRetrieval); got {type(model).__name__}"
            )

    @torch.no_grad()
    def match_proba(self, indices: np.ndarray) -> np.ndarray:
        """(len(indices), n_prompts) probability that each image matches each prompt (ITM head)."""
        device = resolve_device(self.device)
        model = self.model.to(device).eval()
        text = self.processor(text=self.prompts, return_tensors="pt", padding=True)
        ids, mask = text["input_ids"].to(device), text["attention_mask"].to(device)
        n_prompts, out = len(self.prompts), []
        for start in range(0, len(indices), self.batch_size):
            batch = self.source.uint8(indices[start : start + self.batch_size])
            pixels = self.processor(images=list(batch), return_tensors="pt")["pixel_values"].to(device)
            scores = model(
                pixel_values=pixels.repeat_interleave(n_prompts, 0),
                input_ids=ids.repeat(len(batch), 1),
                attention_mask=mask.repeat(len(batch), 1),
                use_itm_head=True,
            )
            scores = scores["itm_score"] if hasattr(scores, "keys") else scores[0]
            match = torch.softmax(scores.float(), dim=-1)[:, 1].reshape(len(batch), n_prompts)
            out.append(match.cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, n_prompts))

    def class_proba(self, indices: np.ndarray) -> np.ndarray:
        match = self.match_proba(indices)
        return match / np.maximum(match.sum(1, keepdims=True), 1e-12)


def embedding_tensor(output: Any) -> torch.Tensor:
    """transformers >= 5 may return a model output object instead of a tensor."""
    if isinstance(output, torch.Tensor):
        return output
    for name in ("pooler_output", "image_embeds", "text_embeds"):
        value = getattr(output, name, None)
        if isinstance(value, torch.Tensor):
            return value
    raise TypeError(f"unexpected output of the image-text model: {type(output).__name__}")
