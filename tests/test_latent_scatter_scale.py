"""LatentScatter above max_points: density-aware drawn subsample, exact selections over all points."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.subsample import density_subsample
from spurwidgets.widgets.latent_scatter import LatentScatter


@pytest.fixture()
def crowd():
    """4,980 points in one dense blob plus 20 far outliers (an isolated cluster)."""
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(size=(4980, 2)), rng.normal(size=(20, 2)) * 0.05 + 30]).astype(np.float32)
    labels = np.r_[np.zeros(4980, int), np.ones(20, int)]
    return points, labels


def test_density_subsample_keeps_sparse_points_and_is_reproducible(crowd):
    points, _ = crowd
    drawn = density_subsample(points, 1000, random_state=0)
    assert len(drawn) == 1000 and (np.diff(drawn) > 0).all()
    assert set(range(4980, 5000)) <= set(drawn.tolist())  # the isolated cluster is kept whole
    np.testing.assert_array_equal(drawn, density_subsample(points, 1000, random_state=0))


def test_only_the_drawn_subsample_goes_to_the_view(crowd):
    points, labels = crowd
    w = LatentScatter(points, {"label": labels, "score": points[:, 0]}, max_points=1000)
    assert w.subsampled and w.n_total == 5000 and len(w.drawn) == 1000
    coords = w.coords
    np.testing.assert_array_equal(coords, points[w.drawn])
    assert w.codes.nbytes == 1000
    w.color_by = "score"  # recolouring sends one uint8 per drawn point
    assert w.codes.nbytes == 1000


def test_box_selection_is_exact_over_all_points_and_highlight_bits_cover_the_drawn_ones(crowd):
    points, labels = crowd
    w = LatentScatter(points, labels, max_points=1000)
    selection = w.select_box(-0.5, -0.5, 1.0, 2.0)
    inside = (points[:, 0] >= -0.5) & (points[:, 0] <= 1.0) & (points[:, 1] >= -0.5) & (points[:, 1] <= 2.0)
    assert selection.tolist() == np.flatnonzero(inside).tolist()
    assert w.n_selected == inside.sum() > 1000 * 0.2
    bits = np.unpackbits(np.frombuffer(w.selected_bits, np.uint8), bitorder="little")[:1000]
    np.testing.assert_array_equal(bits.astype(bool), inside[w.drawn])


def test_selection_from_code_and_hover_refer_to_all_points(crowd):
    points, labels = crowd
    w = LatentScatter(points, labels, max_points=1000)
    w.selection = [4990, 10]
    bits = np.unpackbits(np.frombuffer(w.selected_bits, np.uint8), bitorder="little")[:1000]
    assert np.flatnonzero(bits).tolist() == [np.searchsorted(w.drawn, i) for i in [10, 4990] if i in w.drawn]
    position = int(np.searchsorted(w.drawn, 4990))
    w.hover = position  # the view reports the drawn point under the pointer
    assert w.hover_text.startswith("#4990 ")


def test_small_data_is_not_subsampled_and_max_points_is_checked(crowd):
    points, labels = crowd
    w = LatentScatter(points, labels)
    assert not w.subsampled and w.drawn is None and w.n_total == 5000
    with pytest.raises(ValueError, match="max_points must be an integer >= 1000; got 10"):
        LatentScatter(points, labels, max_points=10)


def _even_odd_reference(points, poly):
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    inside = np.zeros(len(points), dtype=bool)
    xj, yj = poly[-1]
    for xi, yi in poly:
        with np.errstate(divide="ignore", invalid="ignore"):
            inside ^= ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
        xj, yj = xi, yi
    return np.flatnonzero(inside)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sliced_polygon_test_equals_the_plain_even_odd_rule_on_self_crossing_lassos(seed):
    from spurwidgets.compute.projection import points_in_polygon

    rng = np.random.default_rng(seed)
    points = rng.normal(size=(20_000, 2)).astype(np.float32)
    points[:50, 1] = 0.5  # points exactly at a vertex height
    poly = rng.normal(size=(40, 2)) * 1.5  # random, self-crossing
    poly[3] = [0.2, 0.5]
    assert points_in_polygon(points, poly.tolist()).tolist() == _even_odd_reference(points, poly).tolist()
