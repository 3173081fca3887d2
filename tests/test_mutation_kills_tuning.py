"""tune_head: the val_features mismatch message (a mutation survivor in compute/spurious_tuning.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.spurious_tuning import tune_head

RNG = np.random.default_rng(0)
FEATURES = RNG.normal(size=(80, 2)).astype(np.float32)
LABELS = (FEATURES[:, 0] > 0).astype(np.int64)
SPURIOSITY = RNG.normal(size=80).astype(np.float32)
HEAD = (np.array([[-1.0, 0.0], [1.0, 0.0]], dtype=np.float32), np.zeros(2, dtype=np.float32))


def test_val_features_of_the_wrong_width_are_named():
    with pytest.raises(ValueError, match=r"^val_features have 3 columns but the head reads 2$"):
        tune_head(HEAD, FEATURES, LABELS, SPURIOSITY, np.zeros((80, 3), np.float32), LABELS, SPURIOSITY, device="cpu")
