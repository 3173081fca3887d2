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
