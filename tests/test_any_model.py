"""extract and replace_head on Hugging Face, torchvision and hand-written models (tiny random configs)."""

import copy

import numpy as np
import pytest
import torch
from hf_tiny import FAMILIES, tiny_resnet, tiny_vit
from torch import nn
from torch.utils.data import DataLoader, Dataset

import spurwidgets as sw
from spurwidgets.models import replace_head

HEAD_NAMES = {"vit": "classifier", "resnet": "classifier.1", "convnext": "classifier"}


def backbone_features(family, model, x):
    """The head's input computed through the backbone's own output (independent of hooks)."""
    with torch.no_grad():
        if family == "vit":
            return model.vit(pixel_values=x).last_hidden_state[:, 0].numpy()  # CLS after layernorm
        backbone = model.resnet if family == "resnet" else model.convnext
        return backbone(pixel_values=x).pooler_output.flatten(1).numpy()


@pytest.fixture
def floats():
    return torch.rand(12, 3, 16, 16, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_hf_features_are_the_head_input_and_logits_match(family, floats):
    model = FAMILIES[family]()
    fs = sw.extract(model, floats, batch_size=5, device="cpu")
    with torch.no_grad():
        want_logits = model(pixel_values=floats).logits.numpy()
    np.testing.assert_allclose(fs.features, backbone_features(family, model, floats), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fs.logits, want_logits, rtol=1e-5, atol=1e-5)
    head = model.get_submodule(HEAD_NAMES[family])
    assert (fs.head_name, fs.head_in, fs.head_out) == (HEAD_NAMES[family], head.in_features, head.out_features)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_mid_refit_put_back_with_replace_head_predicts_like_the_head(family):
    model = FAMILIES[family](num_labels=2)
    images = torch.rand(60, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    fs = sw.extract(model, images, device="cpu")
    labels = np.random.default_rng(0).permutation(np.arange(60) % 2)
    head = sw.MID(quantile=0.5, random_state=0).fit(fs.features, fs.logits, labels).refit()
    fixed = replace_head(copy.deepcopy(model), head)
    assert isinstance(fixed.get_submodule(HEAD_NAMES[family]), nn.Linear)
    assert fixed.get_submodule(HEAD_NAMES[family]).weight.dtype == torch.float32
    after = sw.extract(fixed, images, device="cpu")
    np.testing.assert_allclose(after.features, fs.features, rtol=1e-6, atol=1e-6)
    assert np.array_equal(after.logits.argmax(1), head.predict(fs.features))
    assert np.array_equal(sw.models.predict(fixed, images, device="cpu"), head.predict(fs.features))


def test_replace_head_in_torchvision_resnet_keeps_dtype_and_fills_absent_classes():
    from torchvision.models import resnet18

    torch.manual_seed(0)
    model = resnet18(weights=None, num_classes=4).double().eval()
    images = torch.rand(30, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    fs = sw.extract(model, images, device="cpu")
    labels = np.arange(30) % 3  # class 3 never seen by the refitted head
    head = sw.refit_head(fs.features, labels, device="cpu")
    replace_head(model, head)
    assert model.fc.weight.dtype == torch.float64 and model.fc.out_features == 4
    after = sw.extract(model, images, device="cpu")
    assert np.array_equal(after.logits.argmax(1), head.predict(fs.features))
    assert 3 not in after.logits.argmax(1)


def test_replace_head_single_logit_model_uses_the_logit_sign():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 6), nn.ReLU(), nn.Linear(6, 1))
    images = torch.rand(40, 3, 4, 4, generator=torch.Generator().manual_seed(3))
    fs = sw.extract(model, images, device="cpu")
    labels = (fs.features[:, 1] > np.median(fs.features[:, 1])).astype(np.int64)
    head = sw.refit_head(fs.features, labels, device="cpu")
    replace_head(model, head)
    assert model[3].out_features == 1
    assert np.array_equal(sw.models.predict(model, images, device="cpu"), head.predict(fs.features))


def test_replace_head_with_an_nn_linear_and_its_errors():
    model = tiny_vit(num_labels=3)
    new = nn.Linear(8, 3)
    assert replace_head(model, new).classifier is not new  # a copy goes in
    torch.testing.assert_close(model.classifier.weight, new.weight)
    with pytest.raises(ValueError, match=r"head has 2 outputs but the model's head 'classifier' has 3"):
        replace_head(model, nn.Linear(8, 2))
    with pytest.raises(ValueError, match=r"head reads 5 features but the model's head 'classifier' reads 8"):
        replace_head(model, nn.Linear(5, 3))
    with pytest.raises(TypeError, match="head must be a fitted LinearHead or an nn.Linear; got str"):
        replace_head(model, "head")
    with pytest.raises(ValueError, match="model has no nn.Linear head"):
        replace_head(nn.Conv2d(3, 2, 1), nn.Linear(2, 2))


def test_replace_head_refuses_a_multiclass_head_for_a_single_logit_model():
    model = nn.Sequential(nn.Flatten(), nn.Linear(48, 1))
    feats = np.random.default_rng(0).normal(size=(30, 48)).astype(np.float32)
    head = sw.refit_head(feats, np.arange(30) % 3, device="cpu")
    with pytest.raises(ValueError, match="classes"):
        replace_head(model, head)


class TupleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(48, 6), nn.ReLU())
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        hidden = self.body(x)
        return self.fc(hidden), hidden


