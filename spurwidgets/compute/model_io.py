"""Calling any image classifier: torchvision, Hugging Face `transformers` or a plain nn.Module.

* `find_head(model)`: the name of the classification head's `nn.Linear` — `fc` (torchvision
  ResNets), `classifier` (HF ViT/ConvNeXt; HF ResNet's `Sequential(Flatten, Linear)` gives
  `classifier.1`), `head` (timm, torchvision Swin), else the model's last `nn.Linear`.
* `call_model(model, x)`: `model(pixel_values=x)` for models that want it (HF
  `PreTrainedModel`s, or a forward whose first argument is `pixel_values`), else `model(x)`;
  the logits are read from a tensor, a `ModelOutput`/dict (`logits`) or a tuple (first element).
* `check_model(model)`: refuses meta-device models; returns the dtype inputs are cast to.
* `Preprocess`: a Hugging Face image processor or any callable applied to each uint8 batch.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

HEAD_ATTRIBUTES = ("fc", "classifier", "head")


def _linears(module: nn.Module, prefix: str) -> list[str]:
    return [f"{prefix}{name}".rstrip(".") for name, m in module.named_modules() if isinstance(m, nn.Linear)]


def find_head(model: nn.Module) -> str | None:
    """Name of the classification head's nn.Linear (see the module docstring); None without any."""
    for attribute in HEAD_ATTRIBUTES:
        module = getattr(model, attribute, None)
        if isinstance(module, nn.Module):
            inside = _linears(module, f"{attribute}.")
            if inside:
                return inside[-1]
    names = _linears(model, "")
    return names[-1] if names else None


def wants_pixel_values(model: nn.Module) -> bool:
    """True for HF PreTrainedModels and models whose forward's first argument is `pixel_values`."""
    transformers = sys.modules.get("transformers")
    if transformers is not None and isinstance(model, transformers.PreTrainedModel):
        return True
    try:
        parameters = list(inspect.signature(model.forward).parameters)
    except (TypeError, ValueError):
        return False
    return bool(parameters) and parameters[0] == "pixel_values"


def output_logits(output: Any) -> torch.Tensor:
    """The logits tensor of a model's output: tensor, ModelOutput/dict with `logits`, or tuple."""
    if isinstance(output, Mapping):
        if "logits" not in output:
            raise ValueError(
                f"model returned a {type(output).__name__} without 'logits'; expected logits as a tensor, "
                f"a dict/ModelOutput with a 'logits' entry or a tuple; got keys {sorted(map(str, output))}"
            )
        output = output["logits"]
    elif not isinstance(output, torch.Tensor) and isinstance(getattr(output, "logits", None), torch.Tensor):
        output = output.logits
    elif isinstance(output, (tuple, list)) and output:
        output = output[0]
    if not isinstance(output, torch.Tensor):
        raise TypeError(
            "model must return logits as a tensor, a dict/ModelOutput with 'logits' or a tuple whose first "
            f"element is the logits; got {type(output).__name__}"
        )
    return output


def call_model(model: nn.Module, x: torch.Tensor, pixel_values: bool) -> torch.Tensor:
    """Run the model on the batch `x` and return its (B, C) logits."""
    output = model(pixel_values=x) if pixel_values else model(x)
    logits = output_logits(output)
    return logits.reshape(len(x), -1)


def check_model(model: nn.Module) -> torch.dtype:
    """The floating dtype of the model's weights (inputs are cast to it); meta models are refused."""
    tensors = [*model.parameters(), *model.buffers()]
    if any(t.is_meta for t in tensors):
        raise ValueError(
            "model has weights on the meta device (created without data, e.g. with init_empty_weights or "
            "device_map='meta'); expected a model with loaded weights: call model.to_empty(device=...) and "
            "load_state_dict(...), or from_pretrained(...) without a meta device map"
        )
    floating = [t.dtype for t in tensors if t.is_floating_point()]
    return floating[0] if floating else torch.float32


def capture_tensor(value: Any) -> Any:
    """What a forward hook saw, as a tensor: first element of tuples, first entry of ModelOutputs."""
    if isinstance(value, Mapping):
        value = next(iter(value.values()), None)
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    return value


def _is_hf_processor(processor: Any) -> bool:
    transformers = sys.modules.get("transformers")
    if transformers is None:
        return False
    kinds = tuple(
        getattr(transformers, n) for n in ("BaseImageProcessor", "ProcessorMixin") if hasattr(transformers, n)
    )
    return isinstance(processor, kinds)


class Preprocess:
    """Per-batch preprocessing from `processor=`.

    The batch reaches the processor as a uint8 (B, 3, H, W) tensor on the extraction device
    (float sources are rounded to 0..255). A Hugging Face image processor is called as
    `processor(images=batch, return_tensors="pt", input_data_format="channels_first")` and its
    `pixel_values` are used, so the model's own resizing and normalisation apply; transformers'
    torchvision-backed processors compute on the batch's device. Any other callable gets the
    batch and returns a float tensor (or a dict with `pixel_values`).
    """

    def __init__(self, processor: Callable[..., Any]):
        if not callable(processor):
            raise TypeError(
                "processor must be a Hugging Face image processor or a callable taking a uint8 (B, 3, H, W) "
                f"batch; got {type(processor).__name__}"
            )
        self.processor = processor
        self.hf = _is_hf_processor(processor)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.mul(255).round_().clamp_(0, 255).to(torch.uint8)
        if self.hf:
            out = self.processor(images=batch, return_tensors="pt", input_data_format="channels_first")
        else:
            out = self.processor(batch)
        if isinstance(out, Mapping):
            if "pixel_values" not in out:
                raise ValueError(f"processor returned a dict without 'pixel_values'; got keys {sorted(map(str, out))}")
            out = out["pixel_values"]
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"processor must return a tensor or a dict with 'pixel_values'; got {type(out).__name__}")
        if len(out) != len(x):
            raise ValueError(f"processor turned a batch of {len(x)} images into {len(out)}; expected one per image")
        return out.to(x.device)


def pool_features(act: torch.Tensor) -> torch.Tensor:
    """(B, D) features of a layer's output: 4-D maps averaged, 3-D tokens (B, T, D) -> first (CLS) token."""
    if act.ndim == 4:
        return act.mean(dim=(2, 3))
    if act.ndim == 3:
        return act[:, 0]
    return act.reshape(len(act), -1)


def token_grid(act: torch.Tensor, model: nn.Module, image_hw: tuple[int, ...]) -> torch.Tensor:
    """(B, D, h, w) patch-token maps of a ViT-style (B, T, D) output, the leading CLS/register tokens dropped.

    The grid is the input size divided by `model.config.patch_size` when the model has one, else
    the largest square that the tokens end with.
    """
    n_tokens = act.shape[1]
    patch = getattr(getattr(model, "config", None), "patch_size", None)
    if isinstance(patch, (tuple, list)):
        patch = patch[0]
    if isinstance(patch, int) and patch > 0 and len(image_hw) == 2:
        h, w = image_hw[0] // patch, image_hw[1] // patch
    else:
        side = math.isqrt(n_tokens)  # a square grid alone, else one leading CLS token before it
        side = side if side * side == n_tokens else math.isqrt(max(n_tokens - 1, 0))
        h = w = side if side * side in (n_tokens - 1, n_tokens) else 0
    if h * w == 0 or h * w > n_tokens:
        raise ValueError(
            f"layer output has {n_tokens} tokens, which do not form a patch grid; expected "
            "a ViT-style output (B, prefix + h*w, D)"
        )
    return act[:, n_tokens - h * w :].transpose(1, 2).reshape(len(act), act.shape[2], h, w)
