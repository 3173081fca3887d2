"""Input validation shared by every entry point.

Every check names the argument, what was expected and what came, so that a user
who passes the wrong thing learns how to fix it from the message alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError


def _describe(value: Any) -> str:
    """Short description of a value for error messages: type, shape and dtype."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)} and dtype {dtype}"
    return type(value).__name__


def to_numpy(value: Any, name: str) -> np.ndarray:
    """Convert arrays, tensors and sequences to a NumPy array, or raise TypeError naming `name`."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor without importing torch
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)) or (np.isscalar(value) and not isinstance(value, (str, bytes))):
        try:
            return np.asarray(value)
        except ValueError:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular array; got nested lists of different lengths") from None
    raise TypeError(f"{name} must be an array-like (numpy array, torch tensor or list); got {_describe(value)}")


#: Rows per block when large arrays are scanned (finite check, chunked statistics): ~16 MB.
CHUNK_BYTES = 1 << 24


def row_chunks(n_rows: int, row_bytes: int, chunk_bytes: int = CHUNK_BYTES) -> range:
    """Start rows of blocks of about `chunk_bytes` each (at least one row per block)."""
    step = max(1, chunk_bytes // max(1, row_bytes))
    return range(0, n_rows, step)


def _n_not_finite(array: np.ndarray) -> int:
    flat = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
    step = row_chunks(len(flat), flat.shape[1] * flat.itemsize).step
    return sum(int((~np.isfinite(flat[i : i + step])).sum()) for i in range(0, len(flat), step))


def check_finite(array: np.ndarray, name: str) -> None:
    """Raise ValueError when a float array holds NaN or inf (never a silent wrong answer).

    Scans in blocks with a float64 sum (NaN/inf propagate; finite float32 cannot overflow
    it), so a memory-mapped 8 GB matrix needs no N x D boolean temporary.
    """
    if array.dtype.kind not in "fc" or array.size == 0:
        return
    flat = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
    step = row_chunks(len(flat), flat.shape[1] * flat.itemsize).step
    for start in range(0, len(flat), step):
        if not np.isfinite(flat[start : start + step].sum(dtype=np.float64)):
            n_bad = _n_not_finite(array)
            if n_bad:
                raise ValueError(f"{name} contains {n_bad} NaN or infinite values; expected finite numbers")


def check_matrix(value: Any, name: str, *, dtype: type = np.float32) -> np.ndarray:
    """A non-empty, finite 2-D float array (N, D)."""
    array = to_numpy(value, name)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (N, D); got {_describe(array)}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers; got dtype {array.dtype}")
    # No copy for C-contiguous input of the right dtype; a np.memmap stays a view of its file
    # (as a plain ndarray), so out-of-core features are never loaded whole.
    array = np.ascontiguousarray(array, dtype=dtype)
    check_finite(array, name)
    return array


def check_features(features: Any, name: str = "features") -> np.ndarray:
    """Features (N, D) as float32; float32 C-contiguous input and memmaps are returned uncopied."""
    return check_matrix(features, name)


def check_logits(logits: Any, name: str = "logits") -> np.ndarray:
    """Logits (N,) or (N, C) as a float32 (N, C) array; a 1-D input becomes one column."""
    array = to_numpy(logits, name)
    if array.ndim == 1:
        array = array[:, None]
    return check_matrix(array, name)


def _check_length(array: np.ndarray, name: str, n: int | None) -> None:
    """One entry per sample (`n` when given), and at least one."""
    if n is not None and len(array) != n:
        raise ValueError(f"{name} has {len(array)} entries but {n} were expected (one per sample)")
    if len(array) == 0:
        raise ValueError(f"{name} must not be empty")


def check_index(value: Any, what: str, n: int) -> int:
    """`value` as an int in 0..n-1: a TypeError for non-integers, a ValueError naming the range."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an integer in 0..{n - 1}; got {value!r}")
    if not 0 <= int(value) < n:
        raise ValueError(f"{what} {value} does not exist; expected a {what} in 0..{n - 1}")
    return int(value)


