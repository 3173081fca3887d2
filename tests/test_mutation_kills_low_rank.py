"""principal_directions: the weighted mean by hand, zero weights, exact directions of rank-2
data (mutation survivors in compute/low_rank.py)."""

from __future__ import annotations

import numpy as np

from spurwidgets.compute.low_rank import principal_directions

RNG = np.random.default_rng(0)
# rank-2 data around (1, 2, 3, 4, 5): directions e1 and e2 (stds 3 and 1), nothing else
FEATURES = (np.array([1.0, 2, 3, 4, 5]) + np.outer(RNG.normal(0, 3, 40), np.eye(5)[0])
            + np.outer(RNG.normal(0, 1, 40), np.eye(5)[1])).astype(np.float32)  # fmt: skip


def test_the_mean_is_the_weighted_mean_also_for_weights_summing_below_one():
    weights = np.zeros(40)
    weights[:2] = [0.1, 0.3]  # sum 0.4: the mean is (0.1 x0 + 0.3 x1) / 0.4
    mean, _ = principal_directions(FEATURES, weights, rank=1)
    np.testing.assert_allclose(mean, (0.1 * FEATURES[0] + 0.3 * FEATURES[1]) / 0.4, rtol=1e-5)


def test_all_zero_weights_mean_equal_weights():
    mean, directions = principal_directions(FEATURES, np.zeros(40), rank=2)
    np.testing.assert_allclose(mean, FEATURES.mean(0), rtol=1e-5, atol=1e-5)
    assert np.isfinite(directions).all()
    # the span of the data: e1 and e2 (up to sign and rotation inside the span)
    np.testing.assert_allclose(np.abs(directions[2:]), 0.0, atol=1e-4)
    np.testing.assert_allclose(directions.T @ directions, np.eye(2), atol=1e-5)


def test_a_group_contrast_outside_the_basis_is_dropped_under_a_thousandth_of_the_largest():
    from spurwidgets.compute.low_rank import with_group_means

    basis = np.eye(3, 1, dtype=np.float32)  # e0
    codes = np.repeat([0, 1], 2)
    weights = np.ones(4)
    for outside, kept in ((0.25, False), (10.0, True)):
        # group means -/+ (1000, outside, 0): contrasts of norm ~1000, their part outside e0 is
        # sqrt(2) * outside, against a threshold of 1e-3 * 1000 = 1
        features = np.array([[-1000, -outside, 0]] * 2 + [[1000, outside, 0]] * 2, dtype=np.float32)
        out = with_group_means(features, weights, codes, basis)
        if kept:
            assert out.shape == (3, 2)
            np.testing.assert_allclose(np.abs(out[:, 1]), [0, 1, 0], atol=1e-6)
        else:
            assert out.shape == (3, 1)
