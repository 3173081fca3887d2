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
