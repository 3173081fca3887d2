"""Property tests: random bad inputs to each public entry point raise only ValueError or
TypeError, and the message names the argument that was bad (never a raw numpy/torch error)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spurwidgets import MID, ProbeClusters, SpuriosityRanker, metrics
from spurwidgets.compute.annotations import AnnotationStore
from spurwidgets.compute.probe_clusters import cluster_by_class, weighted_kmeans
from spurwidgets.compute.projection import project_2d
from spurwidgets.compute.refit import refit_head
from spurwidgets.compute.vae import VAE
from spurwidgets.datasets import ImageSet

FAST = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

RNG = np.random.default_rng(0)
N = 24
FEATURES = RNG.normal(size=(N, 3)).astype(np.float32)
LABELS = np.arange(N) % 2
LOGITS = (FEATURES[:, 0] + np.where(LABELS == 1, 1.0, -1.0)).astype(np.float32)

_scalars = st.sampled_from(
    [None, "abc", "", float("nan"), float("inf"), -1, -0.5, 0, 10**9, True, object(), {}, set(), b"x", 1.5]
)
_arrays = st.sampled_from(
    [
        np.zeros((0,)),
        np.zeros((N, 0)),
        np.full(N, np.nan),
        np.full((N, 3), np.inf),
        np.ones((N + 1, 3)),
        np.ones((2, 2, 2)),
        np.array(["a"] * N),
        np.full(N, -3),
        np.full(N, 10**9),
        np.full(N, 0.5),
        [[1, 2], [3]],
        "features",
        [],
    ]
)
BAD = st.one_of(_scalars, _arrays)


def _expect_clear(call: Any, *names: str) -> None:
    """Either accepted, or a ValueError/TypeError whose message names one of `names`."""
    try:
        call()
    except (ValueError, TypeError) as error:
        message = str(error)
        # a length mismatch involves two arguments: naming the other one (with both lengths) is clear too
        mismatch = "were expected (one per" in message or "length mismatch" in message
        assert mismatch or any(name in message for name in names), (
            f"{type(error).__name__} does not name {names}: {message}"
        )


@FAST
@given(bad=BAD, which=st.sampled_from(["features", "logits", "labels"]))
def test_mid_fit(bad, which):
    args = {"features": FEATURES, "logits": LOGITS, "labels": LABELS, which: bad}
    _expect_clear(lambda: MID(quantile=0.5, n_clusters=1).fit(**args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["quantile", "window", "n_clusters", "class_index", "mislabel_filter", "C"]))
def test_mid_parameters(bad, which):
    params = {"quantile": 0.5, "n_clusters": 1, "device": "cpu", which: bad}
    _expect_clear(lambda: MID(**params).fit(FEATURES, LOGITS, LABELS).refit(), which)


@FAST
@given(bad=BAD)
def test_mid_refit_clusters(bad):
    mid = _fitted_mid()
    _expect_clear(lambda: mid.refit(clusters=bad), "clusters")


_MID: list[MID] = []


def _fitted_mid() -> MID:
    if not _MID:
        _MID.append(MID(quantile=0.5, n_clusters=2, device="cpu").fit(FEATURES, LOGITS, LABELS))
    return _MID[0]


@FAST
@given(bad=BAD, which=st.sampled_from(["features", "labels", "groups", "sample_weight", "C", "max_iter", "solver"]))
def test_refit_head(bad, which):
    kwargs = {"groups": None, "sample_weight": None, "C": 1.0, "max_iter": 50, "solver": "scipy", which: bad}
    features = bad if which == "features" else FEATURES
    labels = bad if which == "labels" else LABELS
    kwargs = {k: v for k, v in kwargs.items() if k not in ("features", "labels")}
    _expect_clear(lambda: refit_head(features, labels, device="cpu", **kwargs), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["features", "labels", "head_weight", "n_features", "min_std"]))
def test_spuriosity_ranker_fit(bad, which):
    args = {"features": FEATURES, "labels": LABELS, "head_weight": np.ones((2, 3), np.float32)}
    params = {"n_features": 1, "min_std": 1e-6}
    if which in args:
        args[which] = bad
    else:
        params[which] = bad
    _expect_clear(lambda: SpuriosityRanker(**params).fit(**args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["y_true", "y_pred", "groups"]))
def test_group_accuracy(bad, which):
    args = {"y_true": LABELS, "y_pred": LABELS, "groups": LABELS, which: bad}
    _expect_clear(lambda: metrics.group_accuracy(**args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["correct", "spuriosity", "labels", "k"]))
def test_spurious_gap(bad, which):
    args = {"correct": LABELS, "spuriosity": FEATURES[:, 0], "labels": LABELS, "k": 2, which: bad}
    _expect_clear(lambda: metrics.spurious_gap(**args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["probs", "cluster_labels", "cluster_classes"]))
def test_average_cluster_probability(bad, which):
    probs = np.stack([np.full(N, 0.3), np.full(N, 0.7)], axis=1)
    args = {"probs": probs, "cluster_labels": LABELS, "cluster_classes": [0, 1], which: bad}
    _expect_clear(lambda: metrics.average_cluster_probability(**args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["z", "weights", "n_clusters", "random_state"]))
def test_weighted_kmeans(bad, which):
    args = {"z": FEATURES, "weights": np.ones(N), "n_clusters": 2, "random_state": 0, which: bad}
    _expect_clear(lambda: weighted_kmeans(**args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["points", "probs", "clusters_per_class"]))
def test_cluster_by_class(bad, which):
    probs = np.stack([np.full(N, 0.3), np.full(N, 0.7)], axis=1)
    args = {"points": FEATURES, "probs": probs, "clusters_per_class": 1, which: bad}
    points, probs = args.pop("points"), args.pop("probs")
    _expect_clear(lambda: cluster_by_class(points, probs, **args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["points", "projection"]))
def test_project_2d(bad, which):
    points = bad if which == "points" else FEATURES
    method = bad if which == "projection" else "pca"
    _expect_clear(lambda: project_2d(points, method), which)


@FAST
@given(
    bad=BAD,
    which=st.sampled_from(
        ["latent_dim", "epochs", "batch_size", "lr", "beta", "width", "image_size", "validation_fraction", "patience"]
    ),
)
def test_vae_parameters(bad, which):
    probes = np.zeros((4, 8, 8, 3), np.uint8)
    _expect_clear(lambda: VAE(**{"epochs": 1, "image_size": 8, which: bad}).fit(probes), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["latent_dim", "variant", "clusters_per_class", "power"]))
def test_probe_clusters_parameters(bad, which):
    _expect_clear(lambda: ProbeClusters(**{which: bad})._check_params(), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["class", "feature", "label"]))
def test_annotation_store_set(bad, which):
    args = {"class": 0, "feature": 1, "label": "core", which: bad}
    store = AnnotationStore(None, n_classes=2, n_features=3)
    _expect_clear(lambda: store.set(args["class"], args["feature"], args["label"]), which)
    assert len(store) <= 1


@FAST
@given(bad=BAD, which=st.sampled_from(["n_classes", "n_features"]))
def test_annotation_store_ranges(bad, which):
    args = {"n_classes": 2, "n_features": 3, which: bad}
    _expect_clear(lambda: AnnotationStore(None, **args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["images", "labels", "groups"]))
def test_imageset(bad, which):
    args = {"images": np.zeros((N, 4, 4, 3), np.uint8), "labels": LABELS, "groups": None, which: bad}
    _expect_clear(lambda: ImageSet(**args), which)


@pytest.mark.parametrize("argument", ["logits", "labels", "window", "class_index"])
@FAST
@given(bad=BAD)
def test_logit_curve(argument, bad):
    from spurwidgets.widgets.logit_curve import LogitCurve

    args = {"logits": LOGITS, "labels": LABELS, "window": None, "class_index": 0, argument: bad}
    _expect_clear(lambda: LogitCurve(**args), argument)


@FAST
@given(bad=BAD, which=st.sampled_from(["points", "color", "color_ranges", "thumb_size", "height"]))
def test_latent_scatter(bad, which):
    from spurwidgets.widgets.latent_scatter import LatentScatter

    args = {"points": FEATURES, "color": LABELS, "color_ranges": None, "thumb_size": 96, "height": 420}
    args[which] = {"color": bad} if which == "color_ranges" else bad
    _expect_clear(lambda: LatentScatter(**args), which)


@FAST
@given(bad=BAD, which=st.sampled_from(["images", "indices", "labels", "scores", "columns", "page_size"]))
def test_image_gallery(bad, which):
    from spurwidgets.widgets.image_gallery import ImageGallery

    args = {"images": np.zeros((N, 4, 4, 3), np.uint8), "indices": None, "labels": None, "scores": None}
    args.update({"columns": 4, "page_size": 8, which: bad})
    _expect_clear(lambda: ImageGallery(**args), which)
