"""refit_head's public behaviour pinned against scikit-learn and hand-built data: C='auto'
picks the first best grid value, the default random_state is 0, groups survive max_samples."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from test_refit import _data

from spurwidgets.compute.refit import refit_head


def _separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    x[:, 0] += np.where(y == 1, 10.0, -10.0)
    return x, y


def test_C_auto_picks_the_smallest_grid_C_when_every_C_classifies_perfectly():
    x, y = _separable()
    for c in (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0):  # every C is perfect on any split of this data
        assert (LogisticRegression(C=c).fit(x, y).predict(x) == y).all()
    # ties keep the first (most regularised) grid value
    assert refit_head(x, y, C="auto", device="cpu").C_ == 1e-3
    groups = y * 2 + (np.arange(len(y)) % 4 == 0)
    assert refit_head(x, y, groups=groups, C="auto", device="cpu").C_ == 1e-3


def test_default_random_state_is_zero():
    x, y = _data(n=200, seed=1)  # on this data the validation split changes the chosen C
    default = refit_head(x, y, C="auto", device="cpu")
    zero = refit_head(x, y, C="auto", random_state=0, device="cpu")
    one = refit_head(x, y, C="auto", random_state=1, device="cpu")
    assert default.C_ == zero.C_
    np.testing.assert_array_equal(default.coef_, zero.coef_)
    assert one.C_ != zero.C_


def test_groups_are_balanced_after_max_samples_subsampling():
    # group 0: 150 copies of one class-0 point, group 1: 20 mixed rows. max_samples=60 takes
    # group 1 whole and 40 copies of the point, whichever rows are drawn: the subsample is known.
    rng = np.random.default_rng(0)
    point = np.array([[1.0, -1.0]], dtype=np.float32)
    mixed = rng.normal(size=(20, 2)).astype(np.float32)
    mixed_y = np.array([0, 1] * 10)
    mixed[:, 0] += np.where(mixed_y == 1, 1.0, -1.0)
    x = np.concatenate([np.repeat(point, 150, 0), mixed])
    y = np.concatenate([np.zeros(150, dtype=int), mixed_y])
    groups = np.repeat([0, 1], [150, 20])
    head = refit_head(x, y, groups=groups, max_samples=60, C=0.5, device="cpu")
    sub_x = np.concatenate([np.repeat(point, 40, 0), mixed])
    sub_y = np.concatenate([np.zeros(40, dtype=int), mixed_y])
    weights = np.repeat([60 / (2 * 40), 60 / (2 * 20)], [40, 20])  # every group weighs the same
    reference = LogisticRegression(C=0.5 * 170 / 60, tol=1e-10, max_iter=5000).fit(sub_x, sub_y, sample_weight=weights)
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, reference.intercept_, atol=2e-3)
    # without the group weights the fit differs clearly
    plain = LogisticRegression(C=0.5 * 170 / 60, tol=1e-10, max_iter=5000).fit(sub_x, sub_y)
    assert np.abs(plain.coef_ - reference.coef_).max() > 0.05


def test_max_samples_without_groups_draws_uniform_rows():
    x, y = _data(n=300)
    head = refit_head(x, y, max_samples=100, C=0.5, random_state=0, device="cpu")
    assert head.coef_.shape == (1, 8)
    # a subsample of 100 rows, C scaled by 300 / 100: neither the full-data fit nor C=0.5 on it
    full = LogisticRegression(C=0.5, tol=1e-10, max_iter=5000).fit(x, y)
    assert np.abs(head.coef_ - full.coef_).max() > 1e-2


def test_max_samples_that_drops_a_class_is_refused_exactly():
    x = np.arange(100, dtype=np.float32).reshape(50, 2)
    y = np.zeros(50, dtype=int)
    y[-1] = 1
    message = "max_samples=2 leaves a class without samples; pass a larger max_samples"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        refit_head(x, y, max_samples=2, random_state=0, device="cpu")


def test_score_is_accuracy_and_names_bad_labels():
    x, y = _data(n=50)
    head = refit_head(x, y, device="cpu")
    assert head.score(x, y) == pytest.approx(np.mean(head.predict(x) == y))
    flipped = 1 - y
    assert head.score(x, flipped) == pytest.approx(1 - head.score(x, y))
    with pytest.raises(ValueError, match=r"^labels must hold integer labels; got non-integer floats$"):
        head.score(x, np.full(50, 0.5))


@pytest.mark.parametrize("solver", ["torch", "scipy"])
def test_binary_fit_matches_sklearn_with_weights_and_groups_on_each_solver(solver):
    x, y = _data(n=300, seed=5)
    x = x + np.linspace(0.5, 2.0, 8, dtype=np.float32)  # off-centre features: the centring matters
    weight = np.random.default_rng(5).uniform(0.2, 3.0, len(y)).astype(np.float32)
    head = refit_head(x, y, sample_weight=weight, C=0.3, solver=solver, device="cpu", tol=1e-6, max_iter=500)
    reference = LogisticRegression(C=0.3, tol=1e-10, max_iter=5000).fit(x, y, sample_weight=weight / weight.mean())
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, reference.intercept_, atol=2e-3)
    assert head.n_iter_ >= 1


def test_a_plain_fit_raises_no_warning():
    import warnings

    x, y = _data(n=200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for solver in ("scipy", "torch"):
            refit_head(x, y, C=0.5, solver=solver, device="cpu")
