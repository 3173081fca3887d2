"""ImageSet's repr, class_names check and groups message (mutation survivors in compute/imageset.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.datasets import ImageSet

IMAGES = np.zeros((4, 5, 6, 3), dtype=np.uint8)


def test_repr_counts_images_size_classes_and_groups():
    assert repr(ImageSet(IMAGES, np.array([0, 1, 2, 1]))) == "ImageSet(4 images 5x6, 3 classes)"
    with_groups = ImageSet(IMAGES, np.array([0, 1, 0, 1]), groups=np.array([0, 1, 2, 2]))
    assert repr(with_groups) == "ImageSet(4 images 5x6, 2 classes, 3 groups)"


def test_class_names_must_cover_the_largest_label():
    with pytest.raises(ValueError, match=r"^class_names has 2 names but labels go up to 2$"):
        ImageSet(IMAGES, np.array([0, 1, 2, 1]), class_names=["a", "b"])
    assert ImageSet(IMAGES, np.array([0, 1, 2, 1]), class_names=["a", "b", "c"]).class_names == ["a", "b", "c"]


def test_bad_groups_are_named():
    with pytest.raises(ValueError, match=r"^groups must be non-negative integers; got minimum -1$"):
        ImageSet(IMAGES, np.array([0, 1, 0, 1]), groups=np.array([0, -1, 0, 0]))


def test_group_names_default_to_an_empty_list_that_slices_keep():
    imageset = ImageSet(IMAGES, np.array([0, 1, 0, 1]))
    assert imageset.group_names == [] and imageset[1:3].group_names == []
    assert imageset.class_names == ["0", "1"]


def test_non_uint8_images_are_refused_with_the_full_message():
    with pytest.raises(ValueError) as info:
        ImageSet(np.zeros((2, 3, 3)), np.zeros(2, dtype=int))
    assert (
        str(info.value) == "images must be a uint8 array (N, H, W, 3); got ndarray of shape (2, 3, 3) and dtype float64"
    )


def test_the_torch_view_scales_255_to_one():
    images = np.zeros((1, 1, 2, 3), dtype=np.uint8)
    images[0, 0, 0] = [255, 51, 0]
    image, label = ImageSet(images, np.array([4])).as_torch()[0]
    assert image.shape == (3, 1, 2) and label == 4
    assert image[:, 0, 0].tolist() == [1.0, 0.20000000298023224, 0.0]
