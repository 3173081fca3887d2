"""Put a refitted linear head back into the model it came from.

`replace_head(model, head)` swaps the model's classification head (the module `find_head`
names: torchvision `fc`, HF ViT/ConvNeXt `classifier`, the Linear inside HF ResNet's
`Sequential(Flatten, Linear)`, timm's `head`, else the last nn.Linear) for `head`, on the old
head's device and dtype. Afterwards the model's predictions (argmax of its logits, or
logit > 0 for a single-logit model) equal `head.predict` on the features `extract` gives.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from .model_io import find_head

# Logit of the model outputs for classes the refitted head never saw: never the argmax,
# yet finite (extract refuses infinite logits) and representable in half precision.
ABSENT_CLASS_LOGIT = -1.0e4


def linear_from_head(head: Any, n_out: int) -> nn.Linear:
    """An nn.Linear(D, n_out) whose row c gives the logit of class c, from a fitted LinearHead."""
    classes = np.asarray(head.classes_, dtype=np.int64)
    coef = np.asarray(head.coef_, dtype=np.float32)
    intercept = np.asarray(head.intercept_, dtype=np.float32)
    if classes.min() < 0 or classes.max() >= max(n_out, 2):
        raise ValueError(
            f"head predicts classes {classes.tolist()} but the model's head has {n_out} outputs; "
            f"expected class ids in 0..{max(n_out, 2) - 1}"
        )
    if n_out == 1:
        if coef.shape[0] != 1 or classes.tolist() != [0, 1]:
            raise ValueError(
                f"the model has a single-logit head (logit > 0 means class 1) but head predicts classes "
                f"{classes.tolist()}; expected a two-class head over classes [0, 1]"
            )
        weight, bias = coef, intercept
    else:
        linear = head.to_torch()  # one row per entry of classes_
        weight = np.zeros((n_out, coef.shape[1]), dtype=np.float32)
        bias = np.full(n_out, ABSENT_CLASS_LOGIT, dtype=np.float32)
        weight[classes] = linear.weight.detach().numpy()
        bias[classes] = linear.bias.detach().numpy()
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        layer.bias.copy_(torch.from_numpy(bias))
    return layer


def replace_head(model: nn.Module, head: Any) -> nn.Module:
    """Replace `model`'s classification head by `head` in place and return the model.

    head: a fitted `LinearHead` (from `refit_head` or `MID.refit`) or an `nn.Linear`.
    A two-class LinearHead fills a single-logit head as (w, b) and a two-output head as the
    equivalent pair (-s/2, s/2); classes the LinearHead never saw get a logit of -1e4 so
    the model never predicts them (as `head.predict` never does).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    name = find_head(model)
    if name is None:
        raise ValueError("model has no nn.Linear head to replace; expected a classifier ending in an nn.Linear")
    old = model.get_submodule(name)
    assert isinstance(old, nn.Linear)
    if isinstance(head, nn.Linear):
        if head.out_features != old.out_features:
            raise ValueError(
                f"head has {head.out_features} outputs but the model's head {name!r} has {old.out_features}; "
                "expected one output per model class"
            )
        new = copy.deepcopy(head)
    elif hasattr(head, "coef_") and hasattr(head, "classes_") and hasattr(head, "to_torch"):
        new = linear_from_head(head, old.out_features)
    else:
        raise TypeError(f"head must be a fitted LinearHead or an nn.Linear; got {type(head).__name__}")
    if new.in_features != old.in_features:
        raise ValueError(
            f"head reads {new.in_features} features but the model's head {name!r} reads {old.in_features}; "
            "expected a head fitted on the features extract() gives for this model (layer=None)"
        )
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    new.train(old.training)
    parent_name, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent_name), child, new)
    return model