class DictModel(TupleModel):
    def __init__(self, key="logits"):
        super().__init__()
        self.key = key

    def forward(self, x):
        return {self.key: self.fc(self.body(x)), "hidden": self.body(x)}


class PixelValuesModel(TupleModel):
    def forward(self, pixel_values):
        return self.fc(self.body(pixel_values))


@pytest.mark.parametrize("cls", [TupleModel, DictModel, PixelValuesModel])
def test_tuple_dict_and_pixel_values_models(cls):
    model = cls().eval()
    x = torch.rand(7, 3, 4, 4, generator=torch.Generator().manual_seed(4))
    fs = sw.extract(model, x, device="cpu")
    with torch.no_grad():
        hidden = model.body(x)
        np.testing.assert_allclose(fs.features, hidden.numpy(), rtol=1e-6)
        np.testing.assert_allclose(fs.logits, model.fc(hidden).numpy(), rtol=1e-6)
    assert fs.head_name == "fc"


def test_hf_processor_resizes_and_normalises_uint8_images():
    from transformers import ViTImageProcessor

    model = tiny_vit()
    processor = ViTImageProcessor(size={"height": 16, "width": 16}, image_mean=[0.4] * 3, image_std=[0.2] * 3)
    images = np.random.default_rng(0).integers(0, 256, (6, 24, 24, 3), dtype=np.uint8)
    fs = sw.extract(model, images, processor=processor, batch_size=4, device="cpu")
    pixels = processor(images=list(images), return_tensors="pt")["pixel_values"]
    assert pixels.shape == (6, 3, 16, 16) and pixels.min() < 0  # normalised, resized
    with torch.no_grad():
        want = model(pixel_values=pixels).logits.numpy()
    np.testing.assert_allclose(fs.logits, want, rtol=1e-5, atol=1e-5)


def test_callable_processor_gets_uint8_batches():
    seen = []

    def processor(batch):
        seen.append(batch.dtype)
        return {"pixel_values": batch.float() / 127.5 - 1}

    model = TupleModel().eval()
    images = np.random.default_rng(0).integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    fs = sw.extract(model, images, processor=processor, device="cpu")
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        np.testing.assert_allclose(fs.features, model.body(x).numpy(), rtol=1e-5, atol=1e-6)
    assert seen == [torch.uint8]


class DictItems(Dataset):
    def __init__(self, pixels, labels):
        self.pixels, self.labels = pixels, labels

    def __len__(self):
        return len(self.pixels)

    def __getitem__(self, i):
        return {"pixel_values": self.pixels[i], "labels": self.labels[i]}


def test_dataloader_yielding_hf_pixel_values_dicts():
    model = tiny_resnet()
    pixels = torch.randn(9, 3, 16, 16, generator=torch.Generator().manual_seed(5))  # normalised: negative
    labels = torch.arange(9) % 2
    loader = DataLoader(DictItems(pixels, labels), batch_size=4)
    fs = sw.extract(model, loader, device="cpu")
    with torch.no_grad():
        np.testing.assert_allclose(fs.logits, model(pixel_values=pixels).logits.numpy(), rtol=1e-5, atol=1e-5)
    assert fs.labels.tolist() == labels.tolist()
    fs2 = sw.extract(model, DictItems(pixels, labels), device="cpu")  # the Dataset itself
    np.testing.assert_allclose(fs2.logits, fs.logits, rtol=1e-6)
    with pytest.raises(ValueError, match="model-ready 'pixel_values'.*processor=/transform="):
        sw.extract(model, loader, transform=lambda x: x, device="cpu")


