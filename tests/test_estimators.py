"""MID, SpuriosityRanker, VAE and ProbeClusters follow scikit-learn's estimator conventions."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from torch import nn

from spurwidgets import MID, VAE, ProbeClusters, SpuriosityRanker
from spurwidgets.datasets import solid_color_probes

PARAMS = {
    MID: [
        "C",
        "add_errors",
        "class_index",
        "device",
        "max_cluster_samples",
        "mislabel_filter",
        "n_clusters",
        "quantile",
        "random_state",
        "window",
    ],
    SpuriosityRanker: ["min_std", "n_features"],
    VAE: [
        "batch_size",
        "beta",
        "device",
        "epochs",
        "image_size",
        "latent_dim",
        "lr",
        "patience",
        "progress",
        "random_state",
        "validation_fraction",
        "width",
    ],
    ProbeClusters: [
        "batch_size",
        "clusters_per_class",
        "device",
        "latent_dim",
        "power",
        "random_state",
        "vae",
        "vae_params",
        "variant",
    ],
}
FITTED = {MID: "window_", SpuriosityRanker: "importance_", VAE: "model_", ProbeClusters: "labels_"}


@pytest.mark.parametrize("cls", list(PARAMS), ids=lambda c: c.__name__)
def test_get_params_lists_every_constructor_parameter(cls):
    est = cls()
    assert isinstance(est, BaseEstimator)
    assert sorted(est.get_params(deep=False)) == PARAMS[cls]


@pytest.mark.parametrize("cls", list(PARAMS), ids=lambda c: c.__name__)
def test_clone_round_trip_keeps_parameters_and_drops_fitted_state(cls):
    est = cls(random_state=7) if "random_state" in PARAMS[cls] else cls(n_features=3)
    copy = clone(est)
    assert copy is not est and type(copy) is cls
    assert copy.get_params(deep=False) == est.get_params(deep=False)
    assert repr(copy) == repr(est)
    assert not [name for name in vars(copy) if name.endswith("_")]


def test_repr_shows_changed_parameters_only():
    assert repr(MID(quantile=0.3, n_clusters=4)) == "MID(n_clusters=4, quantile=0.3)"
    assert repr(SpuriosityRanker()) == "SpuriosityRanker()"


@pytest.mark.parametrize("cls", list(PARAMS), ids=lambda c: c.__name__)
def test_reading_a_fitted_attribute_before_fit_raises_not_fitted_error(cls):
    name = FITTED[cls]
    with pytest.raises(NotFittedError, match=f"This {cls.__name__} is not fitted yet: call fit.*{name}"):
        getattr(cls(), name)
    assert not hasattr(cls(), name)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        cls().nope  # noqa: B018


def test_methods_before_fit_raise_not_fitted_error_still_a_runtime_error():
    calls = [
        lambda: MID().refit(),
        lambda: SpuriosityRanker().check_class(0),
        lambda: VAE().encode(np.zeros((2, 8, 8, 3), dtype=np.uint8)),
        lambda: ProbeClusters().cluster_members(0),
    ]
    for call in calls:
        with pytest.raises(NotFittedError, match="is not fitted yet") as info:
            call()
        assert isinstance(info.value, RuntimeError)


def test_set_params_refuses_unknown_names_and_changes_known_ones():
    mid = MID()
    assert mid.set_params(quantile=0.3) is mid and mid.quantile == 0.3
    with pytest.raises(ValueError, match="Invalid parameter 'quantil' for estimator MID"):
        mid.set_params(quantil=0.2)


def test_nested_vae_parameters_are_reachable():
    pc = ProbeClusters(vae=VAE(latent_dim=2))
    assert pc.get_params()["vae__latent_dim"] == 2
    pc.set_params(vae__epochs=1)
    assert pc.vae.epochs == 1


def test_an_unfitted_vae_is_cloned_never_fitted_in_place():
    probes = solid_color_probes(n=30, size=8, random_state=0)
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[10.0, 0.0, -10.0], [-10.0, 0.0, 10.0]]))
    given = VAE(latent_dim=2, epochs=1, width=4, batch_size=16, device="cpu")
    pc = ProbeClusters(2, 0, vae=given, device="cpu").fit(model, probes)
    assert pc.vae is given and pc.vae_ is not given
    assert pc.vae_.model_ is not None and pc.vae_.get_params() == given.get_params()
    assert not hasattr(given, "model_")
    # a fitted VAE is used as is (not refitted, not copied)
    again = ProbeClusters(2, 0, vae=pc.vae_, device="cpu").fit(model, probes)
    assert again.vae_ is pc.vae_
    np.testing.assert_array_equal(again.latent_, pc.latent_)


def test_predicted_classes_one_rule_for_numpy_and_torch():
    from spurwidgets.compute.predictions import predicted_classes

    single = np.array([[-1.0], [0.0], [2.0]], dtype=np.float32)
    multi = np.array([[0.1, 0.5, 0.2], [3.0, 0.0, 0.0]], dtype=np.float32)
    assert predicted_classes(single).tolist() == [0, 0, 1]
    assert predicted_classes(single[:, 0]).tolist() == [0, 0, 1]
    assert predicted_classes(multi).tolist() == [1, 0] and predicted_classes(multi).dtype == np.int64
    assert predicted_classes(torch.from_numpy(single)).tolist() == [0, 0, 1]
    assert predicted_classes(torch.from_numpy(multi)).dtype == torch.int64
