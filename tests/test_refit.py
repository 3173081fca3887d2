"""refit_head: same optimum as scikit-learn, balanced groups, C='auto', torch export, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from spurwidgets.compute.refit import LinearHead, balanced_weights, refit_head
from spurwidgets.compute.subsample import subsample_rows


def _data(n=300, d=8, k=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ rng.normal(size=(d, k)) + rng.normal(size=(n, k))).argmax(1)
    return x, y


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("C", [0.05, 1.0])
def test_refit_head_matches_sklearn_optimum(k, C):
    x, y = _data(k=k)
    head = refit_head(x, y, C=C, device="cpu")
    reference = LogisticRegression(C=C, tol=1e-8, max_iter=2000).fit(x, y)
    assert head.coef_.shape == reference.coef_.shape
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, reference.intercept_, atol=2e-3)
    np.testing.assert_allclose(head.predict_proba(x), reference.predict_proba(x), atol=2e-3)


def test_group_weights_match_sklearn_sample_weight():
    x, y = _data()
    groups = y * 2 + (np.arange(len(y)) % 5 == 0)
    head = refit_head(x, y, groups=groups, C=0.5, device="cpu")
    weights = balanced_weights(groups)
    assert weights.mean() == pytest.approx(1.0)
    counts = np.bincount(groups)
    assert weights[groups == 1][0] == pytest.approx(len(y) / (4 * counts[1]))
    reference = LogisticRegression(C=0.5, tol=1e-8, max_iter=2000).fit(x, y, sample_weight=weights)
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)


def test_predict_uses_original_class_labels():
    x, y = _data()
    head = refit_head(x, y * 3 + 2, device="cpu")  # classes 2 and 5
    assert head.classes_.tolist() == [2, 5]
    assert set(np.unique(head.predict(x))) <= {2, 5}
    assert head.predict_proba(x).shape == (300, 2)
    assert head.decision_function(x).shape == (300,)


@pytest.mark.parametrize("k", [2, 4])
def test_to_torch_argmax_matches_predict(k):
    x, y = _data(k=k)
    head = refit_head(x, y, device="cpu")
    layer = head.to_torch()
    assert isinstance(layer, torch.nn.Linear)
    assert (layer.in_features, layer.out_features) == (8, k)
    with torch.no_grad():
        logits = layer(torch.from_numpy(x))
    assert (head.classes_[logits.argmax(1).numpy()] == head.predict(x)).all()
    np.testing.assert_allclose(torch.softmax(logits, 1).numpy(), head.predict_proba(x), atol=1e-5)


def test_C_auto_picks_a_grid_value_and_is_deterministic():
    x, y = _data(n=400)
    a = refit_head(x, y, C="auto", random_state=3, device="cpu")
    b = refit_head(x, y, C="auto", random_state=3, device="cpu")
    assert a.C_ in (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
    assert a.C_ == b.C_
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_head_is_a_linear_head_with_repr():
    x, y = _data()
    head = refit_head(x, y, device="cpu")
    assert isinstance(head, LinearHead)
    assert repr(head) == "LinearHead(n_features=8, classes=[0, 1], C=1.0)"
    assert head.score(x, y) > 0.7


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"C": -1.0}, ValueError, "C must be a positive number or 'auto'; got -1.0"),
        ({"C": "big"}, ValueError, "C must be a positive number or 'auto'; got 'big'"),
        ({"groups": np.zeros(5, dtype=int)}, ValueError, "groups has 5 entries but 300 were expected"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, match):
    x, y = _data()
    with pytest.raises(error, match=match):
        refit_head(x, y, device="cpu", **kwargs)


def test_single_class_and_nan_features_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="at least 2 classes"):
        refit_head(x, np.zeros(300, dtype=int), device="cpu")
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match="features contains 1 NaN"):
        refit_head(x, y, device="cpu")


def test_predict_checks_feature_width():
    x, y = _data()
    head = refit_head(x, y, device="cpu")
    with pytest.raises(ValueError, match="features has 3 columns but the head was fitted on 8"):
        head.predict(x[:, :3])


@pytest.mark.parametrize("solver", ["torch", "scipy"])
def test_both_solvers_reach_the_sklearn_optimum(solver):
    x, y = _data(k=3)
    head = refit_head(x, y, C=0.5, device="cpu", solver=solver, tol=1e-6)
    reference = LogisticRegression(C=0.5, tol=1e-8, max_iter=2000).fit(x, y)
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)


def test_unknown_solver_is_refused():
    x, y = _data()
    with pytest.raises(ValueError, match="solver must be 'auto', 'torch' or 'scipy'; got 'newton'"):
        refit_head(x, y, solver="newton")


def test_sample_weight_changes_the_fit_and_matches_sklearn():
    x, y = _data()
    weight = np.where(np.arange(len(y)) % 3 == 0, 5.0, 0.2)
    head = refit_head(x, y, sample_weight=weight, C=0.5, device="cpu")
    plain = refit_head(x, y, C=0.5, device="cpu")
    reference = LogisticRegression(C=0.5, tol=1e-8, max_iter=2000).fit(x, y, sample_weight=weight / weight.mean())
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    assert np.abs(head.coef_ - plain.coef_).max() > 0.05  # ignoring the weights would give `plain`


def test_memmapped_features_give_the_same_head(tmp_path):
    x, y = _data(k=3)
    stored = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=x.shape)
    stored[:] = x
    stored.flush()
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    np.testing.assert_allclose(refit_head(mapped, y, device="cpu").coef_, refit_head(x, y, device="cpu").coef_)


def test_group_balanced_subsample_takes_small_groups_whole_and_splits_the_rest():
    groups = np.repeat([0, 1, 2, 3], [10, 200, 300, 490])
    rows = subsample_rows(groups, len(groups), 100, random_state=0)
    assert np.bincount(groups[rows]).tolist() == [10, 30, 30, 30]
    assert (np.diff(rows) > 0).all()
    np.testing.assert_array_equal(rows, subsample_rows(groups, len(groups), 100, random_state=0))
    assert not np.array_equal(rows, subsample_rows(groups, len(groups), 100, random_state=1))
    uniform = subsample_rows(None, 1000, 100, random_state=0)
    assert len(np.unique(uniform)) == 100 and uniform.max() < 1000


def test_max_samples_fits_the_subsample_with_C_scaled_to_the_full_n():
    x, y = _data(n=2000)
    groups = y * 2 + (np.arange(len(y)) % 7 == 0)
    head = refit_head(x, y, groups=groups, max_samples=400, C=0.5, random_state=4, device="cpu")
    rows = subsample_rows(groups, len(y), 400, random_state=4)
    sub_groups = groups[rows]
    reference = LogisticRegression(C=0.5 * 2000 / 400, tol=1e-8, max_iter=2000).fit(
        x[rows], y[rows], sample_weight=balanced_weights(sub_groups)
    )
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    again = refit_head(x, y, groups=groups, max_samples=400, C=0.5, random_state=4, device="cpu")
    np.testing.assert_array_equal(head.coef_, again.coef_)
    full = refit_head(x, y, groups=groups, max_samples=5000, C=0.5, device="cpu")  # cap above N: all rows
    np.testing.assert_array_equal(full.coef_, refit_head(x, y, groups=groups, C=0.5, device="cpu").coef_)


def test_warm_start_reaches_the_same_optimum_in_fewer_iterations():
    x, y = _data(n=1000, d=16, k=3)
    cold = refit_head(x, y, C=1.0, device="cpu", tol=1e-6)
    near = refit_head(x, y, C=0.9, device="cpu", tol=1e-6)
    warm = refit_head(x, y, C=1.0, device="cpu", tol=1e-6, init=near)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=2e-3)
    assert warm.n_iter_ < cold.n_iter_


def test_bad_warm_start_and_max_samples_are_refused():
    x, y = _data()
    other = refit_head(x[:, :3], y, device="cpu")
    with pytest.raises(ValueError, match=r"init has classes \[0, 1\] and coef_ shape \(1, 3\); expected"):
        refit_head(x, y, device="cpu", init=other)
    with pytest.raises(TypeError, match="init must be a LinearHead"):
        refit_head(x, y, device="cpu", init=np.zeros((1, 8)))
    with pytest.raises(ValueError, match="max_samples must be an integer >= 2; got 1"):
        refit_head(x, y, device="cpu", max_samples=1)
