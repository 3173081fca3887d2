"""project_2d's titles and two-point PCA, lasso bounding boxes of non-rectangular polygons and
the colouring dtype message (mutation survivors in compute/projection.py); hand-worked values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from spurwidgets.compute.projection import color_codes, points_in_polygon, project_2d


def test_two_d_points_are_shown_as_they_are_with_dim_titles():
    points = np.array([[1.0, 2.0], [3.0, -4.0]])
    projected, titles = project_2d(points)
    assert titles == ["dim 1", "dim 2"]
    assert projected.tolist() == [[1.0, 2.0], [3.0, -4.0]]


def test_two_three_d_points_project_to_half_their_distance_on_pc_1():
    # centred: +-(p - q) / 2 = +-(0, 3, 4) / 2, along the first principal direction: +-2.5
    points = np.array([[1.0, 3.0, 4.0], [1.0, 0.0, 0.0]])
    projected, titles = project_2d(points)
    assert sorted(np.round(projected[:, 0], 5).tolist()) == [-2.5, 2.5]
    assert np.allclose(projected[:, 1], 0.0, atol=1e-5)
    assert titles[0] == "PC 1 (100%)"


def test_a_point_inside_a_triangle_whose_first_vertices_are_not_its_corners_is_selected():
    triangle = [[5.0, 0.0], [10.0, 10.0], [0.0, 10.0]]  # bounding box x 0..10, y 0..10
    points = np.array([[5.0, 5.0], [1.0, 1.0], [5.0, 9.0], [9.0, 2.0]], dtype=np.float32)
    # (5, 5) and (5, 9) are inside; (1, 1) and (9, 2) are in the box but outside the triangle
    assert points_in_polygon(points, triangle).tolist() == [0, 2]


def test_a_text_colouring_is_refused_with_the_full_message():
    with pytest.raises(TypeError, match=r"^colouring 'group' must hold numbers; got dtype <U1$"):
        color_codes(np.array(["a", "b"]), "group")


def test_one_d_points_get_a_zero_second_axis_and_titles():
    projected, titles = project_2d(np.array([[1.5], [-2.0]]))
    assert titles == ["dim 1", ""] and projected.tolist() == [[1.5, 0.0], [-2.0, 0.0]]


def test_a_constant_float_colouring_gets_code_0_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coloured = color_codes(np.full(3, 2.5), "score")
    assert coloured["codes"].tolist() == [0, 0, 0] and coloured["range"] == (2.5, 2.5)
