"""2-D views of latent spaces: projection (PCA / UMAP), colour codes and lasso membership.

Pure NumPy (umap-learn imported only when asked for), used by the LatentScatter widget and
usable on their own: `project_2d(z)`, `points_in_polygon(points, polygon)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import check_matrix

PROJECTIONS = ("pca", "umap")


def project_2d(points: Any, method: str = "pca", *, random_state: int | None = 0) -> tuple[np.ndarray, list[str]]:
    """(N, D) -> float32 (N, 2) and the two axis titles.

    D == 2 is returned as is; D == 1 gets a zero second axis; D > 2 is projected with PCA
    (signs fixed so that each component's largest loading is positive, for reproducible
    pictures) or UMAP (umap-learn, seeded by `random_state`).
    """
    points = check_matrix(points, "points", dtype=np.float64)
    if not isinstance(method, str) or method not in PROJECTIONS:
        raise ValueError(f"projection must be one of {PROJECTIONS}; got {method!r}")
    n, d = points.shape
    if d == 1:
        return np.hstack([points, np.zeros_like(points)]).astype(np.float32), ["dim 1", ""]
    if d == 2:
        return points.astype(np.float32), ["dim 1", "dim 2"]
    if n < 2:
        raise ValueError(f"points must hold at least 2 points to project {d}-D points to 2-D; got {n}")
    if method == "umap":
        if n < 4:  # UMAP's spectral layout needs more points than components + 1
            raise ValueError(f"projection='umap' needs at least 4 points; got {n} (use projection='pca')")
        import umap  # umap-learn (numba, seconds to import) only for projection='umap'

        n_neighbors = max(2, min(15, n - 1))
        reducer = umap.UMAP(n_components=2, n_neighbors=n_neighbors, random_state=random_state, n_jobs=1)
        embedding = reducer.fit_transform(points)
        return np.asarray(embedding, dtype=np.float32), ["UMAP 1", "UMAP 2"]
    centred = points - points.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2]
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
    components = components * signs[:, None]
    explained = singular[:2] ** 2 / max(float((singular**2).sum()), 1e-300)
    titles = [f"PC {i + 1} ({100 * explained[i]:.0f}%)" for i in range(2)]
    return (centred @ components.T).astype(np.float32), titles


def points_in_polygon(points: Any, polygon: Any) -> np.ndarray:
    """int64 indices of `points` (N, 2) inside `polygon` (M >= 3 vertices), even-odd rule.

    The same crossing test runs in the widget's JS (on the same float32 coordinates), so the
    highlighted points and the Python selection agree.
    """
    points = np.asarray(points, dtype=np.float32)  # no float64 copy of all N: only candidates
    poly = np.asarray(polygon, dtype=np.float64)
    if poly.ndim != 2 or poly.shape[1] != 2:
        raise ValueError(f"polygon must be a list of [x, y] vertices; got shape {poly.shape}")
    if len(poly) < 3:
        return np.zeros(0, dtype=np.int64)
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    candidates = np.flatnonzero(
        (points[:, 0] >= lo[0]) & (points[:, 0] <= hi[0]) & (points[:, 1] >= lo[1]) & (points[:, 1] <= hi[1])
    )
    # Candidates sorted by y: an edge can only be crossed by the points whose y lies in
    # [min(yi, yj), max(yi, yj)), one contiguous slice, so each edge touches its slice only
    # (a 64-vertex lasso reads each point ~2 times instead of 64). Same arithmetic as before.
    by_y = np.argsort(points[candidates, 1], kind="stable")
    candidates = candidates[by_y]
    x, y = points[candidates, 0].astype(np.float64), points[candidates, 1].astype(np.float64)
    inside = np.zeros(len(candidates), dtype=bool)
    xj, yj = poly[-1]
    for xi, yi in poly:
        start, stop = np.searchsorted(y, [min(yi, yj), max(yi, yj)], side="left")
        if stop > start:
            part = slice(start, stop)
            x_cross = (xj - xi) * (y[part] - yi) / (yj - yi) + xi  # yi != yj when the slice is not empty
            inside[part] ^= x[part] < x_cross
        xj, yj = xi, yi
    return np.sort(candidates[inside]).astype(np.int64)


def color_codes(values: Any, name: str, *, value_range: Any = None) -> dict[str, Any]:
    """One colouring as uint8 codes plus what the legend needs.

    Integer/bool values -> categorical: code k = k-th distinct value (at most 256).
    Float values -> continuous: codes 0..255 spread linearly over `value_range` (default
    the data's min..max).
    Returns {"codes", "kind", "categories" (distinct values), "range" (lo, hi)}.
    """
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"colouring {name!r} must be a 1-D array (one value per point); got shape {values.shape}")
    if values.dtype.kind in "biu":
        categories, codes = np.unique(values, return_inverse=True)
        if len(categories) > 256:
            raise ValueError(
                f"colouring {name!r} has {len(categories)} categories; at most 256 can be shown (pass floats)"
            )
        return {"codes": codes.astype(np.uint8), "kind": "categorical", "categories": categories, "range": (0.0, 0.0)}
    if values.dtype.kind != "f":
        raise TypeError(f"colouring {name!r} must hold numbers; got dtype {values.dtype}")
    if not np.isfinite(values).all():
        raise ValueError(f"colouring {name!r} contains NaN or infinite values")
    lo, hi = (float(values.min()), float(values.max())) if value_range is None else map(float, value_range)
    scaled = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    codes = np.clip(np.round(scaled * 255), 0, 255).astype(np.uint8)
    return {"codes": codes, "kind": "continuous", "categories": np.zeros(0), "range": (lo, hi)}