def test_dataloader_dicts_without_pixel_values_are_refused():
    loader = DataLoader([{"x": torch.rand(3, 4, 4)}] * 3, batch_size=2)
    with pytest.raises(ValueError, match=r"yields dicts with keys \['x'\]; expected a 'pixel_values'"):
        sw.extract(TupleModel(), loader, device="cpu")


def test_model_returning_a_dict_without_logits_is_refused():
    with pytest.raises(ValueError, match=r"model returned a dict without 'logits'.*got keys \['hidden', 'scores'\]"):
        sw.extract(DictModel(key="scores"), torch.rand(3, 3, 4, 4), device="cpu")


def test_meta_device_model_is_refused():
    with torch.device("meta"):
        model = TupleModel()
    with pytest.raises(ValueError, match="model has weights on the meta device"):
        sw.extract(model, torch.rand(3, 3, 4, 4), device="cpu")


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_float64_and_low_precision_models_get_inputs_in_their_dtype(dtype):
    model = TupleModel().eval()
    x = torch.rand(5, 3, 4, 4, generator=torch.Generator().manual_seed(6))
    want = sw.extract(model, x, device="cpu")
    fs = sw.extract(copy.deepcopy(model).to(dtype), x, device="cpu")
    assert fs.features.dtype == np.float32 and fs.logits.dtype == np.float32
    tol = 1e-6 if dtype == torch.float64 else 5e-2
    np.testing.assert_allclose(fs.logits, want.logits, rtol=tol, atol=tol)


def test_nan_features_are_an_error():
    model = TupleModel()
    with torch.no_grad():
        model.body[1].bias.fill_(float("nan"))  # NaN features; ReLU keeps NaN
        model.fc.weight.zero_()
    with pytest.raises(ValueError, match="NaN or infinite"):
        sw.extract(model, torch.rand(3, 3, 4, 4), device="cpu")


def test_any_named_module_of_a_hf_model_is_a_layer_and_typos_list_names():
    model = tiny_vit()
    fs = sw.extract(model, torch.rand(4, 3, 16, 16), layer="vit.layernorm", return_maps=True, device="cpu")
    default = sw.extract(model, torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0)), device="cpu")
    again = sw.extract(
        model, torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0)), layer="vit.layernorm", device="cpu"
    )
    np.testing.assert_allclose(again.features, default.features, rtol=1e-6)  # CLS token = head input
    assert fs.maps.shape == (4, 8, 4, 4)  # (N, D, 16/4, 16/4) patch grid
    with pytest.raises(ValueError, match=r"layer 'vit.layernorn' is not a module.*'vit.layernorm'"):
        sw.extract(model, torch.rand(2, 3, 16, 16), layer="vit.layernorn")


def _two_colour_task(n=48):
    """Red (class 0) or blue (class 1) squares with noise: learnable in a few steps."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    images = rng.integers(0, 60, size=(n, 16, 16, 3)).astype(np.uint8)
    images[labels == 0, ..., 0] += 180
    images[labels == 1, ..., 2] += 180
    return images, labels


def test_train_classifier_fine_tunes_a_hugging_face_model_with_its_head_lr_and_processor():
    images, labels = _two_colour_task()
    model = tiny_vit(num_labels=2, seed=3)
    head_before = model.classifier.weight.detach().clone()
    body_before = model.vit.embeddings.patch_embeddings.projection.weight.detach().clone()
    calls = []

    def processor(batch):  # uint8 (B, 3, H, W) in, normalised floats out, as an HF processor does
        calls.append(batch.dtype)
        return {"pixel_values": batch.float() / 127.5 - 1}

    before = (sw.models.predict(model, images, processor=processor) == labels).mean()
    sw.models.train_classifier(model, images, labels, epochs=6, batch_size=16, lr=0.0, head_lr=0.05,
                                        processor=processor, progress=False)  # fmt: skip
    after = (sw.models.predict(model, images, processor=processor) == labels).mean()
    assert set(calls) == {torch.uint8}
    assert before < 0.75 and after == 1.0  # the head learned the colours
    assert not torch.equal(model.classifier.weight, head_before)
    assert torch.equal(model.vit.embeddings.patch_embeddings.projection.weight, body_before)  # lr=0 body


def test_train_classifier_trains_a_single_logit_model_with_the_logistic_loss():
    images, labels = _two_colour_task()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 1))
    sw.models.train_classifier(model, images, labels, epochs=20, batch_size=16, lr=0.01, progress=False)
    assert (sw.models.predict(model, images) == labels).mean() == 1.0
