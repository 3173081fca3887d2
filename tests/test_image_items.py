"""Dataset items and DataLoader batches are checked like arrays (issue 15.2: no silent 255x inputs)."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

import spurwidgets as sw
from spurwidgets.compute.images import ImageSource


class Items(Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


@pytest.fixture
def uint8_nhwc():
    return np.random.default_rng(0).integers(0, 256, size=(6, 5, 5, 3), dtype=np.uint8)


def reference(uint8_nhwc):
    return torch.from_numpy(uint8_nhwc).permute(0, 3, 1, 2).float() / 255


@pytest.mark.parametrize("layout", ["chw_tensor", "hwc_tensor", "hwc_array", "dict_image"])
def test_uint8_dataset_items_are_divided_by_255(uint8_nhwc, layout):
    chw = torch.from_numpy(uint8_nhwc).permute(0, 3, 1, 2).contiguous()  # what read_image / PILToTensor give
    items = {
        "chw_tensor": [(chw[i], i % 2) for i in range(6)],
        "hwc_tensor": [(torch.from_numpy(uint8_nhwc[i]), i % 2) for i in range(6)],
        "hwc_array": [(uint8_nhwc[i], i % 2) for i in range(6)],
        "dict_image": [{"image": chw[i], "label": i % 2} for i in range(6)],
    }[layout]
    source = ImageSource(Items(items))
    x, y = next(source.batches(4))
    torch.testing.assert_close(x, reference(uint8_nhwc)[:4])
    assert y.tolist() == [0, 1, 0, 1]
    torch.testing.assert_close(source.float_images([5]), reference(uint8_nhwc)[5:])
    np.testing.assert_array_equal(source.uint8([2, 3]), uint8_nhwc[2:4])


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_uint8_dataloader_batches_are_divided_by_255(uint8_nhwc, layout):
    data = torch.from_numpy(uint8_nhwc)
    data = data.permute(0, 3, 1, 2).contiguous() if layout == "nchw" else data
    loader = DataLoader(TensorDataset(data, torch.arange(6)), batch_size=4)
    batches = list(ImageSource(loader).batches(4))
    torch.testing.assert_close(torch.cat([b for b, _ in batches]), reference(uint8_nhwc))


def test_extract_gives_the_same_features_for_uint8_dataset_items_and_arrays(uint8_nhwc):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(75, 4), nn.ReLU(), nn.Linear(4, 2))
    chw = torch.from_numpy(uint8_nhwc).permute(0, 3, 1, 2).contiguous()
    want = sw.extract(model, uint8_nhwc, device="cpu").features
    got = sw.extract(model, Items([(c, 0) for c in chw]), device="cpu").features
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_0_to_255_float_dataset_items_are_refused(uint8_nhwc):
    items = Items([(torch.from_numpy(im).permute(2, 0, 1).float(), 0) for im in uint8_nhwc])
    with pytest.raises(ValueError, match=r"images gives float images with values in \[\d+, \d{3}\]; expected \[0, 1\]"):
        next(ImageSource(items).batches(4))


def test_0_to_255_float_dataloader_batches_are_refused(uint8_nhwc):
    floats = torch.from_numpy(uint8_nhwc).permute(0, 3, 1, 2).float()
    loader = DataLoader(TensorDataset(floats), batch_size=3)
    with pytest.raises(
        ValueError, match=r"images \(DataLoader\) gives float images with values in .*expected \[0, 1\]"
    ):
        sw.extract(nn.Sequential(nn.Flatten(), nn.Linear(75, 2)), loader, device="cpu")


def test_nan_dataset_items_and_integer_dtypes_are_refused():
    nan_item = torch.full((3, 4, 4), float("nan"))
    with pytest.raises(ValueError, match="images contains NaN or infinite values"):
        next(ImageSource(Items([nan_item])).batches(1))
    with pytest.raises(ValueError, match="dtype torch.int64; expected uint8"):
        next(ImageSource(Items([torch.zeros(3, 4, 4, dtype=torch.int64)])).batches(1))
    with pytest.raises(ValueError, match=r"images items \(3, H, W\) images.*got"):
        next(ImageSource(Items([torch.zeros(2, 4, 4)])).batches(1))
