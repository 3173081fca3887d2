"""Exact messages of check_number and stack_images (mutation survivors in compute/validation.py)."""

from __future__ import annotations

import pytest
import torch

from spurwidgets.compute.validation import check_number, stack_images


def test_check_number_names_the_bound_that_failed():
    with pytest.raises(ValueError, match=r"^beta must satisfy beta >= 0; got -1$"):
        check_number(-1.0, "beta", low=0.0)
    assert check_number(0.0, "beta", low=0.0) == 0.0


def test_images_of_different_sizes_list_three_sizes_in_full():
    images = [torch.zeros(3, s, s) for s in (2, 3, 4, 5)]
    with pytest.raises(ValueError) as info:
        stack_images(images, "images")
    assert str(info.value) == (
        "images holds images of different sizes ((3, 2, 2), (3, 3, 3), (3, 4, 4)); expected one size "
        "(resize them, e.g. a torchvision Resize/CenterCrop transform in the Dataset)"
    )
