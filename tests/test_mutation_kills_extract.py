"""extract's documented default batch size and its exact error messages (mutation survivors)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

import spurwidgets
from spurwidgets.compute.extract import FeatureSet


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


class _NanBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.side = nn.Conv2d(3, 2, 1)
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        self.side(x * float("nan"))  # a feature layer whose output is NaN; the logits stay finite
        return self.fc(x.mean(dim=(2, 3)))


def test_features_without_labels_are_none_and_a_parameter_free_model_works():
    images = _images(3)
    fs = spurwidgets.extract(_BatchRecorder(), images, device="cpu")
    assert fs.labels is None
    pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # no parameters at all
    fs = spurwidgets.extract(pool, images, layer="1", device="cpu")
    want = images.reshape(3, -1, 3).mean(1) / 255  # the mean colour, worked out directly
    np.testing.assert_allclose(fs.features, want, rtol=1e-5)


def test_nan_features_name_the_feature_layer():
    with pytest.raises(ValueError, match=r"^the model produced NaN or infinite features at 'side'; "):
        spurwidgets.extract(_NanBranch(), _images(2), layer="side", device="cpu")


def test_pixel_values_items_with_a_transform_give_the_full_message():
    class Ready(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"pixel_values": torch.zeros(3, 4, 4), "labels": 0}

    with pytest.raises(ValueError) as info:
        spurwidgets.extract(_BatchRecorder(), Ready(), transform=lambda x: x, device="cpu")
    assert str(info.value) == (
        "images yields model-ready 'pixel_values', so processor=/transform= would be applied "
        "twice; expected images in [0, 1] or uint8 with processor=, or pixel_values without"
    )


def test_a_feature_set_built_by_hand_has_no_labels_maps_or_head():
    fs = FeatureSet(np.zeros((2, 3), np.float32), np.zeros((2, 2), np.float32))
    assert fs.labels is None and fs.maps is None and fs.head_name is None and len(fs) == 2


def test_the_empty_layer_name_is_not_a_module():
    from spurwidgets.compute.extract import get_module

    with pytest.raises(ValueError, match=r"^layer '' is not a module of the model; valid names: 'unused', 'fc'$"):
        get_module(_SkipsItsLayer(), "")


class _RecordsMoves(nn.Linear):
    def __init__(self):
        super().__init__(3, 2)
        self.moves: list[str] = []

    def to(self, device):  # record instead of moving: no GPU needed
        self.moves.append(str(device))
        return self


def test_eval_mode_moves_to_another_device_and_back():
    from spurwidgets.compute.extract import eval_mode

    model = _RecordsMoves()
    with eval_mode(model, torch.device("cuda")):
        assert model.moves == ["cuda"]
    assert model.moves == ["cuda", "cpu"]
    with eval_mode(model, torch.device("cpu")):
        pass
    assert model.moves == ["cuda", "cpu"]  # already there: never moved


def test_the_ray_backend_needs_an_out_folder_and_refuses_return_maps(tmp_path):
    message = r"^backend='ray' needs out=<folder> for its shard files and cannot return_maps$"
    with pytest.raises(ValueError, match=message):
        spurwidgets.extract(_BatchRecorder(), _images(2), backend="ray")
    with pytest.raises(ValueError, match=message):
        spurwidgets.extract(_BatchRecorder(), _images(2), out=tmp_path / "feats", return_maps=True)


class _KeywordOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, *, pixel_values):
        return self.fc(pixel_values.mean(dim=(2, 3)))


def test_a_model_taking_pixel_values_by_keyword_only_is_called_by_keyword():
    fs = spurwidgets.extract(_KeywordOnly(), _images(3), device="cpu")
    assert fs.features.shape == (3, 3)


class _NanFeatureOfTheFirstImage(nn.Module):
    def __init__(self):
        super().__init__()
        self.feat = nn.Identity()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        f = x.mean(dim=(2, 3))
        f = self.feat(torch.where(torch.arange(len(f))[:, None] == 0, torch.nan, f))
        return self.fc(torch.nan_to_num(f))  # finite logits: only the features are bad


def test_a_nan_feature_of_the_first_image_is_caught():
    with pytest.raises(
        ValueError,
        match=r"^the model produced NaN or infinite features at 'feat'; check the model's weights and the input "
        r"scaling$",
    ):
        spurwidgets.extract(_NanFeatureOfTheFirstImage(), _images(3), layer="feat", device="cpu")


def test_an_out_folder_run_passes_the_processor_on(tmp_path):
    calls = []

    def processor(batch):
        calls.append(batch.dtype)
        return batch.float() / 255

    store = spurwidgets.extract(_BatchRecorder(), _images(3), out=tmp_path / "feats", processor=processor, device="cpu")
    assert calls and set(calls) == {torch.uint8}
    assert len(store) == 3
