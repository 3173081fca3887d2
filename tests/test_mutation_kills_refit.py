"""refit_head: a warm start of a projected (rank=) fit reaches the same optimum, exact messages,
and the interactive options (mutation survivors in compute/refit.py)."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets import refit_head
from spurwidgets.compute.refit import INTERACTIVE_MAX_SAMPLES, INTERACTIVE_RANK, interactive_refit_options

RNG = np.random.default_rng(0)
X = RNG.normal(size=(300, 12)).astype(np.float32)
Y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * RNG.normal(size=300) > 0).astype(np.int64)


def test_a_warm_started_projected_fit_reaches_the_cold_fit_optimum():
    cold = refit_head(X, Y, C=1.0, rank=4, device="cpu", tol=1e-7)
    start = refit_head(X, Y, C=0.01, device="cpu")  # a full-width head far from the optimum
    warm = refit_head(X, Y, C=1.0, rank=4, device="cpu", tol=1e-7, init=start)
    assert warm.coef_.shape == cold.coef_.shape == (1, 12)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=2e-3)
    np.testing.assert_allclose(warm.intercept_, cold.intercept_, atol=2e-3)


def test_interactive_options_cap_and_project_only_large_refits():
    assert interactive_refit_options(INTERACTIVE_MAX_SAMPLES) == {}
    big = interactive_refit_options(INTERACTIVE_MAX_SAMPLES + 1)
    # the documented interactive setting: 20k rows, rank 128 (RESULTS.md, issue 14)
    assert (
        big
        == {"max_samples": 20_000, "rank": 128}
        == {"max_samples": INTERACTIVE_MAX_SAMPLES, "rank": INTERACTIVE_RANK}
    )
    head = refit_head(X, Y, device="cpu", **{**big, "max_samples": 200, "rank": 3})  # the keywords refit_head takes
    assert head.coef_.shape == (1, 12)


def test_bad_max_iter_and_sample_weight_give_the_full_message():
    with pytest.raises(ValueError, match=r"^max_iter must be an integer >= 1; got 0$"):
        refit_head(X, Y, device="cpu", max_iter=0)
    with pytest.raises(
        ValueError, match=r"^sample_weight must be a 1-D array of finite non-negative numbers, not all zero$"
    ):
        refit_head(X, Y, device="cpu", sample_weight=np.zeros(300))
