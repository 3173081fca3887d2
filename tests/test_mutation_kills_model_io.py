"""Model input/output helpers: the first entry of tuple outputs, the patch grid of non-square
inputs (mutation survivors in compute/model_io.py); expected values worked out by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from spurwidgets.compute.model_io import Preprocess, capture_tensor, token_grid, wants_pixel_values


def test_capture_tensor_takes_the_first_element_of_tuples_and_mappings():
    a, b = torch.zeros(2), torch.ones(2)
    assert capture_tensor((a, b)) is a and capture_tensor([a, b]) is a
    assert capture_tensor({"last_hidden_state": a, "pooler_output": b}) is a
    assert capture_tensor(()) is None and capture_tensor(a) is a


def test_token_grid_of_a_non_square_input_is_height_by_width_patches():
    # 1 CLS token + a 2 x 3 grid of 4-pixel patches for an 8 x 12 image; token t = 1 + 3 r + c
    act = torch.arange(7, dtype=torch.float32).reshape(1, 7, 1).repeat(1, 1, 2)
    model = nn.Identity()
    model.config = SimpleNamespace(patch_size=4)
    grid = token_grid(act, model, (8, 12))
    assert grid.shape == (1, 2, 2, 3)
    assert grid[0, 0].tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_a_forward_whose_first_argument_is_pixel_values_is_called_by_keyword():
    class ByKeyword(nn.Module):
        def forward(self, pixel_values):
            return pixel_values

    class Positional(nn.Module):
        def forward(self, x):
            return x

    assert wants_pixel_values(ByKeyword()) is True
    assert wants_pixel_values(Positional()) is False


def test_a_non_callable_processor_and_a_token_count_without_grid_give_the_full_message():
    with pytest.raises(TypeError) as info:
        Preprocess(3)
    assert str(info.value) == (
        "processor must be a Hugging Face image processor or a callable taking a uint8 (B, 3, H, W) batch; got int"
    )
    with pytest.raises(ValueError) as info:
        token_grid(torch.zeros(1, 3, 2), nn.Identity(), (8, 8))  # 3 tokens: neither 1 + square nor square
    assert str(info.value) == (
        "layer output has 3 tokens, which do not form a patch grid; expected a ViT-style output (B, prefix + h*w, D)"
    )
