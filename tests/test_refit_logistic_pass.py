"""The one-pass, multi-threaded loss/gradient of refit_head's CPU solver: the same numbers as
the plain two-product formulas, and the same fitted head as scikit-learn with sample weights."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from spurwidgets.compute import logistic_pass, refit
from spurwidgets.compute.logistic_pass import LogisticPass, blas_threads
from spurwidgets.compute.refit import balanced_weights, refit_head


def _reference(x, y, w, weight, offset):
    """Loss sum, r^T X and sum r by whole-matrix products in float64."""
    x64 = x.astype(np.float64)
    scores = x64 @ weight.T.astype(np.float64) + offset
    if weight.shape[0] == 1:
        s = scores[:, 0]
        losses = np.logaddexp(0, s) - s * y
        r = (1 / (1 + np.exp(-s)) - y)[:, None] * w[:, None]
    else:
        top = scores.max(1, keepdims=True)
        total = np.exp(scores - top).sum(1, keepdims=True)
        onehot = np.eye(weight.shape[0])[y]
        losses = (top + np.log(total))[:, 0] - (scores * onehot).sum(1)
        r = (np.exp(scores - top) / total - onehot) * w[:, None]
    return float(losses @ w), r.T @ x64, r.sum(0)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_one_pass_matches_two_products(monkeypatch, k, threads):
    monkeypatch.setattr(logistic_pass, "BLOCK_BYTES", 4 * 7 * 64)  # 64-row blocks: many per part
    rng = np.random.default_rng(k)
    x = rng.normal(size=(1000, 7)).astype(np.float32)
    y = rng.integers(0, max(k, 2), 1000)
    w = rng.random(1000).astype(np.float32) / 500
    weight = rng.normal(size=(k, 7)).astype(np.float32)
    offset = rng.normal(size=k).astype(np.float32)
    evaluate = LogisticPass(x, y, w, k, threads=threads)
    assert evaluate.step == 64 and len(evaluate.parts) == threads
    assert evaluate.parts[0][0] == 0 and evaluate.parts[-1][1] == 1000
    with evaluate.running():
        loss, grad, row_sum = evaluate(weight, offset)
    want_loss, want_grad, want_sum = _reference(x, y, w, weight, offset)
    assert grad.shape == (k, 7) and row_sum.shape == (k,)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(row_sum, want_sum, rtol=1e-4, atol=1e-6)
    again = evaluate(weight, offset)  # outside running(): the same parts in this thread
    np.testing.assert_allclose(again[1], grad, rtol=1e-6)


def test_blas_threads_follows_threadpool_limits():
    with threadpool_limits(limits=1, user_api="blas"):
        assert blas_threads() == 1


def test_threaded_weighted_fit_matches_sklearn_sample_weight(monkeypatch):
    """The path the large weighted refits take (several parts, many blocks), on a small problem."""
    monkeypatch.setattr(logistic_pass, "BLOCK_BYTES", 4 * 10 * 128)
    monkeypatch.setattr(refit, "SINGLE_THREAD_BELOW", 0)  # small problems otherwise run on one thread
    rng = np.random.default_rng(0)
    x = np.maximum(rng.normal(size=(6000, 10)) @ rng.normal(size=(10, 10)) + 1, 0).astype(np.float32)
    y = (x @ rng.normal(size=10) + rng.normal(size=6000) > np.median(x @ rng.normal(size=10))).astype(int)
    groups = 2 * y + (rng.random(6000) < 0.1)
    calls = []
    original = LogisticPass.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        calls.append(len(self.parts))

    monkeypatch.setattr(LogisticPass, "__init__", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        head = refit_head(x, y, groups=groups, C=0.3, device="cpu", tol=1e-7)
    assert calls == [2]  # the fit ran on two parts
    weights = balanced_weights(groups)
    reference = LogisticRegression(C=0.3, tol=1e-10, max_iter=5000)
    reference.fit(x.astype(np.float64), y, sample_weight=weights / weights.mean())
    np.testing.assert_allclose(head.coef_, reference.coef_, atol=2e-3)
    np.testing.assert_allclose(head.intercept_, reference.intercept_, atol=5e-3)
