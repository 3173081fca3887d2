"""extract's documented default batch size and its exact error messages (mutation survivors)."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

import spurwidgets


class _BatchRecorder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.sizes: list[int] = []

    def forward(self, x):
        self.sizes.append(len(x))
        return self.fc(x.mean(dim=(2, 3)))


class _SkipsItsLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.unused = nn.Conv2d(3, 3, 1)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x.mean(dim=(2, 3)))


def _images(n):
    return np.random.default_rng(0).integers(0, 256, size=(n, 4, 4, 3), dtype=np.uint8)


def test_default_batch_size_is_256_as_documented():
    model = _BatchRecorder()
    spurwidgets.extract(model, _images(300), device="cpu")
    assert model.sizes == [256, 44]


def test_a_model_without_linear_layer_is_refused_with_the_full_message():
    model = nn.Sequential(nn.Conv2d(3, 2, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    with pytest.raises(ValueError) as info:
        spurwidgets.extract(model, _images(2), device="cpu")
    assert str(info.value) == (
        "model has no nn.Linear layer, so the default features (the input of the classification head) "
        "are undefined; pass layer='<module name>' to choose the feature layer"
    )


def test_an_unknown_backend_is_refused_with_the_full_message():
    with pytest.raises(ValueError, match=r"^backend must be 'local' or 'ray'; got 'dask'$"):
        spurwidgets.extract(_BatchRecorder(), _images(2), backend="dask", device="cpu")


def test_a_feature_layer_that_forward_never_calls_is_named():
    with pytest.raises(RuntimeError, match=r"^the feature layer unused was not called during forward$"):
        spurwidgets.extract(_SkipsItsLayer(), _images(2), layer="unused", device="cpu")
