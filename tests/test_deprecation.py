"""The one helper behind every renamed argument: old name warns, both names refuse."""

import warnings

import numpy as np
import pytest

from spurwidgets.compute.deprecation import renamed_arguments
from spurwidgets.widgets import LatentScatter


@renamed_arguments(seed="random_state", size="thumb_size")
def draw(n, random_state=0, *, thumb_size=8):
    return n, random_state, thumb_size


def test_new_names_pass_through_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert draw(1, 2, thumb_size=3) == (1, 2, 3)


def test_old_names_warn_naming_the_new_one_and_mean_the_same():
    with pytest.warns(DeprecationWarning, match=r"draw\(\): seed= is deprecated; use random_state= instead"):
        assert draw(1, seed=5) == (1, 5, 8)
    with pytest.warns(DeprecationWarning, match="size= is deprecated; use thumb_size= instead"):
        assert draw(1, size=4) == (1, 0, 4)


@pytest.mark.parametrize("call", [lambda: draw(1, 2, seed=3), lambda: draw(1, random_state=2, seed=3)])
def test_both_names_are_a_type_error_naming_both(call):
    with pytest.raises(TypeError, match=r"draw\(\) got both random_state= and its deprecated alias seed="):
        call()


def test_an_alias_to_a_missing_argument_is_refused_when_decorating():
    with pytest.raises(TypeError, match="has no argument 'random_state' to alias 'seed' to"):
        renamed_arguments(seed="random_state")(lambda n: n)


def test_latent_scatter_thumbnail_size_is_a_deprecated_alias_of_thumb_size():
    points = np.arange(12, dtype=np.float32).reshape(6, 2)
    images = np.zeros((6, 8, 8, 3), dtype=np.uint8)
    with pytest.warns(
        DeprecationWarning, match=r"^LatentScatter\(\): thumbnail_size= is deprecated; use thumb_size= instead"
    ):
        old = LatentScatter(points, images=images, thumbnail_size=24)
    assert old.thumb_size == 24 == LatentScatter(points, images=images, thumb_size=24).thumb_size
    with pytest.raises(
        TypeError, match=r"^LatentScatter\(\) got both thumb_size= and its deprecated alias thumbnail_size="
    ):
        LatentScatter(points, images=images, thumb_size=24, thumbnail_size=24)


def test_an_alias_to_a_missing_argument_gives_the_full_message():
    def f(n):
        return n

    with pytest.raises(TypeError, match=r"^.*f has no argument 'random_state' to alias 'seed' to$"):
        renamed_arguments(seed="random_state")(f)
