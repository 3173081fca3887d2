"""MID edge cases pinned exactly: full error messages, the 2-column class_index case, the
confident-majority fallback boundary and samples of a class without clusters."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_mid import shortcut

from spurwidgets.compute import window_clusters as wc
from spurwidgets.compute.mid import MID, margins
from spurwidgets.compute.predictions import predicted_classes


@pytest.fixture(scope="module")
def data():
    return shortcut(n=200, seed=2)


def test_label_beyond_the_logit_columns_is_refused_with_the_class_range(data):
    x, logits, y, _ = data
    y = y.copy()
    y[0] = 2
    message = (
        "labels holds class 2 but logits has 1 column(s), i.e. classes 0..1; labels must be classes of the "
        "model's logits"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        MID(quantile=0.3).fit(x, logits, y)


def test_class_index_on_two_logit_columns_windows_that_class_margin(data):
    x, logits, y, _ = data
    two = np.concatenate([-logits / 2, logits / 2], axis=1)  # column 1 - column 0 = the logit
    mid = MID(quantile=0.3, class_index=0, random_state=0).fit(x, two, y)
    np.testing.assert_allclose(mid.margin_, -logits[:, 0], rtol=1e-6)  # class 0: column 0 - column 1
    np.testing.assert_allclose(margins(two, 0), -logits[:, 0], rtol=1e-6)
    assert len(mid.window_) == 60
    with pytest.raises(ValueError, match=r"^class_index must be a column of logits \(0..0, needs >= 2 columns\)"):
        MID(quantile=0.3, class_index=0).fit(x, logits, y)


def test_refit_with_non_integer_clusters_names_the_argument_exactly(data):
    x, logits, y, _ = data
    mid = MID(quantile=0.3, random_state=0).fit(x, logits, y)
    message = "clusters must be cluster ids (integers) of window_clusters_; got 1.5"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        mid.refit([1.5])


def test_two_confident_samples_are_enough_for_the_reference():
    # class 0: samples 0-3; sample 0 in the window, sample 1 predicted wrong: samples 2, 3 are
    # the confident majority (exactly 2: no fallback to the whole class); |margin| 2, 4 ->
    # median 3 keeps sample 3 (feature 9). The whole class would keep samples 1, 3 -> 6.5.
    features = np.array([[0.0], [4], [1], [9]])
    labels = np.array([0, 0, 0, 0])
    margin = np.array([-0.1, 5.0, -2.0, -4.0])
    logits = np.stack([np.zeros(4), margin], axis=1)
    scores = wc.minority_scores(
        features, labels, margin, np.array([0]), predicted_classes(logits), np.array([[10.0]]), np.array([0])
    )
    std = np.std([0.0, 4, 1, 9]) + 1e-6
    np.testing.assert_allclose(scores, [1.0 / std], rtol=1e-12)


def test_samples_of_a_class_without_clusters_get_group_minus_one():
    features = np.array([[0.0, 0], [1, 1], [5, 5]], dtype=np.float32)
    labels = np.array([0, 1, 0])
    centers = np.array([[0.0, 0], [5, 5]], dtype=np.float32)
    groups = wc.propagate_clusters(features, labels, centers, np.array([0, 0]))
    np.testing.assert_array_equal(groups, [0, -1, 1])
