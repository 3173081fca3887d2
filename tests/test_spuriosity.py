"""SpuriosityRanker (and the deprecated fit_linear_head): importance, top features, z-scored spuriosity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spurwidgets import SpuriosityRanker, fit_linear_head, refit_head

# Class 0: feature 0 fires 2, feature 1 fires 1; class 1: feature 2 fires 3.
FEATURES = np.array(
    [[2.0, 1.0, 0.0], [2.0, 1.0, 0.0], [4.0, 3.0, 0.0], [0.0, 0.0, 3.0], [0.0, 1.0, 3.0], [0.0, 0.0, 6.0]],
    dtype=np.float32,
)
LABELS = np.array([0, 0, 0, 1, 1, 1])
WEIGHT = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]], dtype=np.float32)


def fitted(n_features: int = 2) -> SpuriosityRanker:
    return SpuriosityRanker(n_features=n_features).fit(FEATURES, LABELS, WEIGHT)


def test_fit_returns_self_and_importance_is_mean_activation_times_weight():
    ranker = SpuriosityRanker(n_features=2)
    assert ranker.fit(FEATURES, LABELS, WEIGHT) is ranker
    mean0, mean1 = FEATURES[:3].mean(0), FEATURES[3:].mean(0)
    np.testing.assert_allclose(ranker.importance_, np.stack([mean0 * WEIGHT[0], mean1 * WEIGHT[1]]))


def test_top_features_are_most_important_first():
    ranker = fitted(2)
    # class 0 importance: [8/3, 10/3, 0] -> 1, 0; class 1: [0, -1/3, 4] -> 2, 0 (stable tie at 0)
    assert ranker.top_features_[0].tolist() == [1, 0]
    assert ranker.top_features_[1].tolist() == [2, 0]
    assert ranker.top_features_[0].dtype == np.int64


def test_single_logit_head_maps_to_minus_w_for_class_0_and_plus_w_for_class_1():
    w = np.array([[1.0, -1.0, 0.5]], dtype=np.float32)
    ranker = SpuriosityRanker(n_features=1).fit(FEATURES, LABELS, w)
    assert ranker.importance_.shape == (2, 3)
    np.testing.assert_allclose(ranker.importance_[0], FEATURES[:3].mean(0) * -w[0])
    np.testing.assert_allclose(ranker.importance_[1], FEATURES[3:].mean(0) * w[0])


def test_nn_linear_head_is_accepted():
    head = torch.nn.Linear(3, 2)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(WEIGHT))
    np.testing.assert_allclose(SpuriosityRanker(2).fit(FEATURES, LABELS, head).importance_, fitted().importance_)


def test_score_is_mean_z_scored_activation_of_the_class_spurious_features():
    ranker = fitted()
    scores = ranker.score(FEATURES, LABELS, spurious={0: [0, 1], 1: [2]})
    # independent of the ranker's own statistics: per-class mean and population std by hand
    # class 0, features 0 and 1: (2, 2, 4) and (1, 1, 3) -> mean 8/3 and 5/3, std sqrt(8)/3 for both
    # class 1, feature 2: (3, 3, 6) -> mean 4, std sqrt(2)
    s = np.sqrt(8) / 3
    z0 = ((np.array([2.0, 2.0, 4.0]) - 8 / 3) / s + (np.array([1.0, 1.0, 3.0]) - 5 / 3) / s) / 2
    expected = np.concatenate([z0, (np.array([3.0, 3.0, 6.0]) - 4) / np.sqrt(2)])
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    assert scores.shape == (6,)
    assert scores[2] > scores[0] and scores[5] > scores[3]


def test_class_without_spurious_features_scores_zero():
    scores = fitted().score(FEATURES, LABELS, spurious={0: [0], 1: []})
    assert scores[3:].tolist() == [0.0, 0.0, 0.0]
    assert fitted().score(FEATURES, LABELS, spurious={}).tolist() == [0.0] * 6


def test_rank_orders_each_class_from_lowest_to_highest_spuriosity():
    ranking = fitted().rank(FEATURES, LABELS, spurious={0: [0], 1: [2]})
    assert ranking[0].tolist() == [0, 1, 2]
    assert ranking[1].tolist() == [3, 4, 5]


def test_extreme_images_gives_most_and_least_activating_of_the_class():
    top, bottom = fitted().extreme_images(FEATURES, LABELS, cls=1, feature=1, k=1)
    assert top.tolist() == [4] and bottom.tolist() == [3]


def test_reading_before_fit_raises_not_fitted():
    with pytest.raises(RuntimeError, match="not fitted"):
        SpuriosityRanker().score(FEATURES, LABELS, {})


@pytest.mark.parametrize(
    ("spurious", "error", "message"),
    [
        ({5: [0]}, ValueError, "class 5 does not exist; expected a class in 0..1"),
        ({0: [3]}, ValueError, "feature 3 does not exist; expected a feature in 0..2"),
        ({0: ["a"]}, TypeError, "feature must be an integer"),
        ([0, 1], TypeError, "spurious must be a dict"),
    ],
)
def test_bad_spurious_mapping_is_refused(spurious, error, message):
    with pytest.raises(error, match=message):
        fitted().score(FEATURES, LABELS, spurious=spurious)


def test_bad_fit_input_is_refused_with_clear_messages():
    with pytest.raises(ValueError, match="head_weight has 2 columns but features have 3"):
        SpuriosityRanker().fit(FEATURES, LABELS, WEIGHT[:, :2])
    with pytest.raises(ValueError, match="n_features=4 is larger than the 3 features"):
        SpuriosityRanker(n_features=4).fit(FEATURES, LABELS, WEIGHT)
    with pytest.raises(ValueError, match="labels holds class 2 but only 2 classes"):
        SpuriosityRanker(1).fit(FEATURES, np.array([0, 0, 1, 1, 2, 2]), WEIGHT)
    bad = FEATURES.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="features contains 1 NaN"):
        SpuriosityRanker(1).fit(bad, LABELS, WEIGHT)


def test_k_larger_than_class_is_refused():
    with pytest.raises(ValueError, match="k=4 is larger than the 3 images of class 0"):
        fitted().extreme_images(FEATURES, LABELS, 0, 0, k=4)


def test_failed_refit_keeps_previous_state():
    ranker = fitted()
    before = ranker.importance_.copy()
    with pytest.raises(ValueError):
        ranker.fit(FEATURES, LABELS, WEIGHT[:, :2])
    np.testing.assert_array_equal(ranker.importance_, before)


def test_fit_linear_head_is_a_deprecated_wrapper_of_refit_head_with_the_same_objective():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 30)
    features = (rng.normal(size=(90, 4)) + 3 * np.eye(4)[labels]).astype(np.float32)
    with pytest.warns(DeprecationWarning, match=r"fit_linear_head is deprecated; use refit_head\(features, labels"):
        head = fit_linear_head(features, labels, weight_decay=0.01, device="cpu", random_state=0)
    assert isinstance(head, torch.nn.Linear) and tuple(head.weight.shape) == (3, 4) and not head.training
    with torch.no_grad():
        accuracy = (head(torch.from_numpy(features)).argmax(1).numpy() == labels).mean()
    assert accuracy > 0.95
    # weight_decay 0.01 on the mean loss is C = 1 / (0.01 * 90) in refit_head's sum-of-losses form.
    expected = refit_head(features, labels, C=1 / (0.01 * 90), device="cpu").to_torch()
    torch.testing.assert_close(head.weight, expected.weight, rtol=0, atol=0)
    torch.testing.assert_close(head.bias, expected.bias, rtol=0, atol=0)


def test_fit_linear_head_two_classes_keeps_two_outputs_and_n_classes_pads_absent_ones():
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]], dtype=np.float32)
    labels = np.array([0, 1, 0, 1])
    with pytest.warns(DeprecationWarning):
        two = fit_linear_head(features, labels, device="cpu")
        padded = fit_linear_head(features, labels, n_classes=3, device="cpu")
    # two classes: the single logit s of refit_head(C = 2 / (wd N)) as the pair (-s/2, s/2)
    single = refit_head(features, labels, C=2 / (0.003 * 4), device="cpu")
    torch.testing.assert_close(two.weight, single.to_torch().weight, rtol=0, atol=0)
    assert tuple(padded.weight.shape) == (3, 2) and float(padded.bias.detach()[2]) == -1.0e4


def test_fit_linear_head_refuses_mismatched_lengths_and_no_weight_decay():
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="labels has 5 entries but 6 were expected"):
        fit_linear_head(FEATURES, LABELS[:5], device="cpu")
    with (
        pytest.warns(DeprecationWarning),
        pytest.raises(ValueError, match="weight_decay must satisfy weight_decay > 0; got 0"),
    ):
        fit_linear_head(FEATURES, LABELS, weight_decay=0.0, device="cpu")


def test_a_refit_head_gives_the_same_ranking_as_its_weight():
    head = refit_head(FEATURES, LABELS, device="cpu")
    ranker = SpuriosityRanker(n_features=2).fit(FEATURES, LABELS, head)
    np.testing.assert_array_equal(
        ranker.importance_, SpuriosityRanker(n_features=2).fit(FEATURES, LABELS, head.coef_).importance_
    )
    shifted = refit_head(FEATURES, LABELS + 1, device="cpu")
    with pytest.raises(ValueError, match=r"head_weight is a LinearHead over classes \[1, 2\]; expected classes 0..C-1"):
        SpuriosityRanker().fit(FEATURES, LABELS, shifted)


def test_zscore_uses_each_images_own_class_statistics_and_score_averages_its_spurious_columns():
    ranker = fitted()
    z = ranker.zscore(FEATURES, LABELS)
    expected = (FEATURES - ranker.class_mean_[LABELS]) / ranker.class_std_[LABELS]
    np.testing.assert_allclose(z, expected)
    np.testing.assert_allclose(z[LABELS == 0].mean(0)[:2], [0.0, 0.0], atol=1e-12)
    score = ranker.score(FEATURES, LABELS, {0: [0, 1], 1: [2]})
    np.testing.assert_allclose(score, np.where(LABELS == 0, z[:, :2].mean(1), z[:, 2]))
