"""Where a feature fires: activation maps, input-gradient maps, feature attacks, core crops.

* `activation_maps`: the feature's channel of a conv layer's output (for `SmallCNN`,
  layer "features" whose channels ARE the penultimate features), upsampled to the image.
  For ViTs, the patch tokens of a (N, T, D) layer output on the patch grid: with the final
  layernorm (HF ViT "vit.layernorm") channel i of every patch token is the same coordinate
  as feature i of the CLS token the head reads. `map_layer(model)` names that layer for
  the families it knows.
* `gradient_maps`: |d feature / d input|, for models whose features are not a conv channel.
* `feature_attack`: a few signed-gradient ascent steps on the input that amplify one feature.
* `core_crops`: average the core features' maps, keep pixels >= 0.9 of the max, take the
  bounding box, grow it 20% in height and width, make it square, crop.
All maps are normalised to [0, 1] per image; `overlay` paints them on the pictures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .extract import _Capture, eval_mode, extract, get_module, last_linear_name
from .images import ImageSource
from .model_io import pool_features, wants_pixel_values
from .validation import check_fraction, check_positive_int, resolve_device


def _normalise(maps: np.ndarray) -> np.ndarray:
    """Scale each map (N, H, W) to [0, 1]; constant maps become 0."""
    flat = maps.reshape(len(maps), -1)
    lo, hi = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return ((flat - lo) / span).reshape(maps.shape).astype(np.float32)


def _upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    tensor = torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32))[:, None]
    return F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)[:, 0].numpy()


def _check_feature_indices(features: Any, n: int) -> list[int]:
    feats = [features] if isinstance(features, (int, np.integer)) else list(features)
    if not feats:
        raise ValueError("features must name at least one feature")
    for f in feats:
        if isinstance(f, bool) or not isinstance(f, (int, np.integer)) or not 0 <= int(f) < n:
            raise ValueError(f"feature {f!r} does not exist; the layer has features 0..{n - 1}")
    return [int(f) for f in feats]


# Module names whose output channels are the head's input features (before pooling), by family.
MAP_LAYERS = (
    "features",  # spurwidgets SmallCNN
    "layer4",  # torchvision ResNets
    "vit.layernorm",  # HF ViT (patch tokens after the final layernorm)
    "resnet.encoder",  # HF ResNet
    "convnext.encoder",  # HF ConvNeXt (its layernorm follows the pooling)
)


def map_layer(model: nn.Module) -> str | None:
    """The module whose spatial (or patch-token) output holds the features, for known families; else None."""
    names = dict(model.named_modules())
    return next((name for name in MAP_LAYERS if name in names), None)


def activation_maps(
    model: nn.Module,
    images: Any,
    features: int | Sequence[int],
    *,
    layer: str = "features",
    device: Any = "auto",
    processor: Any = None,
) -> np.ndarray:
    """(N, H, W) maps in [0, 1]: mean over `features` of their channels of `layer`, upsampled.

    `layer` may give conv maps (N, K, h, w) or ViT-style tokens (N, T, D) (patch grid); `processor`
    is passed to `extract` (e.g. the model's Hugging Face image processor).
    """
    source = ImageSource(images)
    fs = extract(
        model,
        source.float_images(np.arange(len(source))),
        layer=layer,
        return_maps=True,
        device=device,
        processor=processor,
    )
    assert fs.maps is not None
    feats = _check_feature_indices(features, fs.maps.shape[1])
    height, width = source.uint8([0]).shape[1:3]
    return _normalise(_upsample(fs.maps[:, feats].mean(1), (height, width)))


def _feature_value(model: nn.Module, x: torch.Tensor, feature: int, layer: str | None) -> torch.Tensor:
    """(N,) differentiable activation of `feature` (pooled if the layer's output is 4-D)."""
    target = get_module(model, layer if layer is not None else last_linear_name(model))
    capture = _Capture(target, use_input=layer is None)
    try:
        model(pixel_values=x) if wants_pixel_values(model) else model(x)
    finally:
        capture.handle.remove()
    act = capture.value
    assert act is not None
    act = pool_features(act)
    _check_feature_indices(feature, act.shape[1])
    return act[:, feature]


def gradient_maps(
    model: nn.Module, images: Any, feature: int, *, layer: str | None = None, device: Any = "auto"
) -> np.ndarray:
    """(N, H, W) maps in [0, 1]: max over colour channels of |d feature / d pixel|."""
    source = ImageSource(images)
    device = resolve_device(device)
    x = source.float_images(np.arange(len(source))).to(device).requires_grad_(True)
    with eval_mode(model, device):
        value = _feature_value(model, x, feature, layer)
        (grad,) = torch.autograd.grad(value.sum(), x)
    return _normalise(grad.abs().amax(1).cpu().numpy())


def feature_attack(
    model: nn.Module,
    images: Any,
    feature: int,
    *,
    layer: str | None = None,
    steps: int = 10,
    step_size: float = 0.02,
    epsilon: float = 0.15,
    device: Any = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient ascent on the input that amplifies `feature`.

    Each step moves every pixel by `step_size` in the sign of the gradient, staying within
    `epsilon` of the original (L-inf) and inside [0, 1]. Returns (attacked uint8 images
    (N, H, W, 3), activation before (N,), activation after (N,)).
    """
    steps = check_positive_int(steps, "steps")
    step_size = check_fraction(step_size, "step_size")
    epsilon = check_fraction(epsilon, "epsilon")
    source = ImageSource(images)
    device = resolve_device(device)
    original = source.float_images(np.arange(len(source))).to(device)
    x = original.clone()
    with eval_mode(model, device):
        with torch.no_grad():
            before = _feature_value(model, original, feature, layer).cpu().numpy()
        for _ in range(steps):
            x.requires_grad_(True)
            (grad,) = torch.autograd.grad(_feature_value(model, x, feature, layer).sum(), x)
            with torch.no_grad():
                x = x + step_size * grad.sign()
                x = torch.min(torch.max(x, original - epsilon), original + epsilon).clamp(0, 1)
        with torch.no_grad():
            after = _feature_value(model, x, feature, layer).cpu().numpy()
    pictures = (x.detach().permute(0, 2, 3, 1).cpu().numpy() * 255).round().astype(np.uint8)
    return pictures, before, after


def overlay(images: Any, heatmaps: np.ndarray, *, alpha: float = 0.55) -> np.ndarray:
    """uint8 (N, H, W, 3): the pictures with a heatmap (blue-transparent .. red-yellow) on top."""
    pictures = ImageSource(images).uint8(np.arange(len(heatmaps))).astype(np.float32)
    if heatmaps.shape != pictures.shape[:3]:
        raise ValueError(f"heatmaps must have shape {pictures.shape[:3]} (one per image); got {heatmaps.shape}")
    h = np.clip(heatmaps, 0, 1)[..., None]
    # A small "hot" colormap: black -> red -> yellow -> white as the activation grows.
    colour = np.concatenate([np.clip(3 * h, 0, 1), np.clip(3 * h - 1, 0, 1), np.clip(3 * h - 2, 0, 1)], axis=-1) * 255
    weight = alpha * h  # only where the feature fires; cold pixels keep the original picture
    return np.round(pictures * (1 - weight) + colour * weight).astype(np.uint8)


def core_box(heatmap: np.ndarray, *, threshold: float = 0.9, expand: float = 0.2) -> tuple[int, int, int, int]:
    """(top, left, size, size) square box around the pixels >= threshold x max, grown by `expand`."""
    height, width = heatmap.shape
    peak = heatmap.max()
    mask = heatmap >= threshold * peak if peak > 0 else np.ones_like(heatmap, dtype=bool)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    box_h, box_w = (bottom - top) * (1 + expand), (right - left) * (1 + expand)
    side = int(round(min(max(box_h, box_w, 1), height, width)))
    centre_y, centre_x = (top + bottom) / 2, (left + right) / 2
    top = int(np.clip(round(centre_y - side / 2), 0, height - side))
    left = int(np.clip(round(centre_x - side / 2), 0, width - side))
    return top, left, side, side


def core_crops(
    model: nn.Module,
    images: Any,
    core_features: Sequence[int],
    *,
    layer: str = "features",
    threshold: float = 0.9,
    expand: float = 0.2,
    device: Any = "auto",
) -> tuple[list[np.ndarray], np.ndarray]:
    """Crops around where the core features fire: (list of uint8 (s, s, 3) crops, boxes (N, 4) top/left/h/w)."""
    threshold = check_fraction(threshold, "threshold")
    if expand < 0:
        raise ValueError(f"expand must be >= 0; got {expand}")
    source = ImageSource(images)
    maps = activation_maps(
        model, source.float_images(np.arange(len(source))), list(core_features), layer=layer, device=device
    )
    pictures = source.uint8(np.arange(len(source)))
    boxes = np.array([core_box(m, threshold=threshold, expand=expand) for m in maps], dtype=np.int64)
    crops = [pic[t : t + h, left : left + w].copy() for pic, (t, left, h, w) in zip(pictures, boxes)]
    return crops, boxes


def feature_visuals(
    model: nn.Module | None,
    images: Any,
    feature: int,
    *,
    layer: str | None = "features",
    attack: bool = True,
    attack_steps: int = 10,
    device: Any = "auto",
) -> dict[str, np.ndarray | None]:
    """What a feature card shows for some images: pictures, heatmap overlays, attacked pictures.

    `layer` names a conv module whose channel `feature` is the feature (SmallCNN: "features"),
    or a ViT-style token layer (HF ViT: "vit.layernorm"); "auto" picks `map_layer(model)`;
    `layer=None` (or "auto" for an unknown family) uses input-gradient maps of the penultimate
    feature instead. Without a model only the pictures are returned ("heatmaps" and "attacks"
    are None).
    """
    source = ImageSource(images)
    pictures = source.uint8(np.arange(len(source)))
    if model is None:
        return {"pictures": pictures, "heatmaps": None, "attacks": None}
    if layer == "auto":
        layer = map_layer(model)
    floats = source.float_images(np.arange(len(source)))
    if layer is not None:
        heat = activation_maps(model, floats, feature, layer=layer, device=device)
    else:
        heat = gradient_maps(model, floats, feature, device=device)
    attacked = feature_attack(model, floats, feature, steps=attack_steps, device=device)[0] if attack else None
    return {"pictures": pictures, "heatmaps": overlay(pictures, heat), "attacks": attacked}
