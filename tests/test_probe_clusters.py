"""Weighted k-means, the per-class probe clustering and the ProbeClusters pipeline."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays
from torch import nn

from spurwidgets.compute.probe_clusters import (
    ProbeClusters,
    check_probabilities,
    class_probabilities,
    cluster_by_class,
    cluster_merged,
    weighted_kmeans,
)
from spurwidgets.datasets import solid_color_probes
from spurwidgets.experiments.probe_table import run_table1, summarize_table1, table1_figure
from spurwidgets.metrics import average_cluster_probability

FAST_VAE = dict(epochs=2, width=4, batch_size=32)


def colour_model() -> nn.Module:
    """Logits [10 (r - b), 10 (b - r)] of the mean colour: a pure colour-shortcut classifier."""
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[10.0, 0.0, -10.0], [-10.0, 0.0, 10.0]]))
        model[2].bias.zero_()
    return model


@pytest.fixture(scope="module")
def probes() -> np.ndarray:
    return solid_color_probes(n=60, size=8, random_state=0)


def test_weighted_kmeans_centres_are_weighted_means_of_each_blob():
    z = np.array([[0, 0], [0, 1], [10, 0], [10, 1]], dtype=float)
    km = weighted_kmeans(z, [1, 3, 1, 1], n_clusters=2, random_state=0)
    centres = sorted(map(tuple, np.round(km.cluster_centers_, 6)))
    assert centres == [(0.0, 0.75), (10.0, 0.5)]
    assert km.labels_[0] == km.labels_[1] != km.labels_[2] == km.labels_[3]


def test_weighted_kmeans_refuses_all_zero_and_negative_weights():
    z = np.zeros((3, 2))
    with pytest.raises(ValueError, match="weights are all zero"):
        weighted_kmeans(z, [0, 0, 0])
    with pytest.raises(ValueError, match="weights must be >= 0"):
        weighted_kmeans(z, [1, -1, 0])
    with pytest.raises(ValueError, match="weights has 2 entries but 3 were expected"):
        weighted_kmeans(z, [1, 1])


def test_class_probabilities_softmax_and_sigmoid():
    p = class_probabilities(np.array([[0.0, np.log(3.0)]]))
    assert np.allclose(p, [[0.25, 0.75]])
    p1 = class_probabilities(np.array([0.0, np.log(4.0)]))
    assert np.allclose(p1, [[0.5, 0.5], [0.2, 0.8]])


def test_probabilities_not_summing_to_one_are_refused():
    with pytest.raises(ValueError, match="probs rows must sum to 1.*row 1 sums to 0.9"):
        check_probabilities(np.array([[0.5, 0.5], [0.5, 0.4]]))
    with pytest.raises(ValueError, match=r"one column per class \(C >= 2\)"):
        check_probabilities(np.array([[1.0], [1.0]]))


def test_cluster_by_class_assigns_each_probe_to_nearest_class_centre():
    points = np.array([[0.0], [1.0], [9.0], [10.0]])
    probs = np.array([[1, 0], [0.9, 0.1], [0.1, 0.9], [0, 1]], dtype=float)
    labels, centres, classes = cluster_by_class(points, probs, clusters_per_class=1, power=2)
    assert classes.tolist() == [0, 1]
    # class 0 centre: weights 1, .81, .01 -> (0*1 + 1*.81 + 9*.01) / 1.82
    assert np.allclose(centres[:, 0], [0.9 / 1.82, (0.01 + 0.81 * 9 + 10) / 1.82])
    assert labels.tolist() == [0, 0, 1, 1]


def test_cluster_by_class_refuses_a_class_with_all_zero_weights():
    with pytest.raises(ValueError, match="weights for class 1 are all zero"):
        cluster_by_class(np.arange(3.0)[:, None], np.array([[1.0, 0.0]] * 3))


def test_cluster_merged_gives_one_cluster_per_majority_class():
    points = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0], [9.1]])
    probs = np.array([[0.9, 0.1]] * 3 + [[0.2, 0.8]] * 2 + [[0.3, 0.7]] * 2)
    labels, centres, classes = cluster_merged(points, probs, clusters_per_class=2, random_state=0)
    assert classes.tolist() == [0, 1]
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert np.allclose(centres[:, 0], [0.1, (5.0 + 5.1 + 9.0 + 9.1) / 4])


def test_probe_clusters_pipeline_attributes(probes):
    pc = ProbeClusters(latent_dim=2, random_state=0, vae_params=FAST_VAE, device="cpu")
    assert pc.fit(colour_model(), probes) is pc
    assert pc.probs_.shape == (60, 2) and np.allclose(pc.probs_.sum(1), 1)
    assert pc.latent_.shape == (60, 2)
    assert pc.labels_.shape == (60,) and set(pc.labels_) <= {0, 1}
    assert pc.cluster_classes_.tolist() == [0, 1]
    expected = average_cluster_probability(pc.probs_, pc.labels_, pc.cluster_classes_)
    assert pc.average_cluster_probability_ == expected
    mean = probes.reshape(60, -1, 3).mean(1) / 255
    assert np.allclose(pc.probs_[:, 1] > 0.5, mean[:, 2] > mean[:, 0])


def test_classifier_features_variant_beats_the_paper_protocol_on_a_colour_model(probes):
    pc = ProbeClusters(2, 0, variant="classifier_features", clusters_per_class=8, vae_params=FAST_VAE, device="cpu")
    pc.fit(colour_model(), probes)
    assert pc.space_ == "features" and pc.cluster_centers_.shape == (2, 3)
    # the best any 2-cluster split can do here: every probe in the cluster of its argmax class
    bound = average_cluster_probability(pc.probs_, pc.probs_.argmax(1), [0, 1])
    paper = ProbeClusters(2, 0, vae=pc.vae_).fit(colour_model(), probes)
    assert paper.space_ == "latent"
    assert bound - 0.05 < pc.average_cluster_probability_ <= bound
    assert pc.average_cluster_probability_ > paper.average_cluster_probability_ + 0.1


def test_given_probs_replace_the_model(probes):
    probs = np.tile([[0.3, 0.7]], (60, 1))
    probs[:30] = [0.8, 0.2]
    pc = ProbeClusters(2, 0, variant="paper", vae_params=FAST_VAE, device="cpu").fit(None, probes, probs=probs)
    assert np.array_equal(pc.probs_, probs)


def test_bad_parameters_are_refused(probes):
    with pytest.raises(ValueError, match="latent_dim must be an integer >= 1; got 0"):
        ProbeClusters(latent_dim=0).fit(colour_model(), probes)
    with pytest.raises(ValueError, match="variant must be one of"):
        ProbeClusters(variant="best").fit(colour_model(), probes)
    with pytest.raises(ValueError, match=r"probes must be .*got ndarray of shape \(4, 8, 8\)"):
        ProbeClusters().fit(colour_model(), np.zeros((4, 8, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match="probs rows must sum to 1"):
        ProbeClusters(vae_params=FAST_VAE).fit(None, probes, probs=np.full((60, 2), 0.6))


def test_reading_clusters_before_fit_is_refused():
    with pytest.raises(RuntimeError, match="not fitted"):
        ProbeClusters().cluster_members(0)


def table1_results():
    import pandas as pd

    rows = [
        {"seed": s, "latent_dim": d, "variant": v, "acp": a + 0.01 * s}
        for s in range(2)
        for d in (2, 3)
        for v, a in (("paper", 0.6), ("classifier_features", 0.96))
    ]
    return pd.DataFrame(rows)


def test_summarize_table1_puts_published_row_first_with_mean_and_sd():
    table = summarize_table1(table1_results())
    assert list(table.columns) == ["2-D", "3-D"]
    assert list(table.index) == ["published (paper)", "paper", "classifier_features"]
    assert table.loc["published (paper)", "3-D"] == "68.8"
    assert table.loc["paper", "2-D"] == "60.5 ± 0.7"
    assert table.loc["classifier_features", "3-D"] == "96.5 ± 0.7"


def test_table1_figure_has_one_bar_trace_per_variant_and_published_markers():
    fig = table1_figure(table1_results())
    assert [t.name for t in fig.data] == ["paper", "classifier_features", "published (paper)"]
    assert list(fig.data[0].y) == pytest.approx([60.5, 60.5])
    assert list(fig.data[2].y) == [52.7, 68.8]
    # each published marker sits on the "paper" bar of its latent size, not between bars
    assert list(fig.data[2].x) == list(fig.data[0].x)
    assert list(fig.data[0].x) == pytest.approx([-0.2, 0.8])
    assert list(fig.data[1].x) == pytest.approx([0.2, 1.2])
    assert list(fig.layout.xaxis.ticktext) == ["2-D", "3-D"]


def test_one_seed_reads_one_seed_not_zero_spread():
    one = table1_results().query("seed == 0")
    assert summarize_table1(one).loc["paper", "2-D"] == "60.0 (1 seed)"
    assert table1_figure(one).data[0].error_y.visible is False


def test_run_table1_refuses_unknown_variants():
    with pytest.raises(ValueError, match=r"variants must be among .*got \['best'\]"):
        run_table1(variants=["paper", "best"])


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=st.floats(-50, 50)))
def test_class_probabilities_are_valid_probabilities_for_any_logits(logits):
    probs = check_probabilities(class_probabilities(logits))  # raises if rows do not sum to 1
    assert probs.shape == (len(logits), max(2, logits.shape[1]))
    if logits.shape[1] == 1:
        clear = np.abs(logits[:, 0]) > 1e-6  # logits are float32 inside: tinier values are 0
        assert np.array_equal((probs[:, 1] > 0.5)[clear], (logits[:, 0] > 0)[clear])
    else:
        top2 = np.sort(logits, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-4  # no (near-)tie, also after rounding to float32
        assert np.array_equal(probs.argmax(1)[clear], logits.argmax(1)[clear])