def check_vector(value: Any, name: str, *, n: int | None = None, dtype: type = np.float64) -> np.ndarray:
    """A finite 1-D numeric array, of length `n` when given."""
    array = to_numpy(value, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array; got {_describe(array)}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers; got dtype {array.dtype}")
    _check_length(array, name, n)
    array = np.asarray(array, dtype=dtype)
    check_finite(array, name)
    return array


#: Largest class/group id `check_labels` accepts by default: ids index arrays of size max + 1
#: (bincount, class names), so a stray id of 1e9 would try to allocate gigabytes.
MAX_LABEL = 2**20 - 1


def check_labels(
    labels: Any,
    name: str = "labels",
    *,
    n: int | None = None,
    n_classes: int | None = None,
    max_label: int | None = MAX_LABEL,
) -> np.ndarray:
    """Integer class labels (N,) as int64; every label in [0, n_classes) when `n_classes` is given,
    and at most `max_label` (None: no limit, for arbitrary ids that are only compared)."""
    array = to_numpy(labels, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integer labels; got {_describe(array)}")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or not np.all(array == np.round(array)):
            raise ValueError(f"{name} must hold integer labels; got non-integer floats")
    elif array.dtype.kind not in "biu":
        raise TypeError(f"{name} must hold integer labels; got dtype {array.dtype}")
    _check_length(array, name, n)
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"{name} must be non-negative integers; got minimum {array.min()}")
    if n_classes is not None and array.max() >= n_classes:
        raise ValueError(
            f"{name} holds class {array.max()} but only {n_classes} classes exist (expected labels in 0..{n_classes - 1})"
        )
    if max_label is not None and array.max() > max_label:
        raise ValueError(
            f"{name} holds id {array.max()}, larger than the {max_label} supported: expected class ids "
            f"0..C-1 (renumber other ids, e.g. with np.unique({name}, return_inverse=True))"
        )
    return array


def check_same_length(**arrays: Any) -> int:
    """All arrays have the same first dimension; returns it. Message names each argument and its length."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        parts = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"length mismatch: {parts} entries; expected one entry per sample in each")
    return next(iter(lengths.values()))


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """An integer >= minimum (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def check_fraction(value: Any, name: str, *, low: float = 0.0, high: float = 1.0, inclusive_low: bool = False) -> float:
    """A float in (low, high] (or [low, high] with inclusive_low)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number in {'[' if inclusive_low else '('}{low}, {high}]; got {value!r}")
    value = float(value)
    ok = (value >= low if inclusive_low else value > low) and value <= high
    if not ok or not np.isfinite(value):
        raise ValueError(f"{name} must be in {'[' if inclusive_low else '('}{low}, {high}]; got {value}")
    return value


def check_number(
    value: Any, name: str, *, low: float | None = None, high: float | None = None, inclusive: bool = True
) -> float:
    """A finite real number (bools and strings refused) within [low, high] (open bounds unless `inclusive`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number; got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value}")
    too_low = low is not None and (value < low if inclusive else value <= low)
    too_high = high is not None and (value > high if inclusive else value >= high)
    if too_low or too_high:
        op = "<=" if inclusive else "<"
        bounds = " and ".join(
            ([f"{name} {'>=' if inclusive else '>'} {low:g}"] if low is not None else [])
            + ([f"{name} {op} {high:g}"] if high is not None else [])
        )
        raise ValueError(f"{name} must satisfy {bounds}; got {value:g}")
    return value


def check_color_range(value: Any, name: str) -> tuple[float, float]:
    """A colour scale (lo, hi) of finite numbers with lo < hi."""
    lo, hi = check_window(value, name)
    if lo == hi:
        raise ValueError(f"{name} must satisfy lo < hi (an empty colour scale); got ({lo}, {hi})")
    return lo, hi


def check_window(window: Any, name: str = "window") -> tuple[float, float]:
    """A (lo, hi) pair of finite floats with lo <= hi."""
    try:
        lo, hi = (float(v) for v in window)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (lo, hi) of numbers; got {window!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"{name} must hold finite numbers; got ({lo}, {hi})")
    if lo > hi:
        raise ValueError(f"{name} must satisfy lo <= hi; got ({lo}, {hi})")
    return lo, hi


def stack_images(images: list, name: str) -> Any:
    """torch.stack of (3, H, W) images, with an error naming `name` when their sizes differ."""
    sizes = sorted({tuple(image.shape) for image in images})
    if len(sizes) > 1:
        raise ValueError(
            f"{name} holds images of different sizes ({', '.join(str(s) for s in sizes[:3])}); expected one size "
            "(resize them, e.g. a torchvision Resize/CenterCrop transform in the Dataset)"
        )
    return torch.stack(images)


class NotFittedError(_SklearnNotFittedError, RuntimeError):
    """scikit-learn's NotFittedError (a ValueError and an AttributeError), also a RuntimeError
    as this package raised before it followed scikit-learn."""


def _not_fitted(estimator: Any, attribute: str) -> NotFittedError:
    return NotFittedError(f"This {type(estimator).__name__} is not fitted yet: call fit(...) before using {attribute}")


def check_is_fitted(estimator: Any, attribute: str) -> None:
    """Raise NotFittedError when a fitted attribute is read before `fit`."""
    if getattr(estimator, attribute, None) is None:
        raise _not_fitted(estimator, attribute)


class Estimator(BaseEstimator):
    """scikit-learn's BaseEstimator (get_params/set_params/clone/repr) whose fitted attributes
    (public names ending in `_`) raise NotFittedError when read before `fit`."""

    if not TYPE_CHECKING:  # mypy keeps checking attribute names

        def __getattr__(self, name: str) -> Any:
            if name.endswith("_") and not name.startswith("_"):
                raise _not_fitted(self, name)
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def check_random_state(random_state: Any) -> np.random.Generator:
    """A NumPy Generator from an int seed, None, or an existing Generator (never the global RNG)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, None or numpy Generator; got {random_state}")
        return np.random.default_rng(random_state)
    raise TypeError(f"random_state must be an int, None or numpy Generator; got {random_state!r}")


def resolve_device(device: Any) -> Any:
    """`"auto"` means CUDA when present, else CPU; anything torch.device accepts passes through."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or a torch.device; got {device!r}") from None
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"device={device!r} but no CUDA GPU is available here; use device='auto' or 'cpu'")
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(f"device={device!r} but only {count} CUDA GPU(s) exist (cuda:0..cuda:{count - 1})")
    return resolved
