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


def test_a_transformers_pretrained_model_wants_pixel_values_whatever_its_forward(monkeypatch):
    class FakePreTrained(nn.Module):  # stands in for transformers.PreTrainedModel (no import)
        def forward(self, x):
            return x

    monkeypatch.setitem(__import__("sys").modules, "transformers", SimpleNamespace(PreTrainedModel=FakePreTrained))
    assert wants_pixel_values(FakePreTrained()) is True
    assert wants_pixel_values(nn.Identity()) is False


def test_preprocess_clamps_values_above_one_to_255_not_past_it():
    seen = []
    prep = Preprocess(lambda batch: seen.append(batch) or batch.float())
    x = torch.tensor([2.0, 1.0, 0.5, -1.0]).reshape(1, 1, 2, 2).repeat(1, 3, 1, 1)
    prep(x)
    assert seen[0].dtype == torch.uint8
    assert seen[0][0, 0].tolist() == [[255, 255], [128, 0]]


def test_token_grid_without_patch_size_drops_the_cls_token_of_a_square_grid():
    # 1 CLS token + 4 x 4 patch tokens, no model.config: the grid is read from the token count
    act = torch.arange(17, dtype=torch.float32).reshape(1, 17, 1)
    grid = token_grid(act, nn.Identity(), (32, 32))
    assert grid.shape == (1, 1, 4, 4)
    assert grid[0, 0].tolist() == [
        [1.0, 2.0, 3.0, 4.0],
        [5.0, 6.0, 7.0, 8.0],
        [9.0, 10.0, 11.0, 12.0],
        [13.0, 14.0, 15.0, 16.0],
    ]


def test_token_grid_refuses_a_patch_grid_larger_than_the_tokens():
    # patch 2 on an 8 x 8 image is a 4 x 4 grid = 16 tokens, but the layer gave only 5
    model = nn.Identity()
    model.config = SimpleNamespace(patch_size=2)
    with pytest.raises(
        ValueError,
        match=r"^layer output has 5 tokens, which do not form a patch grid; expected a ViT-style output "
        r"\(B, prefix \+ h\*w, D\)$",
    ):
        token_grid(torch.zeros(1, 5, 3), model, (8, 8))


def test_token_grid_without_patch_size_reads_a_prefix_free_square_grid():
    # 16 tokens and no CLS (e.g. a model without a class token): a 4 x 4 grid, not an error
    # (was refused: the side was taken from n_tokens - 1 only)
    act = torch.arange(16, dtype=torch.float32).reshape(1, 16, 1)
    grid = token_grid(act, nn.Identity(), (32, 32))
    assert grid.shape == (1, 1, 4, 4) and grid[0, 0, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert token_grid(torch.zeros(2, 49, 3), nn.Identity(), (7, 7)).shape == (2, 3, 7, 7)
    for n_tokens in (0, 3, 21):  # neither a square nor one more than a square
        with pytest.raises(ValueError, match=rf"^layer output has {n_tokens} tokens, which do not form a patch grid"):
            token_grid(torch.zeros(1, n_tokens, 2), nn.Identity(), (8, 8))
