"""refit_head's whitened CPU solver, its sampled preconditioner, the projected (rank=) fit and
the interactive refit MID / MIDExplorer run: same optimum as scikit-learn, exact subsamples."""

from __future__ import annotations

import numpy as np
import pytest
from mid_toy_data import toy_shortcut
from sklearn.linear_model import LogisticRegression

from spurwidgets.compute import logistic_solver, refit
from spurwidgets.compute.low_rank import principal_directions, with_group_means
from spurwidgets.compute.mid import MID
from spurwidgets.compute.refit import balanced_weights, interactive_refit_options, refit_head
from spurwidgets.compute.subsample import subsample_rows
from spurwidgets.widgets.mid_explorer import MIDExplorer


def _correlated(n=5000, d=12, k=2, seed=0):
    """Correlated, uncentred features of unequal scales (what slows plain L-BFGS), k classes."""
    rng = np.random.default_rng(seed)
    mixing = (np.eye(d) + 0.4 * rng.normal(size=(d, d))) * np.linspace(0.3, 3.0, d)
    x = (rng.normal(size=(n, d)) @ mixing + 3.0).astype(np.float32)
    y = (x @ rng.normal(size=(d, k)) / 3 + rng.normal(size=(n, k))).argmax(1)
    return x, y


@pytest.mark.parametrize("k", [2, 3])
def test_sampled_preconditioner_fit_matches_sklearn(k):
    x, y = _correlated(k=k)  # 5000 rows > preconditioner_size(12) = 4096: the sampled path
    assert len(x) > logistic_solver.preconditioner_size(x.shape[1])
    head = refit_head(x, y, C=0.5, device="cpu", tol=1e-6)
    # float64 reference: sklearn on float32 data stalls ~1e-2 away from the optimum here
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=5000).fit(x.astype(np.float64), y)
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, reference.intercept_, atol=5e-3)
    default_tol = refit_head(x, y, C=0.5, device="cpu")  # sklearn's tol: the same predictions
    assert (default_tol.predict(x) == reference.predict(x)).mean() >= 0.995


def test_sampled_preconditioner_with_groups_and_sample_weight_matches_sklearn():
    x, y = _correlated()
    groups = y * 2 + (np.arange(len(y)) % 9 == 0)  # a rare group per class, upweighted ~4x
    weight = np.where(np.arange(len(y)) % 4 == 0, 3.0, 1.0)
    head = refit_head(x, y, groups=groups, sample_weight=weight, C=0.5, device="cpu", tol=1e-6)
    combined = balanced_weights(groups) * weight
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=5000)
    reference.fit(x.astype(np.float64), y, sample_weight=combined / combined.mean())
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, reference.intercept_, atol=5e-3)


def test_preconditioner_sample_is_deterministic_and_follows_the_weights():
    n = 20_000
    uniform_rows, uniform_w = logistic_solver.preconditioner_sample(np.ones(n), 8)
    assert len(uniform_rows) == 4096 and len(np.unique(uniform_rows)) == 4096  # no repeats
    np.testing.assert_allclose(uniform_w, 1 / 4096)
    heavy = np.arange(n) % 10 == 0  # 10 % of the rows weigh 9: half of the total weight
    rows, w = logistic_solver.preconditioner_sample(np.where(heavy, 9.0, 1.0), 8)
    again, _ = logistic_solver.preconditioner_sample(np.where(heavy, 9.0, 1.0), 8)
    np.testing.assert_array_equal(rows, again)
    assert (np.diff(rows) >= 0).all()
    assert abs(heavy[rows].mean() - 0.5) < 0.03  # drawn in proportion to weight, not to count
    small_rows, small_w = logistic_solver.preconditioner_sample(np.array([1.0, 3.0]), 8)
    assert small_rows.tolist() == [0, 1] and small_w.tolist() == [0.25, 0.75]  # few rows: all, weighted


def test_whitening_gives_the_cholesky_factor_of_the_start_hessian():
    x, _ = _correlated(n=300, d=5)
    w = np.full(300, 1 / 300)
    mean, chol = logistic_solver.whitening(x, w, 0.25, ridge=0.01)
    centred = x.astype(np.float64) - x.mean(0)
    hessian = 0.25 * centred.T @ centred / 300
    expected = hessian + (0.01 + logistic_solver.SHRINKAGE * np.trace(hessian) / 5) * np.eye(5)
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(chol @ chol.T, expected, rtol=1e-4)
    assert np.allclose(chol, np.tril(chol))


def test_principal_directions_are_orthonormal_and_span_the_top_subspace():
    rng = np.random.default_rng(0)
    scales = np.array([10.0, 8.0, 6.0] + [0.1] * 17)
    x = (rng.normal(size=(3000, 20)) * scales) @ np.linalg.qr(rng.normal(size=(20, 20)))[0]
    x = x.astype(np.float32)
    mean, basis = principal_directions(x, np.ones(3000), 3)
    assert basis.shape == (20, 3)
    np.testing.assert_allclose(basis.T @ basis, np.eye(3), atol=1e-5)
    top = np.linalg.eigh(np.cov(x.T.astype(np.float64)))[1][:, -3:]
    np.testing.assert_allclose(np.linalg.svd(top.T @ basis, compute_uv=False), 1.0, atol=1e-4)  # same subspace
    np.testing.assert_allclose(mean, x.mean(0), atol=1e-4)


