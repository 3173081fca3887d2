"""Issue 15's weak tests, redone against independent references (hand-worked values, brute
force, scikit-learn) so that the small realistic bugs of the mutation run are caught."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets import MID, SpuriosityRanker
from spurwidgets.compute.mislabel import confident_mislabels
from spurwidgets.compute.probe_clusters import cluster_by_class
from spurwidgets.compute.refit import refit_head
from spurwidgets.compute.vae import VAE
from spurwidgets.datasets import solid_color_probes


def test_spuriosity_score_is_the_hand_computed_z_score():
    features = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 16.0], [0.0, 2.0], [4.0, 6.0]], dtype=np.float32)
    labels = np.array([0, 0, 0, 1, 1])
    ranker = SpuriosityRanker(n_features=1).fit(features, labels, np.ones((2, 2), np.float32))
    # class 0, feature 1: values 10, 10, 16 -> mean 12, population std sqrt(8)
    # class 1, feature 0: values 0, 4 -> mean 2, std 2
    scores = ranker.score(features, labels, {0: [1], 1: [0]})
    s8 = np.sqrt(8.0)
    np.testing.assert_allclose(scores, [-2 / s8, -2 / s8, 4 / s8, -1.0, 1.0], rtol=1e-6)
    # two spurious features: the mean of the two z-scores (class 0, feature 0: mean 3, std sqrt(8/3))
    both = ranker.score(features, labels, {0: [0, 1], 1: []})
    z0 = (np.array([1.0, 3.0, 5.0]) - 3.0) / np.sqrt(8 / 3)
    np.testing.assert_allclose(both[:3], (z0 + np.array([-2, -2, 4]) / s8) / 2, rtol=1e-6)
    assert both[3:].tolist() == [0.0, 0.0]


def test_probe_centres_use_squared_probabilities_as_weights():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(30, 2))
    p1 = rng.uniform(0.05, 0.95, size=30)
    probs = np.stack([1 - p1, p1], axis=1)
    _, centres, classes = cluster_by_class(points, probs, clusters_per_class=1, power=2.0, random_state=0)
    assert classes.tolist() == [0, 1]
    for c in (0, 1):  # one centre per class = the p_c^2-weighted mean of all probes
        w = probs[:, c] ** 2
        np.testing.assert_allclose(centres[c], (w[:, None] * points).sum(0) / w.sum(), atol=1e-8)
    _, cubed, _ = cluster_by_class(points, probs, clusters_per_class=1, power=3.0, random_state=0)
    w = probs[:, 1] ** 3
    np.testing.assert_allclose(cubed[1], (w[:, None] * points).sum(0) / w.sum(), atol=1e-8)


def test_vae_learns_to_reconstruct():
    probes = solid_color_probes(n=160, size=8, random_state=0)

    def relative_error(epochs):
        vae = VAE(latent_dim=2, epochs=epochs, width=8, image_size=8, random_state=0, device="cpu").fit(probes)
        recon = vae.decode(vae.encode(probes)).astype(float)
        baseline = np.abs(probes.mean(0, keepdims=True) - probes).mean()  # always predicting the mean colour
        return np.abs(recon - probes).mean() / baseline, vae

    untrained, _ = relative_error(1)
    trained, vae = relative_error(25)
    assert untrained > 0.95  # one epoch: no better than the mean colour
    assert trained < 0.85  # trained: reconstructs the colours (measured 0.75)
    losses = [h["val_loss"] for h in vae.history_]
    assert vae.history_[vae.best_epoch_]["val_loss"] == min(losses) < losses[0]


def test_C_auto_picks_the_C_with_the_best_validation_accuracy():
    rng = np.random.default_rng(0)
    n = 300
    y = (rng.random(n) < 0.1).astype(int)  # 10 % positives, perfectly separable on feature 0
    x = rng.normal(size=(n, 5)).astype(np.float32)
    x[:, 0] = np.where(y == 1, 1.0, -1.0) * (0.3 + rng.random(n))
    head = refit_head(x, y, C="auto", random_state=0, device="cpu")
    # C = 1e-3 shrinks the weights to almost nothing, so the unpenalised intercept predicts the
    # majority class everywhere (90 %); a larger C separates the classes (100 %).
    tiny = refit_head(x, y, C=1e-3, device="cpu")
    assert tiny.score(x, y) < 0.95
    assert head.C_ > 1e-3 and head.score(x, y) == 1.0
    # the chosen C refits on all samples: the same head as refit_head(C=head.C_)
    np.testing.assert_allclose(head.coef_, refit_head(x, y, C=head.C_, device="cpu").coef_, atol=0.05)


def test_confident_mislabel_filter_flags_the_flipped_labels_inside_mid():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 100)
    x = (rng.normal(size=(200, 4)) + 3.0 * (2 * y[:, None] - 1) * np.array([1, 0, 0, 0])).astype(np.float32)
    noisy = y.copy()
    flipped = [3, 50, 120, 151]
    noisy[flipped] = 1 - noisy[flipped]
    logits = x[:, 0] * 0.1
    mid = MID(window=(-10.0, 10.0), mislabel_filter="confident", random_state=0, device="cpu").fit(x, logits, noisy)
    assert len(mid.window_) == 200
    assert set(flipped) <= set(mid.mislabeled_.tolist()) and len(mid.mislabeled_) <= 8
    np.testing.assert_array_equal(mid.mislabeled_, np.flatnonzero(confident_mislabels(x, noisy, device="cpu")))
    assert (mid.window_clusters_[flipped] == -1).all()
    without = MID(window=(-10.0, 10.0), random_state=0, device="cpu").fit(x, logits, noisy)
    assert len(without.mislabeled_) == 0 and (without.window_clusters_ >= 0).all()


@pytest.mark.parametrize("n_groups", [2, 3])
def test_refit_head_groups_weigh_the_same(n_groups):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(n_groups)
    x = rng.normal(size=(90, 2)).astype(np.float32)
    y = (x[:, 0] + rng.normal(size=90) > 0).astype(int)
    groups = rng.integers(0, n_groups, 90)
    head = refit_head(x, y, groups=groups, C=1.0, device="cpu")
    counts = np.bincount(groups)
    w = 90 / (n_groups * counts[groups])
    ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(x, y, w)
    np.testing.assert_allclose(head.coef_, ref.coef_, atol=2e-3)
