"""BLIP image-text-matching mislabel filter (tiny random BLIP, no downloads; and a hand-made stub)."""

import numpy as np
import pytest
import torch
from torch import nn

import spurwidgets as sw
from spurwidgets.compute.mislabel import ITMFilter


class StubITM(nn.Module):
    """ITM logits: an image "matches" prompt 1 when its red channel dominates, prompt 0 otherwise."""

    def __init__(self):
        super().__init__()
        self.itm_head = nn.Linear(1, 2)

    def forward(self, pixel_values, input_ids, attention_mask, use_itm_head=True):
        red = pixel_values[:, 0].mean((1, 2)) > pixel_values[:, 2].mean((1, 2))
        prompt = input_ids[:, 0]
        match = torch.where(red == (prompt == 1), 4.0, -4.0)
        return {"itm_score": torch.stack([torch.zeros_like(match), match], 1)}


class StubProcessor:
    def __call__(self, text=None, images=None, return_tensors="pt", padding=True):
        if text is not None:
            ids = torch.arange(len(text))[:, None]
            return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
        return {"pixel_values": torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255}


def coloured(reds):
    images = np.zeros((len(reds), 4, 4, 3), dtype=np.uint8)
    images[np.asarray(reds), ..., 0] = 200
    images[~np.asarray(reds), ..., 2] = 200
    return images


def test_itm_filter_flags_window_samples_whose_label_does_not_match():
    reds = np.array([True, False, True, False, True, False])
    labels = np.array([1, 0, 0, 0, 1, 1])  # samples 2 and 5 carry the wrong label
    flt = ITMFilter(StubITM(), StubProcessor(), coloured(reds), ["blue", "red"], threshold=0.6, batch_size=4)
    match = flt.match_proba(np.arange(6))
    expected = 1 / (1 + np.exp(-4.0))
    np.testing.assert_allclose(match[0], [1 - expected, expected], rtol=1e-6)
    window = np.array([0, 2, 3, 5])
    assert flt(None, labels, window).tolist() == [False, True, False, True]


def test_itm_filter_works_inside_mid():
    reds = np.arange(40) % 2 == 0
    labels = reds.astype(np.int64)
    labels[[4, 7]] = 1 - labels[[4, 7]]
    features = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    logits = np.zeros((40, 1), dtype=np.float32)  # everything in the window
    flt = ITMFilter(StubITM(), StubProcessor(), coloured(reds), ["blue", "red"], device="cpu")
    mid = sw.MID(quantile=1.0, mislabel_filter=flt, random_state=0).fit(features, logits, labels)
    assert sorted(mid.mislabeled_.tolist()) == [4, 7]


def test_itm_filter_refuses_a_non_itm_model():
    with pytest.raises(TypeError, match="BLIP image-text matching model.*got Linear"):
        ITMFilter(nn.Linear(2, 2), StubProcessor(), coloured([True, False]), ["a", "b"])


@pytest.fixture(scope="module")
def tiny_blip(tmp_path_factory):
    from transformers import BertTokenizer, BlipConfig, BlipForImageTextRetrieval, BlipImageProcessor, BlipProcessor

    folder = tmp_path_factory.mktemp("blip")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red", "blue", "digit", *"abcdefghijklmnopqrstuvwxyz"]
    (folder / "vocab.txt").write_text("\n".join(dict.fromkeys(words)))
    tokenizer = BertTokenizer(str(folder / "vocab.txt"))
    text = dict(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                num_attention_heads=2, max_position_embeddings=32, encoder_hidden_size=16,
                bos_token_id=2, sep_token_id=3, pad_token_id=0)  # fmt: skip
    vision = dict(image_size=16, patch_size=8, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                  num_attention_heads=2)  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = BlipForImageTextRetrieval(BlipConfig(text_config=text, vision_config=vision, projection_dim=8))
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 16, "width": 16}), tokenizer=tokenizer)
    return model.eval(), processor


def test_itm_filter_with_a_tiny_blip_matches_the_model_called_directly(tiny_blip):
    model, processor = tiny_blip
    images = np.random.default_rng(1).integers(0, 256, (3, 20, 20, 3), dtype=np.uint8)
    prompts = ["a red digit", "a blue digit"]
    flt = ITMFilter(model, processor, images, prompts, batch_size=2, device="cpu")
    match = flt.match_proba(np.arange(3))
    text = processor(text=prompts, return_tensors="pt", padding=True)
    with torch.no_grad():
        for i in range(3):
            pixels = processor(images=[images[i]], return_tensors="pt")["pixel_values"]
            for j in range(2):
                out = model(pixel_values=pixels, input_ids=text["input_ids"][j : j + 1],
                            attention_mask=text["attention_mask"][j : j + 1], use_itm_head=True)  # fmt: skip
                assert match[i, j] == pytest.approx(torch.softmax(out.itm_score, -1)[0, 1].item(), abs=1e-5)
    proba = flt.class_proba(np.arange(3))
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
