"""Helpers shared by every spurwidgets widget.

- `SpurWidget`: anywidget base class with an `error` trait (shown by the JS as a red banner
  and logged), strict keyword arguments (a typo raises TypeError instead of being ignored),
  `guard(callback)` to run Python callbacks so that their exceptions become visible in the
  widget, and logging of errors the JS reports from the browser.
- Binary helpers: `array_to_binary` turns an array into `{"dtype", "shape", "buffer"}` (the
  buffer travels as a binary comm frame, never as a JSON list); `array_from_binary` inverts it.
  `NDArray(dtype)` is a trait holding the ndarray itself, with that pair as its serializer.
- `encode_thumbnails(images, size)`: uint8 (k, H, W, 3) pictures -> PNG bytes at display size.

Sharing JS helpers without a bundler or CDN
-------------------------------------------
`_common.js` holds plain functions (no `export`s), e.g. `swArray(obj)` (a `{dtype, shape,
buffer}` trait as a typed array; copies when the DataView is unaligned), `swCssVar(el, name,
fallback)`, `swErrorBanner(model, el)`, `swDebounce`, `swSafeRender`, `swNiceTicks(lo, hi,
count)` (axis ticks) and `swClassColor(i)` (the class palette). `esm_source("x.js")`
returns the text of `_common.js` followed by `x.js`, so every widget's `_esm` is ONE self-
contained ES module in which the helpers are ordinary top-level functions. A widget file
therefore uses the helpers without importing them and exports `default { render }` itself.
`css_source("x.css")` likewise prepends `_common.css` (the banner and theme variables).

`CLASS_PALETTE` is the one categorical palette (Tableau 10) of every widget: Python widgets use
it directly and `esm_source` writes it into each module as `SW_PALETTE`, so JS never repeats it.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets
from PIL import Image

logger = logging.getLogger("spurwidgets")
HERE = Path(__file__).resolve().parent

# ipywidgets' own traits that users may legitimately pass (layout=..., tooltip=...).
_ALLOWED_BASE_KWARGS = {"layout", "tabbable", "tooltip"}


# The categorical palette of every widget (classes, clusters, groups): Tableau 10.
CLASS_PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def class_color(index: int) -> str:
    """Colour of class/cluster `index` (the palette cycles)."""
    return CLASS_PALETTE[index % len(CLASS_PALETTE)]


def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def esm_source(*files: str) -> str:
    """One ES module: `SW_PALETTE`, `_common.js`, then the given widget files (see module docstring)."""
    palette = f"const SW_PALETTE = {json.dumps(list(CLASS_PALETTE))};"
    return "\n".join([palette, *(_read(name) for name in ("_common.js", *files))])


def css_source(*files: str) -> str:
    """`_common.css` followed by the given widget stylesheets."""
    return "\n".join(_read(name) for name in ("_common.css", *files))


def check_kwargs(widget_name: str, kwargs: dict[str, Any], allowed: set[str] = _ALLOWED_BASE_KWARGS) -> None:
    """Reject unknown keyword arguments, naming them and what is accepted."""
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise TypeError(
            f"{widget_name}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
            f"see help({widget_name}) for the accepted arguments"
        )


def array_to_binary(array: Any, dtype: Any = None) -> dict[str, Any]:
    """`{"dtype", "shape", "buffer"}` with a little-endian C-contiguous buffer (bytes)."""
    arr = np.asarray(array, dtype=dtype)
    arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
    return {"dtype": arr.dtype.name, "shape": list(arr.shape), "buffer": arr.tobytes()}


def array_from_binary(value: dict[str, Any]) -> np.ndarray:
    """Inverse of `array_to_binary` (accepts bytes, bytearray or memoryview buffers)."""
    dtype = np.dtype(value["dtype"]).newbyteorder("<")
    return np.frombuffer(bytes(value["buffer"]), dtype=dtype).reshape(value["shape"])


def _array_to_json(value: np.ndarray | None, _widget: Any) -> dict[str, Any] | None:
    return None if value is None else array_to_binary(value)


def _array_from_json(value: dict[str, Any] | None, _widget: Any) -> np.ndarray | None:
    return None if not value else array_from_binary(value)


class NDArray(traitlets.TraitType[Any, Any]):
    """A trait holding a C-contiguous ndarray of one dtype (or None), synced as binary.

    On the wire it is `{"dtype", "shape", "buffer"}` (the buffer a binary comm frame; `swArray`
    reads it in JS); in Python it is the array itself. Assigned values are converted to `dtype`.
    """

    info_text = "an array (or None)"

    def __init__(self, dtype: Any, *, help: str = "") -> None:  # noqa: A002 - traitlets' name
        super().__init__(default_value=None, allow_none=True, help=help)
        self.dtype = np.dtype(dtype)
        self.tag(sync=True, to_json=_array_to_json, from_json=_array_from_json)

    def validate(self, obj: Any, value: Any) -> np.ndarray | None:
        if value is None:
            return None
        try:
            return np.ascontiguousarray(value, dtype=self.dtype)
        except (TypeError, ValueError):
            self.error(obj, value)
            raise  # unreachable: error() raises TraitError


def encode_thumbnails(images: np.ndarray, size: int, fmt: str = "PNG") -> list[bytes]:
    """uint8 pictures (k, H, W, 3) -> one PNG (or WebP) per picture, longest side `size` px.

    Small images (28 px digits) are upscaled with nearest neighbour so pixels stay crisp;
    larger ones are downscaled with a smoothing filter.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (k, H, W, 3); got shape {images.shape} and dtype {images.dtype}")
    out = []
    for picture in images:
        image = Image.fromarray(picture)
        h, w = picture.shape[:2]
        scale = size / max(h, w)
        new_size = (max(1, round(w * scale)), max(1, round(h * scale)))
        if new_size != (w, h):
            resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.LANCZOS
            image = image.resize(new_size, resample)
        buf = io.BytesIO()
        image.save(buf, format=fmt, **({"optimize": False, "compress_level": 1} if fmt == "PNG" else {"quality": 85}))
        out.append(buf.getvalue())
    return out


