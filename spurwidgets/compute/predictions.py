"""Logits -> predicted class, the one rule every module uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import numpy as np

if TYPE_CHECKING:
    import torch


@overload
def predicted_classes(logits: np.ndarray) -> np.ndarray: ...
@overload
def predicted_classes(logits: torch.Tensor) -> torch.Tensor: ...
def predicted_classes(logits: Any) -> Any:
    """Predicted class of every row of `logits`, int64, as a NumPy array or torch tensor like
    the input: a single logit ((N,) or (N, 1)) gives class 1 where it is > 0, else 0; (N, C)
    logits give their argmax."""
    if logits.ndim == 2 and logits.shape[1] == 1:
        logits = logits[:, 0]
    if isinstance(logits, np.ndarray):
        return (logits > 0).astype(np.int64) if logits.ndim == 1 else logits.argmax(1).astype(np.int64)
    return (logits > 0).long() if logits.ndim == 1 else logits.argmax(1).long()
