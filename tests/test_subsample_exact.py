"""subsample_rows with non-integer group ids; density_subsample keeps sparse cells whole and
shares the rest equally between dense cells (in expectation: averaged over seeds)."""

from __future__ import annotations

import numpy as np

from spurwidgets.compute.subsample import density_subsample, subsample_rows


def test_string_and_negative_group_ids_are_balanced_like_small_integers():
    counts = [10, 200, 300, 490]
    for ids in (np.array(["a", "b", "c", "d"]), np.array([-5, 7, 10**9, 3])):
        groups = np.repeat(ids, counts)
        rows = subsample_rows(groups, len(groups), 100, random_state=0)
        assert [int((groups[rows] == g).sum()) for g in ids] == [10, 30, 30, 30]


def _blobs(sizes, seed=0):
    # one tight blob per entry, blobs far apart on a diagonal (each in its own grid cell)
    rng = np.random.default_rng(seed)
    centres = np.arange(len(sizes), dtype=float)[:, None] * np.array([[10.0, 10.0]])
    return np.concatenate([c + rng.uniform(-0.01, 0.01, size=(s, 2)) for c, s in zip(centres, sizes)])


def test_density_subsample_keeps_sparse_cells_whole():
    sizes = [1000, 3, 2, 5]  # three outlier cells, far under an equal share
    points = _blobs(sizes)
    for seed in range(3):
        rows = density_subsample(points, 100, random_state=seed)
        assert len(rows) == 100 and (np.diff(rows) > 0).all()
        assert set(range(1000, 1010)) <= set(rows.tolist())  # every outlier kept


def test_density_subsample_shares_between_dense_cells_equally():
    # 150 and 900 points, 200 drawn: the equal share is 100 each (150 / 100 = density 1.5)
    points = _blobs([150, 900])
    taken = [int((density_subsample(points, 200, random_state=s) < 150).sum()) for s in range(8)]
    assert abs(np.mean(taken) - 100) < 6  # proportional sampling would take ~29, a 2.0 floor ~86
    assert all(len(density_subsample(points, 200, random_state=s)) == 200 for s in range(2))


def test_a_cell_just_under_the_equal_share_is_always_kept_whole():
    # 99 and 900 points, 200 drawn: the share t is 101, so the 99 are all kept, on every seed
    points = _blobs([99, 900])
    for seed in range(10):
        rows = density_subsample(points, 200, random_state=seed)
        assert int((rows < 99).sum()) == 99


def test_one_cell_subsamples_of_growing_size_are_nested():
    # grid=1: every point in one cell, so the thinning is a plain random subsample: with the same
    # random_state a larger size keeps every point of a smaller one and adds exactly one
    # (a selection that is not exactly the `size` lowest random keys breaks the nesting)
    points = np.random.default_rng(1).normal(size=(3000, 2))
    previous = density_subsample(points, 50, random_state=0, grid=1)
    assert len(previous) == 50
    for size in range(51, 400):
        rows = density_subsample(points, size, random_state=0, grid=1)
        assert len(rows) == size and np.all(np.diff(rows) > 0)
        assert np.isin(previous, rows).all(), size
        previous = rows


def test_a_small_dense_cell_is_kept_whole_and_the_larger_ones_share_the_rest():
    # 50, 300 and 900 points, 200 drawn: t = (200 - 50) / 2 = 75, so the 50 are all kept and
    # the other two cells give about 75 each (a share that ignored the kept cells would differ)
    points = _blobs([50, 300, 900])
    taken = []
    for seed in range(8):
        rows = density_subsample(points, 200, random_state=seed, grid=3)
        assert len(rows) == 200 and int((rows < 50).sum()) == 50
        taken.append(int(((rows >= 50) & (rows < 350)).sum()))
    assert abs(np.mean(taken) - 75) < 6


def test_single_point_cells_count_towards_the_share():
    # ten 1-point cells, 97 and 900 points, 200 drawn: t = (200 - 10) / 2 = 95 < 97, so the
    # 97-point cell is thinned (about 95 kept), not kept whole as a share without the singletons would
    points = _blobs([1] * 10 + [97, 900])
    taken = []
    for seed in range(10):
        rows = density_subsample(points, 200, random_state=seed, grid=12)
        assert set(range(10)) <= set(rows.tolist())
        taken.append(int(((rows >= 10) & (rows < 107)).sum()))
    assert min(taken) < 97 and abs(np.mean(taken) - 95) < 3