def selection_array(value: Any, n_points: int, name: str = "selection") -> np.ndarray:
    """Every widget's `selection` type: int64 indices, ascending and unique, in 0..n_points-1.

    Accepts integer indices (list, array, tensor) or a boolean mask of shape (n_points,);
    raises traitlets.TraitError naming `name`, what is expected and what came.
    """
    array = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
    if array.dtype == bool and array.shape == (n_points,):
        return np.flatnonzero(array).astype(np.int64)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise traitlets.TraitError(
            f"{name} must be integer point indices or a boolean mask of shape ({n_points},); "
            f"got {array.dtype} of shape {array.shape}"
        )
    if array.min() < 0 or array.max() >= n_points:
        raise traitlets.TraitError(
            f"{name} indices must be in 0..{n_points - 1}; got {int(array.min())}..{int(array.max())}"
        )
    if array.dtype == np.int64 and (array[1:] > array[:-1]).all():
        return array  # already ascending and unique: skip the sort
    return np.unique(array).astype(np.int64)


def selection_trait(help: str) -> traitlets.Any:
    """A `selection` trait synced to the view as a JSON list of ints, held in Python as int64 ndarray."""
    return traitlets.Any(np.zeros(0, dtype=np.int64), help=help).tag(
        sync=True,
        to_json=lambda value, _widget: np.asarray(value, dtype=np.int64).tolist(),
        from_json=lambda value, _widget: np.asarray(value if value is not None else [], dtype=np.int64),
    )


def set_array_trait(obj: traitlets.HasTraits, name: str, value: np.ndarray) -> None:
    """Assign a numpy array trait only when it changed (traitlets cannot compare arrays)."""
    old = getattr(obj, name)
    if isinstance(old, np.ndarray) and old.shape == value.shape and np.array_equal(old, value):
        return
    setattr(obj, name, value)


class SpurWidget(anywidget.AnyWidget):
    """Base of every spurwidgets widget: visible errors and strict keyword arguments."""

    error = traitlets.Unicode("", help="Last error from a Python callback; shown as a red banner").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        check_kwargs(type(self).__name__, kwargs)
        super().__init__(**kwargs)
        self.js_errors: list[str] = []
        self.on_msg(self._handle_js_message)

    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a callback so an exception shows in the widget (and the log) instead of vanishing."""

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.error:  # a new action starts: the old message no longer applies
                self.clear_error()
            try:
                return callback(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown to the user, logged with traceback
                self.report_error(exc)
                return None

        return guarded

    def report_error(self, exc: BaseException) -> None:
        """Show `exc` in the widget's banner and log it with its traceback."""
        logger.error("%s callback failed:\n%s", type(self).__name__, "".join(traceback.format_exception(exc)))
        self.error = f"{type(exc).__name__}: {exc}"

    def clear_error(self) -> None:
        self.error = ""

    def _handle_js_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("kind") == "js-error":
            message = str(content.get("message", ""))
            self.js_errors.append(message)
            logger.error("%s: error in the browser: %s", type(self).__name__, message)