def test_rank_fits_sklearn_on_the_projected_group_balanced_subsample():
    x, y = _correlated(n=3000, d=12)
    groups = y * 2 + (np.arange(len(y)) % 7 == 0)
    head = refit_head(x, y, groups=groups, max_samples=800, rank=4, C=0.5, random_state=2, device="cpu", tol=1e-6)
    rows = subsample_rows(groups, len(y), 800, random_state=2)
    weights = balanced_weights(groups[rows])
    mean, basis = principal_directions(x[rows], weights, 4)
    basis = with_group_means(x[rows], weights, groups[rows], basis)
    assert basis.shape == (12, 7)  # 4 directions + 3 independent contrasts of 4 group means
    z = (x[rows] - mean) @ basis
    reference = LogisticRegression(C=0.5 * 3000 / 800, tol=1e-10, max_iter=5000)
    reference.fit(z.astype(np.float64), y[rows], sample_weight=weights)
    coef = reference.coef_ @ basis.T
    np.testing.assert_allclose(head.coef_, coef, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, reference.intercept_ - coef @ mean, atol=5e-3)
    again = refit_head(x, y, groups=groups, max_samples=800, rank=4, C=0.5, random_state=2, device="cpu", tol=1e-6)
    np.testing.assert_array_equal(head.coef_, again.coef_)
    full_rank = refit_head(x, y, rank=12, device="cpu")  # rank >= D: the plain fit
    np.testing.assert_array_equal(full_rank.coef_, refit_head(x, y, device="cpu").coef_)
    with pytest.raises(ValueError, match="rank must be an integer >= 1; got 0"):
        refit_head(x, y, rank=0)


def test_interactive_options_apply_above_the_cap_only():
    assert interactive_refit_options(refit.INTERACTIVE_MAX_SAMPLES) == {}
    assert interactive_refit_options(refit.INTERACTIVE_MAX_SAMPLES + 1) == {
        "max_samples": refit.INTERACTIVE_MAX_SAMPLES,
        "rank": refit.INTERACTIVE_RANK,
    }


def test_mid_refit_honours_max_samples_and_rank():
    x, logits, y, _, _ = toy_shortcut(n=600, image_size=8)
    mid = MID(quantile=0.2, random_state=3, device="cpu").fit(x, logits, y)
    head = mid.refit([0], max_samples=200, rank=3)
    expected = refit_head(
        mid.features_, mid.labels_, groups=mid.refit_groups([0]), max_samples=200, rank=3, random_state=3, device="cpu"
    )
    np.testing.assert_array_equal(head.coef_, expected.coef_)
    assert mid.head_ is head
    assert np.abs(head.coef_ - mid.refit([0]).coef_).max() > 1e-3  # the cap changed the fit


def test_explorer_refit_uses_the_interactive_cap_above_it(monkeypatch):
    x, logits, y, groups, images = toy_shortcut(n=200, image_size=8)
    explorer = MIDExplorer(x, images, y, groups=groups, logits=logits, device="cpu")
    monkeypatch.setattr(refit, "INTERACTIVE_MAX_SAMPLES", 120)
    monkeypatch.setattr(refit, "INTERACTIVE_RANK", 2)
    explorer.refit([0])
    np.testing.assert_array_equal(explorer.head.coef_, explorer.mid.refit([0], max_samples=120, rank=2).coef_)
    monkeypatch.setattr(refit, "INTERACTIVE_MAX_SAMPLES", 200)  # N = cap: the exact fit
    explorer.refit([0])
    np.testing.assert_array_equal(explorer.head.coef_, explorer.mid.refit([0]).coef_)


def test_capped_fit_scans_only_the_drawn_rows_for_nan():
    x, y = _correlated(n=1000, d=6)
    rows = subsample_rows(None, 1000, 300, random_state=0)
    undrawn = np.setdiff1d(np.arange(1000), rows)
    bad = x.copy()
    bad[undrawn[0], 2] = np.nan  # never read by the capped fit
    np.testing.assert_array_equal(
        refit_head(bad, y, max_samples=300, device="cpu").coef_, refit_head(x, y, max_samples=300, device="cpu").coef_
    )
    bad[rows[5], 1] = np.inf
    with pytest.raises(ValueError, match="features contains 1 NaN or infinite values"):
        refit_head(bad, y, max_samples=300, device="cpu")
    with pytest.raises(ValueError, match="features contains 2 NaN or infinite values"):
        refit_head(bad, y, device="cpu")  # uncapped: every row is checked


def test_group_mean_directions_add_the_contrasts_the_principal_directions_miss():
    rng = np.random.default_rng(0)
    n, d = 4000, 30
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, d)) * np.r_[[5.0] * 3, [1.0] * (d - 3)]  # 3 loud directions without the label
    x[:, 10] += 1.5 * (2 * y - 1)  # the label lives in a quiet direction
    x = x.astype(np.float32)
    mean, basis = principal_directions(x, np.ones(n), 3)
    assert np.abs(basis[10]).max() < 0.2  # PCA misses the label direction
    extended = with_group_means(x, np.ones(n), y, basis)
    assert extended.shape == (d, 4)  # 2 classes: one contrast
    np.testing.assert_allclose(extended.T @ extended, np.eye(4), atol=1e-5)
    np.testing.assert_allclose(extended[:, :3], basis)
    assert abs(extended[10, 3]) > 0.9  # the contrast found it
    np.testing.assert_array_equal(with_group_means(x, np.ones(n), np.zeros(n), basis), basis)  # one group: none
    projected = refit_head(x, y, rank=3, device="cpu")
    full = refit_head(x, y, device="cpu")
    assert abs(projected.score(x, y) - full.score(x, y)) < 0.01 and full.score(x, y) > 0.9
    many = with_group_means(x, np.ones(n), np.arange(n) % 50, basis)
    assert many.shape == (d, 6)  # 49 contrasts: the 3 strongest kept (at most r)
