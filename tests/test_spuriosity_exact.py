"""SpuriosityRanker details pinned exactly: a model as head_weight, the
min_std default, absent classes, {class: feature} shorthands, default batch size, messages."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from spurwidgets.compute.spuriosity import SpuriosityRanker, fit_linear_head


@pytest.fixture(scope="module")
def data():
    x = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    return x, np.arange(30) % 3


def _raises(error, message, call):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


class _Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Identity()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(self.body(x))


def test_a_model_as_head_weight_uses_its_head(data):
    x, y = data
    torch.manual_seed(0)
    model = _Model()
    from_model = SpuriosityRanker(n_features=2).fit(x, y, model)
    from_array = SpuriosityRanker(n_features=2).fit(x, y, model.fc.weight.detach().numpy())
    np.testing.assert_allclose(from_model.importance_, from_array.importance_, rtol=1e-12)
    np.testing.assert_allclose(
        from_model.importance_, from_array.class_mean_ * model.fc.weight.detach().numpy().astype(np.float64), rtol=1e-6
    )


def test_default_min_std_floors_only_below_1e_minus_6():
    x = np.zeros((4, 2))
    x[:, 0] = [0.0, 3e-6, 5.0, 5.0]  # class 0 std 1.5e-6, class 1 std 0
    x[:, 1] = [0.0, 1.0, 2.0, 3.0]
    y = np.array([0, 0, 1, 1])
    ranker = SpuriosityRanker(n_features=1).fit(x, y, np.ones((2, 2)))
    assert ranker.min_std == 1e-6
    assert ranker.class_std_[0, 0] == pytest.approx(1.5e-6, rel=1e-5)
    assert ranker.class_std_[1, 0] == 1e-6
    np.testing.assert_allclose(ranker.class_std_[:, 1], [0.5, 0.5])


def test_a_class_without_samples_gets_unit_std_and_no_features(data):
    x, y = data
    ranker = SpuriosityRanker(n_features=2).fit(x, y, np.ones((4, 4)))  # class 3: no samples
    np.testing.assert_array_equal(ranker.class_std_[3], np.ones(4))
    assert ranker.class_counts_.tolist() == [10, 10, 10, 0]
    assert ranker.top_features_[3].tolist() == []


def test_check_spurious_accepts_a_single_feature_and_digit_strings(data):
    x, y = data
    ranker = SpuriosityRanker(n_features=2).fit(x, y, np.ones((3, 4)))
    assert ranker.check_spurious({0: 2, "1": [3, 1, 3]}) == {0: [2], 1: [1, 3]}
    assert ranker.check_spurious({2: np.int64(0)}) == {2: [0]}


def test_messages_are_exact(data):
    x, y = data
    ranker = SpuriosityRanker(n_features=2).fit(x, y, np.ones((3, 4)))
    _raises(
        ValueError,
        "head_weight has 5 columns but features have 4; expected the head that reads these features (shape (C, D))",
        lambda: SpuriosityRanker().fit(x, y, np.ones((3, 5))),
    )
    _raises(
        ValueError,
        "k=11 is larger than the 10 images of class 0; pass a smaller k",
        lambda: ranker.extreme_images(x, y, 0, 1, k=11),
    )
    _raises(
        ValueError,
        "labels holds class 2 but only 2 classes exist (expected labels in 0..1)",
        lambda: _deprecated_fit_linear_head(x, y, n_classes=2),
    )


def _deprecated_fit_linear_head(*args, **kwargs):
    # The deprecated wrapper keeps its checks: expect its warning, so the suite shows none.
    with pytest.warns(DeprecationWarning, match="fit_linear_head is deprecated"):
        return fit_linear_head(*args, **kwargs)
