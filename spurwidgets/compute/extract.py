"""Feature and logit extraction from any `torch.nn.Module` with forward hooks."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .image_files import as_image_input
from .images import ImageSource
from .model_io import (
    Preprocess,
    call_model,
    capture_tensor,
    check_model,
    find_head,
    pool_features,
    token_grid,
    wants_pixel_values,
)
from .progress import progress_bar
from .validation import check_positive_int, resolve_device


@dataclass
class FeatureSet:
    """What `extract` returns.

    features: (N, D) float32, the input of the model's classification head (see `find_head`)
        or the (pooled) output of `layer`.
    logits: (N, C) float32 model outputs (C may be 1).
    maps: (N, K, h, w) float32 spatial activations of `layer`, only with `return_maps=True`
        (for ViT-style token outputs: the patch tokens on the patch grid).
    labels: (N,) int64 labels when the images carried them (ImageSet or (x, y) datasets).
    head_name: module name of the classification head's nn.Linear (e.g. "fc", "classifier",
        "classifier.1"), None when the model has no nn.Linear.
    head_in, head_out: the head's input and output sizes (D and C when `layer` is None).
    """

    features: np.ndarray
    logits: np.ndarray
    maps: np.ndarray | None = None
    labels: np.ndarray | None = None
    head_name: str | None = None
    head_in: int | None = None
    head_out: int | None = None

    def __len__(self) -> int:
        return len(self.features)

    @classmethod
    def open(cls, folder: str | Path) -> FeatureSet:
        """Reopen an `extract(..., out=folder)` result: features, logits (and labels) memory-mapped read-only."""
        from .feature_store import open_feature_set  # here, not at the top: feature_store imports this module

        return open_feature_set(folder)


def last_linear_name(model: nn.Module) -> str:
    """Name of the classification head's `nn.Linear` (`fc`, `classifier`, `head`, else the last nn.Linear)."""
    name = find_head(model)
    if name is None:
        raise ValueError(
            "model has no nn.Linear layer, so the default features (the input of the classification head) "
            "are undefined; pass layer='<module name>' to choose the feature layer"
        )
    return name


def get_module(model: nn.Module, layer: str) -> nn.Module:
    """The module called `layer`, or a ValueError listing the valid names."""
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        valid = ", ".join(repr(n) for n in modules if n)
        raise ValueError(f"layer {layer!r} is not a module of the model; valid names: {valid}")
    return modules[layer]


@contextmanager
def eval_mode(model: nn.Module, device: torch.device) -> Iterator[nn.Module]:
    """Put the model in eval mode on `device` and restore its mode and device afterwards."""
    was_training = model.training
    param = next(model.parameters(), None)
    original_device = param.device if param is not None else device
    model.eval()
    if original_device != device:
        model.to(device)
    try:
        yield model
    finally:
        if original_device != device:
            model.to(original_device)
        model.train(was_training)


class _Capture:
    """Forward hook that keeps the latest input (pre) or output of one module."""

    def __init__(self, module: nn.Module, use_input: bool):
        self.value: torch.Tensor | None = None
        if use_input:
            self.handle = module.register_forward_pre_hook(self._pre)
        else:
            self.handle = module.register_forward_hook(self._post)

    def _pre(self, module: nn.Module, inputs: tuple) -> None:
        self.value = inputs[0]

    def _post(self, module: nn.Module, inputs: tuple, output: Any) -> None:
        self.value = capture_tensor(output)


def _allocate(path: Path | None, shape: tuple[int, ...]) -> np.ndarray:
    if path is None:
        return np.empty(shape, dtype=np.float32)
    return np.lib.format.open_memmap(_partial(path), mode="w+", dtype=np.float32, shape=shape)


def _partial(path: Path) -> Path:
    """Where `out=path` is written until the run succeeds (then renamed over `path`)."""
    return path.with_name(f".{path.name}.partial")


