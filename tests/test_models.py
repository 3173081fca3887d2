import numpy as np
import pytest
import torch

import spurwidgets
from spurwidgets import metrics
from spurwidgets.datasets import colored_digits
from spurwidgets.models import SmallCNN, predict, train_classifier


@pytest.fixture(scope="module")
def trained():
    train = colored_digits("train", correlation=0.95)
    model = train_classifier(SmallCNN(random_state=0), train, epochs=4, random_state=0, progress=False)
    return model, train


def test_training_is_reproducible(trained):
    model, train = trained
    again = train_classifier(SmallCNN(random_state=0), train, epochs=4, random_state=0, progress=False)
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_building_a_model_does_not_touch_the_global_rng():
    torch.manual_seed(7)
    expected = torch.rand(1)
    torch.manual_seed(7)
    SmallCNN(random_state=3)
    assert torch.rand(1) == expected


def test_the_teaching_model_learns_the_shortcut(trained):
    model, train = trained
    assert (predict(model, train) == train.labels).mean() > 0.9
    test = colored_digits("test")
    wga = metrics.worst_group_accuracy(test.labels, predict(model, test), test.groups)
    assert wga < 0.5  # the colour shortcut hurts the counter-coloured groups


def test_feature_maps_channels_are_the_penultimate_features(trained):
    model, train = trained
    pooled = spurwidgets.extract(model, train[:8], device="cpu").features
    fs = spurwidgets.extract(model, train[:8], layer="features", return_maps=True, device="cpu")
    np.testing.assert_allclose(fs.features, pooled, rtol=1e-5, atol=1e-6)
    assert fs.maps.shape == (8, 32, 7, 7)


def test_train_needs_labels():
    with pytest.raises(ValueError, match="labels are needed"):
        train_classifier(SmallCNN(), np.zeros((2, 8, 8, 3), np.uint8), progress=False)


def test_pretrained_backbone_is_deterministic_and_cached(tmp_path, monkeypatch):
    from spurwidgets import models

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert models.cache_dir() == tmp_path / "spurwidgets"
    a = models.pretrained_backbone(random_state=1, width=8, epochs=1, copies=1, cache=False)
    b = models.pretrained_backbone(random_state=1, width=8, epochs=1, copies=1, cache=True)
    for key, value in a.state_dict().items():
        torch.testing.assert_close(value, b.state_dict()[key], rtol=0, atol=0)
    (path,) = (tmp_path / "spurwidgets").glob("*.pt")
    assert path.name == f"smallcnn_v{models.PRETRAIN_VERSION}_w8_f256_e1_c1_s1.pt"

    def no_training(*args, **kwargs):
        raise AssertionError("a cached backbone must not be trained again")

    monkeypatch.setattr(models, "train_classifier", no_training)
    c = models.pretrained_backbone(random_state=1, width=8, epochs=1, copies=1)
    torch.testing.assert_close(c.features[0].weight, a.features[0].weight, rtol=0, atol=0)
    fresh = models.SmallCNN.pretrained(n_classes=3, random_state=1, width=8, epochs=1, copies=1)
    assert fresh.fc.out_features == 3 and fresh.fc.in_features == 256 and fresh.feature_dim == 256
    torch.testing.assert_close(fresh.features[-3].weight, a.features[-3].weight, rtol=0, atol=0)  # the 1x1 widening
    torch.testing.assert_close(fresh.features[0].weight, a.features[0].weight, rtol=0, atol=0)
    assert a.fc.out_features == 10 and not a.training


def test_train_classifier_seed_is_a_deprecated_alias_of_random_state():
    data = colored_digits("test", digits=(0, 1), copies=1)[:40]
    with pytest.warns(DeprecationWarning, match=r"train_classifier\(\): seed= is deprecated; use random_state="):
        old = train_classifier(SmallCNN(width=4, random_state=0), data, epochs=1, seed=2, progress=False)
    new = train_classifier(SmallCNN(width=4, random_state=0), data, epochs=1, random_state=2, progress=False)
    for a, b in zip(old.state_dict().values(), new.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(TypeError, match="got both random_state= and its deprecated alias seed="):
        train_classifier(SmallCNN(width=4), data, epochs=1, seed=2, random_state=2, progress=False)


def test_feature_dim_widens_the_last_block_and_keeps_the_rest_of_the_initialisation():
    plain = SmallCNN(n_classes=3, width=8, random_state=5, batch_norm=True)
    wide = SmallCNN(n_classes=3, width=8, random_state=5, batch_norm=True, feature_dim=24)
    assert wide.width == 8 and wide.feature_dim == 24 and plain.feature_dim is None
    for index in (0, 4, 8):  # the three conv blocks start exactly as without the widening
        torch.testing.assert_close(wide.features[index].weight, plain.features[index].weight, rtol=0, atol=0)
    widening = wide.features[len(plain.features)]
    assert isinstance(widening, torch.nn.Conv2d) and widening.kernel_size == (1, 1)
    assert (widening.in_channels, widening.out_channels) == (8, 24)
    assert isinstance(wide.features[-1], torch.nn.ReLU) and wide.fc.in_features == 24
    x = torch.rand(2, 3, 16, 16)
    maps = wide.eval().features(x)  # channels of `features` are exactly the head's input after pooling
    assert maps.shape == (2, 24, 4, 4)
    torch.testing.assert_close(wide(x), wide.fc(maps.mean(dim=(2, 3))))
    with pytest.raises(ValueError, match="feature_dim"):
        SmallCNN(feature_dim=0)
