import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import spurwidgets
from spurwidgets.datasets import ImageSet


def tiny_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5), nn.ReLU(), nn.Linear(5, 2))


def tiny_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)
    )


@pytest.fixture
def uint8_images():
    return np.random.default_rng(0).integers(0, 256, size=(10, 4, 4, 3), dtype=np.uint8)


def hand_computed(model, floats):
    with torch.no_grad():
        hidden = model[2](model[1](model[0](floats)))
        return hidden.numpy(), model[3](hidden).numpy()


def test_default_features_are_the_input_of_the_last_linear(uint8_images):
    model = tiny_mlp()
    floats = torch.from_numpy(uint8_images).permute(0, 3, 1, 2).float() / 255
    want_features, want_logits = hand_computed(model, floats)
    fs = spurwidgets.extract(model, uint8_images, batch_size=3, device="cpu")
    assert fs.features.dtype == np.float32 and fs.features.shape == (10, 5)
    np.testing.assert_allclose(fs.features, want_features, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fs.logits, want_logits, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("form", ["float_numpy", "float_tensor", "dataset_xy", "dataset_x", "loader", "imageset"])
def test_every_image_form_gives_the_same_features(uint8_images, form):
    model = tiny_mlp()
    floats = torch.from_numpy(uint8_images).permute(0, 3, 1, 2).float() / 255
    labels = torch.arange(10) % 2
    images = {
        "float_numpy": floats.numpy(),
        "float_tensor": floats,
        "dataset_xy": TensorDataset(floats, labels),
        "dataset_x": [f for f in floats],  # a list is not a Dataset: replaced below
        "loader": DataLoader(TensorDataset(floats, labels), batch_size=4),
        "imageset": ImageSet(uint8_images, labels.numpy()),
    }[form]
    if form == "dataset_x":

        class XOnly(torch.utils.data.Dataset):
            def __len__(self):
                return 10

            def __getitem__(self, i):
                return floats[i]

        images = XOnly()
    fs = spurwidgets.extract(model, images, batch_size=4, device="cpu")
    np.testing.assert_allclose(fs.features, hand_computed(model, floats)[0], rtol=1e-5, atol=1e-6)
    if form in ("dataset_xy", "loader", "imageset"):
        assert fs.labels.tolist() == labels.tolist()
    else:
        assert fs.labels is None


def test_named_conv_layer_is_pooled_and_maps_are_kept():
    model = tiny_cnn()
    images = torch.rand(6, 3, 5, 5)
    fs = spurwidgets.extract(model, images, layer="1", return_maps=True, device="cpu")
    with torch.no_grad():
        maps = model[1](model[0](images)).numpy()
    assert fs.maps.shape == (6, 4, 5, 5)
    np.testing.assert_allclose(fs.maps, maps, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fs.features, maps.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    assert fs.logits.shape == (6, 3)


def test_transform_is_applied_per_batch(uint8_images):
    model = tiny_mlp()
    floats = torch.from_numpy(uint8_images).permute(0, 3, 1, 2).float() / 255
    fs = spurwidgets.extract(model, uint8_images, transform=lambda x: x * 2 - 1, device="cpu")
    np.testing.assert_allclose(fs.features, hand_computed(model, floats * 2 - 1)[0], rtol=1e-5, atol=1e-6)


def test_model_mode_is_restored_and_hooks_removed(uint8_images):
    model = tiny_mlp().train()
    spurwidgets.extract(model, uint8_images, device="cpu")
    assert model.training
    assert all(not m._forward_pre_hooks and not m._forward_hooks for m in model.modules())


def test_out_streams_features_into_a_memory_mapped_npy(tmp_path, uint8_images):
    path = tmp_path / "features.npy"
    fs = spurwidgets.extract(tiny_mlp(), uint8_images, out=path, batch_size=4, device="cpu")
    assert isinstance(fs.features, np.memmap)
    np.testing.assert_array_equal(np.load(path), np.asarray(fs.features))


def test_single_logit_model_gives_one_column(uint8_images):
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 1))
    fs = spurwidgets.extract(model, uint8_images, device="cpu")
    assert fs.logits.shape == (10, 1) and fs.features.shape == (10, 48)


def test_torchvision_resnet_works():
    from torchvision.models import resnet18

    torch.manual_seed(0)
    fs = spurwidgets.extract(resnet18(weights=None, num_classes=4), torch.rand(2, 3, 32, 32), device="cpu")
    assert fs.features.shape == (2, 512) and fs.logits.shape == (2, 4)


def test_unknown_layer_lists_valid_names(uint8_images):
    with pytest.raises(ValueError, match=r"layer 'nope' is not a module of the model; valid names: '0', '1', '2', '3'"):
        spurwidgets.extract(tiny_mlp(), uint8_images, layer="nope")


def test_model_without_linear_needs_layer(uint8_images):
    with pytest.raises(ValueError, match="model has no nn.Linear layer.*pass layer="):
        spurwidgets.extract(nn.Sequential(nn.Conv2d(3, 2, 1)), uint8_images)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((2, 4, 4, 3), dtype=np.float32), r"float array in \(N, H, W, 3\) layout"),
        (np.zeros((2, 4, 4), dtype=np.uint8), r"images must be .*got ndarray of shape \(2, 4, 4\)"),
        (np.full((2, 3, 4, 4), 2.0, dtype=np.float32), r"values in \[2, 2\]; expected \[0, 1\]"),
        (np.full((2, 3, 4, 4), np.nan, dtype=np.float32), "NaN or infinite"),
        (np.zeros((0, 4, 4, 3), dtype=np.uint8), "must not be empty"),
        ("not images", "images must be a uint8 array"),
    ],
)
def test_bad_images_are_refused_with_a_clear_message(images, message):
    with pytest.raises((ValueError, TypeError), match=message):
        spurwidgets.extract(tiny_mlp(), images)


def test_non_module_model_is_refused(uint8_images):
    with pytest.raises(TypeError, match="model must be a torch.nn.Module; got function"):
        spurwidgets.extract(lambda x: x, uint8_images)


def test_nan_logits_are_an_error(uint8_images):
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 2))
    with torch.no_grad():
        model[1].bias.fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN or infinite logits"):
        spurwidgets.extract(model, uint8_images)


def test_bad_batch_size_and_device_are_refused(uint8_images):
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1; got 0"):
        spurwidgets.extract(tiny_mlp(), uint8_images, batch_size=0)
    with pytest.raises(ValueError, match="device must be 'auto'"):
        spurwidgets.extract(tiny_mlp(), uint8_images, device="gpu9000")
