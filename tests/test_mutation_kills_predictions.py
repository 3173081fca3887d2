"""predicted_classes of single-logit outputs: class 1 where the logit is > 0, for tensors as
for arrays (a mutation survivor in compute/predictions.py)."""

from __future__ import annotations

import numpy as np
import torch

from spurwidgets.compute.predictions import predicted_classes


def test_single_logit_tensors_and_arrays_threshold_at_zero():
    logits = [0.5, -0.5, 2.0, 0.0, 0.999]
    want = [1, 0, 1, 0, 1]
    assert predicted_classes(torch.tensor(logits)).tolist() == want
    assert predicted_classes(torch.tensor(logits)[:, None]).tolist() == want
    assert predicted_classes(np.array(logits)).tolist() == want
    assert predicted_classes(torch.tensor([[0.1, 0.3, 0.2]])).tolist() == [1]