def extract(
    model: nn.Module,
    images: Any,
    *,
    layer: str | None = None,
    batch_size: int = 256,
    device: Any = "auto",
    progress: bool = False,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    return_maps: bool = False,
    out: str | Path | None = None,
    processor: Any = None,
    backend: str = "local",
    concurrency: int | None = None,
    shard_size: int | None = None,
    overwrite: bool = False,
) -> FeatureSet:
    """Run `model` over `images` and collect features and logits.

    Parameters
    ----------
    model : any torch.nn.Module whose forward returns logits (N, C) or (N,) as a tensor, a
        `ModelOutput`/dict with `logits`, or a tuple (first element). Hugging Face
        `PreTrainedModel`s and models whose forward's first argument is `pixel_values` are called
        as `model(pixel_values=x)`. The model is moved to `device` for the run and moved back
        afterwards; inputs are cast to the dtype of its weights (float64, half, bfloat16 models
        work; features and logits are returned as float32). Meta-device models are refused.
    images : uint8 (N, H, W, 3), float (N, 3, H, W) in [0, 1], ImageSet, Dataset or DataLoader
        (items/batches may be `{"pixel_values": x, "labels": y}` dicts of model-ready inputs).
    layer : module name whose output becomes the features; default: the input of the
        classification head (`fc`, `classifier`, `head`, else the last nn.Linear; named in
        `FeatureSet.head_name`). 4-D outputs are global-average-pooled into `features`; 3-D token
        outputs (N, T, D) give their first (CLS) token.
    transform : applied to each float batch in [0, 1] on the device (e.g. torchvision Normalize).
    processor : a Hugging Face image processor (e.g. `AutoImageProcessor.from_pretrained(...)`)
        or any callable, applied per batch on the device to the uint8 (B, 3, H, W) images; its
        output (`pixel_values`) goes to the model, so the model's own resizing and
        normalisation are used. Runs before `transform`.
    return_maps : keep the un-pooled activations of `layer` in `FeatureSet.maps`: 4-D conv maps,
        or for ViT-style (N, T, D) token outputs the patch tokens as (N, D, h, w) grids.
    out : path of a `.npy` file: features are streamed into it as a memory map (N larger than RAM),
        written to a temporary name and renamed on success. Any other path is a result folder:
        shard files + manifest, resumable, reopened with `FeatureSet.open` (see feature_store).
    backend : "local" (this process) or "ray" (a Ray Data actor pool; needs `out=folder`).
    concurrency : number of Ray actors (default and maximum with GPUs: one per GPU; else one per CPU).
    shard_size : rows per shard file (a multiple of batch_size; default from N and the workers).
    overwrite : replace a result folder made by another model or other images instead of refusing.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    batch_size = check_positive_int(batch_size, "batch_size")
    images = as_image_input(images)
    if backend not in ("local", "ray"):
        raise ValueError(f"backend must be 'local' or 'ray'; got {backend!r}")
    if backend == "ray" or (out is not None and Path(out).suffix != ".npy"):
        if out is None or return_maps:
            raise ValueError("backend='ray' needs out=<folder> for its shard files and cannot return_maps")
        from .ray_extract import extract_to_folder  # here: ray_extract -> feature_store imports this module

        options = {
            "layer": layer, "batch_size": batch_size, "device": device, "transform": transform, "processor": processor,
        }  # fmt: skip
        return extract_to_folder(
            model, images, out=out, backend=backend, options=options, progress=progress,
            concurrency=concurrency, shard_size=shard_size, overwrite=overwrite,
        )  # fmt: skip
    source = ImageSource(images)
    if return_maps and layer is None:
        raise ValueError("return_maps=True needs layer='<conv module name>' whose output is 4-D (N, K, h, w)")
    target = get_module(model, layer) if layer is not None else get_module(model, last_linear_name(model))
    head_name = find_head(model)
    head = get_module(model, head_name) if head_name is not None else None
    device = resolve_device(device)
    dtype = check_model(model)
    pixel_values = wants_pixel_values(model)
    preprocess = Preprocess(processor) if processor is not None else None
    capture = _Capture(target, use_input=layer is None)
    n = len(source)
    features = logits = maps = labels = None
    bar = None
    if progress:
        bar = progress_bar(total=n, desc="extract", unit="img")
    start = 0
    try:
        with eval_mode(model, device), torch.inference_mode():
            for x, y, ready in source.model_batches(batch_size):
                x = x.to(device, non_blocking=True)
                if ready and (preprocess is not None or transform is not None):
                    raise ValueError(
                        "images yields model-ready 'pixel_values', so processor=/transform= would be applied "
                        "twice; expected images in [0, 1] or uint8 with processor=, or pixel_values without"
                    )
                if preprocess is not None:
                    x = preprocess(x)
                if transform is not None:
                    x = transform(x)
                capture.value = None
                out_logits = call_model(model, x.to(dtype), pixel_values)
                act = capture.value
                if act is None:
                    raise RuntimeError(f"the feature layer {layer or head_name} was not called during forward")
                if return_maps and act.ndim == 3:
                    act = token_grid(act, model, tuple(x.shape[2:]))
                feat = pool_features(act)
                stop = start + len(x)
                if features is None:
                    features = _allocate(Path(out) if out is not None else None, (n, feat.shape[1]))
                    logits = np.empty((n, out_logits.shape[1]), dtype=np.float32)
                    if return_maps:
                        if act.ndim != 4:
                            raise ValueError(
                                f"return_maps=True needs a layer with 4-D output; {layer!r} gives {act.ndim}-D"
                            )
                        maps = np.empty((n, *act.shape[1:]), dtype=np.float32)
                features[start:stop] = feat.float().cpu().numpy()
                logits[start:stop] = out_logits.float().cpu().numpy()  # type: ignore[index]
                if maps is not None:
                    maps[start:stop] = act.float().cpu().numpy()
                if y is not None:
                    if labels is None:
                        labels = np.zeros(n, dtype=np.int64)  # preallocated: RSS stays flat in N
                    labels[start:stop] = y.cpu().numpy()
                start = stop
                if bar is not None:
                    bar.update(len(x))
        assert features is not None and logits is not None
        if start != n:
            raise ValueError(f"images yielded {start} images but reports length {n}")
        if not np.isfinite(logits).all():
            raise ValueError("the model produced NaN or infinite logits; check the model and the input scaling")
        if not all(np.isfinite(features[i : i + 65536]).all() for i in range(0, n, 65536)):
            raise ValueError(
                f"the model produced NaN or infinite features at {layer or head_name!r}; "
                "check the model's weights and the input scaling"
            )
        if isinstance(features, np.memmap):
            features.flush()
            del features
            os.replace(_partial(Path(out)), Path(out))  # type: ignore[arg-type]
            features = np.load(Path(out), mmap_mode="r+")  # type: ignore[arg-type]
    finally:
        capture.handle.remove()
        if bar is not None:
            bar.close()
        if out is not None:
            _partial(Path(out)).unlink(missing_ok=True)  # a failed run leaves an existing `out` untouched
    label_array = labels if labels is not None else source.labels
    return FeatureSet(
        features=features,
        logits=logits,
        maps=maps,
        labels=label_array,
        head_name=head_name,
        head_in=getattr(head, "in_features", None),
        head_out=getattr(head, "out_features", None),
    )
