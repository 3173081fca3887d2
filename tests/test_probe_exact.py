"""Probe clustering details pinned exactly: the [0, 1] check on either side, messages, defaults."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spurwidgets.compute.probe_clusters import ProbeClusters, check_probabilities, cluster_by_class


@pytest.mark.parametrize(
    ("probs", "shown"),
    [
        ([[0.2, 1.2], [0.5, 0.5]], "[0.2, 1.2]"),
        ([[-0.1, 1.1], [0.5, 0.5]], "[-0.1, 1.1]"),
        ([[1.3, -0.3]], "[-0.3, 1.3]"),
    ],
)
def test_probabilities_outside_0_1_on_either_side_are_refused(probs, shown):
    # rows sum to 1, so only the range check can refuse them
    message = f"probs must lie in [0, 1]; got values in {shown}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_probabilities(np.array(probs))


def test_a_class_no_probe_reaches_is_refused_exactly():
    message = (
        "weights for class 1 are all zero (the model gives class 1 probability 0 on every probe); no cluster can "
        "stand for it: use probes that reach this class or drop it from probs"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        cluster_by_class(np.zeros((3, 2)), np.array([[1.0, 0], [1, 0], [1, 0]]))


def test_documented_defaults():
    params = ProbeClusters().get_params()
    assert (params["latent_dim"], params["random_state"], params["variant"]) == (3, 0, "paper")
