import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from spurwidgets.compute import validation as v


@given(arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1), elements=st.floats(-1e6, 1e6)))
def test_check_features_accepts_finite_matrices_as_float32(x):
    out = v.check_features(x)
    assert out.dtype == np.float32 and out.shape == x.shape and out.flags.c_contiguous


@given(arrays(np.float32, st.integers(1, 20), elements=st.floats(-10, 10, width=32)), st.integers(0, 19))
def test_any_nan_in_logits_is_refused(x, position):
    x = x.copy()
    x[position % len(x)] = np.nan
    with pytest.raises(ValueError, match="logits contains 1 NaN or infinite values"):
        v.check_logits(x)


def test_one_dimensional_logits_become_one_column():
    assert v.check_logits(np.arange(3.0)).shape == (3, 1)
    assert v.check_logits(torch.zeros(4, 2)).shape == (4, 2)


@given(arrays(np.int64, st.integers(1, 30), elements=st.integers(0, 9)))
def test_check_labels_roundtrip_and_range(labels):
    assert v.check_labels(labels).tolist() == labels.tolist()
    if labels.max() >= 5:
        with pytest.raises(ValueError, match=f"labels holds class {labels.max()} but only 5 classes exist"):
            v.check_labels(labels, n_classes=5)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: v.check_features(np.zeros(3)),
            ValueError,
            r"features must be a 2-D array \(N, D\); got ndarray of shape \(3,\)",
        ),
        (lambda: v.check_features(np.zeros((0, 3))), ValueError, "features must not be empty"),
        (lambda: v.check_features("abc"), TypeError, "features must be an array-like"),
        (lambda: v.check_labels(np.array([0.5, 1])), ValueError, "labels must hold integer labels"),
        (lambda: v.check_labels(np.array([-1, 1])), ValueError, "labels must be non-negative"),
        (lambda: v.check_labels(np.array([0, 1]), n=3), ValueError, "labels has 2 entries but 3 were expected"),
        (lambda: v.check_window((2, 1)), ValueError, r"window must satisfy lo <= hi; got \(2.0, 1.0\)"),
        (lambda: v.check_window(3), TypeError, "window must be a pair"),
        (lambda: v.check_positive_int(True, "n_clusters"), TypeError, "n_clusters must be an integer"),
        (lambda: v.check_fraction(0.0, "quantile"), ValueError, r"quantile must be in \(0.0, 1.0\]; got 0.0"),
        (lambda: v.check_random_state("x"), TypeError, "random_state must be an int"),
    ],
)
def test_validators_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_check_is_fitted_message():
    class Est:
        window_ = None

    with pytest.raises(RuntimeError, match="This Est is not fitted yet: call fit"):
        v.check_is_fitted(Est(), "window_")


def test_resolve_device_auto_is_cpu_without_cuda():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert v.resolve_device("auto").type == expected
