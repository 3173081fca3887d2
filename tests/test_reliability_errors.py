"""Issue 15: bad inputs that used to pass silently, allocate gigabytes or fail with a raw
torch/numpy message now give a clear error naming the argument (or the correct result)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from spurwidgets import MID, ProbeClusters, SpuriosityRanker, metrics
from spurwidgets.compute.mid import MISSING_CLASS_LOGIT
from spurwidgets.compute.refit import refit_head
from spurwidgets.compute.vae import VAE
from spurwidgets.compute.validation import check_labels, resolve_device
from spurwidgets.datasets import ImageSet, solid_color_probes


# ---------------------------------------------------------------------- labels and ids
def test_huge_label_id_in_imageset_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r"labels holds id 1000000000, larger than the 1048575 supported"):
        ImageSet(np.zeros((2, 4, 4, 3), np.uint8), np.array([0, 10**9]))


def test_huge_label_id_in_logit_curve_is_refused_before_allocating():
    from spurwidgets.widgets.logit_curve import LogitCurve

    with pytest.raises(ValueError, match=r"labels holds id 1000000000"):
        LogitCurve(np.arange(3.0), np.array([0, 1, 10**9]))


def test_max_label_none_allows_arbitrary_ids():
    assert check_labels([5, 10**9], "groups", max_label=None).tolist() == [5, 10**9]


# ---------------------------------------------------------------------- metrics
def test_average_cluster_probability_refuses_probabilities_above_one():
    with pytest.raises(ValueError, match=r"probs must be probabilities in \[0, 1\]; got values in \[0, 1.5\]"):
        metrics.average_cluster_probability(np.array([[1.5, 0.0], [0.0, 1.0]]), [0, 1], [0, 1])


@pytest.mark.parametrize(
    ("classes", "error", "message"),
    [
        ([0.7], ValueError, "cluster_classes must hold integer labels"),
        (["a"], TypeError, "cluster_classes must hold integer labels"),
        ("0", TypeError, "cluster_classes must be a sequence of class ids"),
        (3, TypeError, "cluster_classes must be a sequence of class ids"),
        ([-1], ValueError, "cluster_classes must be non-negative"),
    ],
)
def test_average_cluster_probability_refuses_non_class_cluster_classes(classes, error, message):
    with pytest.raises(error, match=message):
        metrics.average_cluster_probability(np.array([[1.0, 0.0], [0.0, 1.0]]), [0, 0], classes)


# ---------------------------------------------------------------------- VAE
@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"beta": -1.0}, ValueError, "beta must satisfy beta >= 0; got -1"),
        ({"validation_fraction": -0.1}, ValueError, r"validation_fraction must be in \[0.0, 0.5\]; got -0.1"),
        ({"validation_fraction": 1.5}, ValueError, r"validation_fraction must be in \[0.0, 0.5\]; got 1.5"),
        ({"image_size": 30}, ValueError, "image_size must be a multiple of 4 .*got 30"),
        ({"lr": float("nan")}, ValueError, "lr must be a finite number; got nan"),
        ({"lr": 0.0}, ValueError, "lr must satisfy lr > 0; got 0"),
        ({"lr": "fast"}, TypeError, "lr must be a number; got 'fast'"),
        ({"device": "cuda"} if not torch.cuda.is_available() else {"device": "cuda:99"}, ValueError, "device="),
    ],
)
def test_vae_bad_parameters_are_named(params, error, message):
    with pytest.raises(error, match=message):
        VAE(epochs=1, **params).fit(solid_color_probes(n=12, size=8))


@pytest.fixture(scope="module")
def tiny_vae():
    return VAE(latent_dim=2, epochs=1, image_size=8, random_state=0, device="cpu").fit(solid_color_probes(12, 8))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"span": float("nan")}, ValueError, "span must be a finite number; got nan"),
        ({"span": -1.0}, ValueError, "span must satisfy span >= 0"),
        ({"span": "2"}, TypeError, "span must be a number"),
        ({"center": [0.0, float("nan")]}, ValueError, "center contains 1 NaN"),
        ({"center": [0.0, 0.0, 0.0]}, ValueError, r"center must have 2 entries"),
    ],
)
def test_traverse_bad_arguments_are_named(tiny_vae, kwargs, error, message):
    with pytest.raises(error, match=message):
        tiny_vae.traverse(**kwargs)


def test_traverse_span_zero_repeats_the_centre(tiny_vae):
    grid = tiny_vae.traverse(n_steps=3, span=0.0)
    assert grid.shape == (2, 3, 8, 8, 3)
    assert (grid == grid[0, 0]).all()


# ---------------------------------------------------------------------- devices
def test_cuda_without_a_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"device='cuda:99' but only \d+ CUDA GPU"):
            resolve_device("cuda:99")
    else:
        with pytest.raises(ValueError, match="device='cuda' but no CUDA GPU is available here"):
            resolve_device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


# ---------------------------------------------------------------------- probe clusters
class _ColourModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.head = torch.nn.Linear(3, 2)
        with torch.no_grad():
            self.head.weight.copy_(torch.tensor([[4.0, 0.0, -4.0], [-4.0, 0.0, 4.0]]))
            self.head.bias.zero_()

    def forward(self, x):
        return self.head(x.mean(dim=(2, 3)))


@pytest.mark.parametrize("power", ["abc", float("nan"), 0.0, -2.0, True])
def test_probe_clusters_bad_power_is_named(power):
    with pytest.raises((ValueError, TypeError), match="power must"):
        ProbeClusters(power=power).fit(_ColourModel(), solid_color_probes(8, 8))


def test_probe_clusters_refuses_a_shuffling_loader():
    probes = torch.from_numpy(solid_color_probes(16, 8)).permute(0, 3, 1, 2).float() / 255
    loader = DataLoader(TensorDataset(probes, torch.zeros(16)), batch_size=4, shuffle=True)
    with pytest.raises(ValueError, match="probes is a DataLoader with sampler RandomSampler .*shuffle=False"):
        ProbeClusters(latent_dim=2).fit(_ColourModel(), loader)
    dropping = DataLoader(TensorDataset(probes, torch.zeros(16)), batch_size=5, drop_last=True)
    with pytest.raises(ValueError, match="drop_last=True"):
        ProbeClusters(latent_dim=2).fit(_ColourModel(), dropping)


def test_probe_clusters_ordered_loader_pairs_probs_with_the_same_probe():
    raw = solid_color_probes(24, 8, random_state=3)
    probes = torch.from_numpy(raw).permute(0, 3, 1, 2).float() / 255
    loader = DataLoader(TensorDataset(probes, torch.zeros(24)), batch_size=5, shuffle=False)
    fast = {"epochs": 1, "image_size": 8}
    pc = ProbeClusters(latent_dim=2, vae_params=fast, device="cpu").fit(_ColourModel(), loader)
    expected = torch.softmax(_ColourModel()(probes), dim=1).detach().numpy()
    np.testing.assert_allclose(pc.probs_, expected, atol=1e-5)  # row i is probe i
    np.testing.assert_allclose(pc.latent_, pc.vae_.encode(raw), atol=1e-5)


# ---------------------------------------------------------------------- spuriosity ranker
@pytest.mark.parametrize("min_std", [0, -1.0, float("nan"), "tiny"])
def test_ranker_min_std_must_be_positive(min_std):
    features = np.ones((4, 2), np.float32)
    with pytest.raises((ValueError, TypeError), match="min_std must"):
        SpuriosityRanker(n_features=1, min_std=min_std).fit(features, [0, 0, 1, 1], np.ones((2, 2), np.float32))


# ---------------------------------------------------------------------- widgets
def test_latent_scatter_one_3d_point_is_a_clear_error():
    from spurwidgets.widgets.latent_scatter import LatentScatter

    with pytest.raises(ValueError, match="points must hold at least 2 points to project 3-D points to 2-D; got 1"):
        LatentScatter(np.zeros((1, 3)))


@pytest.mark.parametrize("bad", [(1.0, 0.0), (0.5, 0.5), (0.0, float("nan")), ("a", "b")])
def test_latent_scatter_reversed_or_empty_color_range_is_named(bad):
    from spurwidgets.widgets.latent_scatter import LatentScatter

    with pytest.raises((ValueError, TypeError), match=r"color_ranges\['p'\]"):
        LatentScatter(np.random.default_rng(0).random((5, 2)), {"p": np.linspace(0, 1, 5)}, color_ranges={"p": bad})


class _MixedSizes(Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return torch.rand(3, 8 + i, 8), 0


def test_image_gallery_on_mixed_sizes_is_a_clear_error():
    from spurwidgets.widgets.image_gallery import ImageGallery

    with pytest.raises(ValueError, match=r"images holds images of different sizes \(\(3, 8, 8\), \(3, 9, 8\)"):
        ImageGallery(_MixedSizes())


# ---------------------------------------------------------------------- MID refit arguments
@pytest.fixture(scope="module")
def three_class_mid():
    """A 3-class model whose training labels only hold classes 0 and 2."""
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 2], 60)
    features = rng.normal(size=(120, 4)).astype(np.float32)
    features[:, 0] += np.where(labels == 2, 2.0, -2.0)
    logits = np.stack([-features[:, 0], np.full(120, -5.0), features[:, 0]], axis=1).astype(np.float32)
    return MID(quantile=0.4, n_clusters=2, device="cpu").fit(features, logits, labels), features, labels


def test_refit_head_keeps_one_output_per_model_class_when_labels_miss_one(three_class_mid):
    mid, features, labels = three_class_mid
    head = mid.refit()
    assert head.classes_.tolist() == [0, 1, 2]
    assert head.coef_.shape == (3, 4) and head.to_torch().out_features == 3
    assert (head.coef_[1] == 0).all() and head.intercept_[1] == MISSING_CLASS_LOGIT
    scores = head.decision_function(features)
    binary = refit_head(features, labels, groups=mid.refit_groups(), C=mid.C, device="cpu")  # one logit for class 2
    np.testing.assert_allclose(scores[:, 2] - scores[:, 0], binary.decision_function(features), rtol=1e-5, atol=1e-5)
    assert set(head.predict(features).tolist()) <= {0, 2}
    assert head.score(features, labels) > 0.9


def test_refit_accepts_the_gallery_marked_dict_and_uses_minority_clusters(three_class_mid):
    mid = three_class_mid[0]
    marked = {0: "majority", 1: "minority", 3: "minority"}
    np.testing.assert_array_equal(mid.refit_groups(marked), mid.refit_groups([1, 3]))
    np.testing.assert_array_equal(mid.refit_groups({0: "majority"}), mid.refit_groups([]))
    np.testing.assert_array_equal(mid.refit_groups({3, 1}), mid.refit_groups([1, 3]))
    np.testing.assert_array_equal(mid.refit_groups(np.int64(1)), mid.refit_groups([1]))


@pytest.mark.parametrize(
    ("clusters", "error", "message"),
    [
        ("1", TypeError, "clusters must be cluster ids \\(integers\\); got the string '1'"),
        (["1"], TypeError, "clusters must be cluster ids \\(integers\\) of window_clusters_; got '1'"),
        ([0.7], TypeError, "clusters must be cluster ids .*got 0.7"),
        ([True], TypeError, "clusters must be cluster ids .*got True"),
        ({"a", 1}, TypeError, "clusters must be cluster ids .*got 'a'"),
        ([9], ValueError, r"clusters must be cluster ids of window_clusters_ \(0..3\); got unknown ids \[9\]"),
        ({9: "minority"}, ValueError, r"got unknown ids \[9\]"),
    ],
)
def test_refit_bad_clusters_are_named(three_class_mid, clusters, error, message):
    with pytest.raises(error, match=message):
        three_class_mid[0].refit(clusters=clusters)
