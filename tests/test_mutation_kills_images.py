"""ImageSource on Dataset items of every accepted form, exact messages, and display pictures
(mutation survivors in compute/images.py); expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from spurwidgets.compute.images import ImageSource

PIXELS = np.array([[[0, 51, 255], [102, 153, 204]], [[255, 0, 0], [1, 2, 3]]], dtype=np.uint8)  # (2, 2, 3)


class Items(Dataset):
    def __init__(self, make, n=3):
        self.make, self.n = make, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.make(i)


def _one_batch(source):
    (x, y), *rest = list(source.batches(8))
    assert rest == []
    return x, y


def test_hwc_uint8_items_become_chw_floats_divided_by_255():
    x, y = _one_batch(ImageSource(Items(lambda i: PIXELS)))
    assert y is None and x.shape == (3, 3, 2, 2)
    # channel c of pixel (r, col) is PIXELS[r, col, c] / 255
    assert x[0, 2, 0, 0] == pytest.approx(255 / 255) and x[0, 1, 0, 0] == pytest.approx(51 / 255)
    assert x[0, 0, 1, 0] == pytest.approx(255 / 255) and x[0, 2, 1, 1] == pytest.approx(3 / 255)
    assert x[0, :, 0, 1].tolist() == pytest.approx([102 / 255, 153 / 255, 204 / 255])


def test_dict_items_with_an_image_key_and_a_label():
    x, y = _one_batch(ImageSource(Items(lambda i: {"image": PIXELS, "label": 7 + i})))
    assert y.tolist() == [7, 8, 9] and x.shape == (3, 3, 2, 2)
    assert x[2, 1, 0, 0] == pytest.approx(51 / 255)


def test_one_element_tuples_are_images_without_labels():
    x, y = _one_batch(ImageSource(Items(lambda i: (PIXELS,))))
    assert y is None and x.shape == (3, 3, 2, 2)


def test_float_items_out_of_range_give_the_full_message():
    items = Items(lambda i: torch.full((3, 2, 2), 2.0))
    with pytest.raises(ValueError) as info:
        _one_batch(ImageSource(items))
    assert str(info.value) == (
        "images gives float images with values in [2, 2]; expected [0, 1] "
        "(yield uint8 images for 0..255 values, pass normalisation as transform= or processor=, "
        "or yield {'pixel_values': x, 'labels': y} for inputs already prepared for the model)"
    )


def test_items_of_the_wrong_shape_give_the_full_message():
    items = Items(lambda i: torch.zeros(5, 5))
    with pytest.raises(ValueError) as info:
        _one_batch(ImageSource(items))
    assert str(info.value) == (
        "images items (3, H, W) images, uint8 (H, W, 3) arrays or PIL images expected; "
        "got Tensor of shape (5, 5) and dtype torch.float32"
    )


def test_check_range_false_accepts_float_arrays_outside_0_1():
    array = np.full((2, 3, 2, 2), 2.0, dtype=np.float32)
    source = ImageSource(array, check_range=False)
    assert len(source) == 2
    with pytest.raises(ValueError, match=r"values in \[2, 2\]"):
        ImageSource(array)


def test_display_pictures_of_float_images_round_x_times_255_and_clip():
    array = np.zeros((1, 3, 1, 3), dtype=np.float32)
    array[0, :, 0, :] = [[0.0, 0.5, 1.0], [0.2, 0.4, 0.999], [1.0, 0.0, 0.5]]
    pictures = ImageSource(array).uint8([0])
    assert pictures.dtype == np.uint8 and pictures.shape == (1, 1, 3, 3)
    # pixel j's channels are array[0, :, 0, j] * 255, rounded: 0.5 -> 127.5 -> 128 (half to even: 128)
    assert pictures[0, 0].tolist() == [[0, 51, 255], [128, 102, 0], [255, 255, 128]]


def test_a_string_is_refused_with_the_full_message_naming_images():
    with pytest.raises(
        TypeError,
        match=r"^images must be a uint8 array \(N, H, W, 3\), a float array/tensor \(N, 3, H, W\) in \[0, 1\], an "
        r"ImageSet, a torch Dataset yielding \(image, label\) or image, or a DataLoader; got str$",
    ):
        ImageSource("abc")


def test_an_infinite_value_is_reported_as_infinite_not_as_out_of_range():
    images = np.zeros((1, 3, 2, 2), dtype=np.float32)
    images[0, 0, 0, 0] = np.inf  # min 0 is finite, max inf is not
    with pytest.raises(ValueError, match=r"^images contains NaN or infinite values; expected floats in \[0, 1\]$"):
        ImageSource(images)
