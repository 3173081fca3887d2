"""LatentScatter: a scatter plot of a latent space with lasso/box selection and recolouring.

Wire format (9 bytes per point): coordinates as float32 (N, 2) binary, once; the active
colouring as uint8 codes (N,) binary, re-sent only when the user switches colouring. The JS
draws straight into canvas pixels (ImageData), which stays smooth at 1M points, and zooms
and pans by re-plotting with a new view transform. A lasso or box gesture sends its polygon
(data coordinates, <= a few hundred vertices) as the `lasso` trait; Python computes the
exact `selection` with the same even-odd test the JS uses for highlighting.

Above `max_points` (default 1M) only a density-aware subsample is drawn (dense regions are
thinned, sparse ones kept whole; the view says so): coordinates and colour codes go for the
drawn points only, selections stay exact over all N in Python, and the highlight of the
drawn points comes back from Python as a bitmask (M/8 bytes), so the page never runs the
polygon test over millions of points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import traitlets

from ..compute.deprecation import renamed_arguments
from ..compute.images import ImageSource
from ..compute.projection import color_codes, points_in_polygon, project_2d
from ..compute.subsample import density_subsample
from ..compute.validation import check_color_range, check_positive_int
from ._base import (
    NDArray,
    SpurWidget,
    css_source,
    encode_thumbnails,
    esm_source,
    selection_array,
    set_array_trait,
)
from .exports import LatentScatterExport


def _check_hex(color: Any) -> str:
    text = str(color)
    if len(text) != 7 or text[0] != "#" or any(ch not in "0123456789abcdefABCDEF" for ch in text[1:]):
        raise ValueError(f"category colours must be '#rrggbb' strings; got {color!r}")
    return text.lower()


class LatentScatter(LatentScatterExport, SpurWidget):
    """Scatter of `points` (N, D); D > 2 is projected to 2-D by `projection` ("pca" or "umap").

    `color`: one array (N,) or a dict {name: array} of colourings, switched from a dropdown.
    Integer arrays are categories (legend), float arrays continuous (colour bar).
    `color_ranges`: {name: (lo, hi)} fixes a continuous colour scale (e.g. (0, 1) for a
    probability); `category_names`: {name: [label of category 0, 1, ...]} names legend entries;
    `category_colors`: {name: ['#rrggbb' of category 0, 1, ...]} overrides the colour scheme.
    `images`: optional (N, H, W, 3) uint8 pictures (or anything ImageSource accepts); hovering
    a point then shows its thumbnail, `thumb_size` pixels wide (`thumbnail_size=` is its deprecated
    former name). Gestures: drag = lasso (or box, from the toolbar),
    Shift+drag = pan, wheel = zoom, double-click = reset view, Esc = clear the selection.
    `w.observe(callback, "selection")` follows the selection (int64 indices, ascending); assign
    `w.selection = indices` (or a boolean mask) to select from code: the view highlights it.
    """

    coords = NDArray(np.float32, help="float32 (M, 2) coordinates of the drawn points (binary)")
    codes = NDArray(np.uint8, help="uint8 (M,) colour code of each drawn point for the active colouring (binary)")
    colorings = traitlets.List(traitlets.Unicode(), help="names of the available colourings").tag(sync=True)
    color_by = traitlets.Unicode("", help="name of the active colouring (dropdown), synced both ways").tag(sync=True)
    color_kind = traitlets.Unicode("categorical", help="'categorical' (legend) or 'continuous' (colour bar)").tag(
        sync=True
    )
    color_labels = traitlets.List(traitlets.Unicode(), help="legend label of each category code").tag(sync=True)
    category_colors = traitlets.List(
        traitlets.Unicode(), help="'#rrggbb' of each category code ([]: default scheme)"
    ).tag(sync=True)
    color_range = traitlets.List(traitlets.Float(), default_value=[0.0, 1.0], help="[lo, hi] of the colour bar").tag(
        sync=True
    )
    axis_labels = traitlets.List(traitlets.Unicode(), default_value=["", ""], help="x and y axis titles").tag(sync=True)
    lasso: traitlets.List[Any] = traitlets.List(
        help="selection polygon [[x, y], ...] in data coordinates; [] = none"
    ).tag(sync=True)
    selected_bits = traitlets.Bytes(
        b"",
        help="bitmask (np.packbits, little order) over the drawn points of a selection set from Python (or of "
        "any selection when subsampled); b'' = the view tests the lasso polygon itself",
    ).tag(sync=True)
    clear_request = traitlets.Int(0, help="incremented by the view's Clear button and Esc").tag(sync=True)
    n_selected = traitlets.Int(0, help="number of selected points").tag(sync=True)
    hover = traitlets.Int(-1, help="index (among the drawn points) of the point under the pointer (-1: none)").tag(
        sync=True
    )
    hover_image = traitlets.Bytes(b"", help="PNG thumbnail of the hovered point").tag(sync=True)
    hover_text = traitlets.Unicode("", help="text shown for the hovered point").tag(sync=True)
    tool = traitlets.Unicode("lasso", help="drag gesture: 'lasso' or 'box'").tag(sync=True)
    height = traitlets.Int(420, help="plot height in CSS pixels").tag(sync=True)
    point_size = traitlets.Float(0.0, help="point diameter in CSS pixels (0: automatic from N)").tag(sync=True)
    n_total = traitlets.Int(0, help="N, all points (the view draws `coords`, a subsample when N > max_points)").tag(
        sync=True
    )
    subsampled = traitlets.Bool(False, help="True when only a density-aware subsample is drawn").tag(sync=True)
    selection = traitlets.Any(help="int64 indices (ascending) of the selected points (Python only; settable)")

    _esm = esm_source("latent_scatter_draw.js", "latent_scatter.js")
    _css = css_source("latent_scatter.css")

    @renamed_arguments(thumbnail_size="thumb_size")
    def __init__(
        self,
        points: Any,
        color: Any = None,
        *,
        projection: str = "pca",
        color_ranges: Mapping[str, Sequence[float]] | None = None,
        category_names: Mapping[str, Sequence[str]] | None = None,
        category_colors: Mapping[str, Sequence[str]] | None = None,
        images: Any = None,
        thumb_size: int = 96,
        random_state: int | None = 0,
        height: int = 420,
        point_size: float = 0.0,
        max_points: int = 1_000_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.points_2d, axis_labels = project_2d(points, projection, random_state=random_state)
        self.n_points = len(self.points_2d)
        self._from_lasso = False  # True while the lasso (not the user's code) sets `selection`
        self.selection = np.zeros(0, dtype=np.int64)
        self.axis_labels = axis_labels
        self._colorings = self._check_colorings(color)
        self._ranges = {k: check_color_range(r, f"color_ranges[{k!r}]") for k, r in (color_ranges or {}).items()}
        self._category_names = {k: [str(v) for v in names] for k, names in (category_names or {}).items()}
        self._category_colors = {k: [_check_hex(c) for c in colors] for k, colors in (category_colors or {}).items()}
        named = set(self._ranges) | set(self._category_names) | set(self._category_colors)
        unknown = sorted(named - set(self._colorings))
        if unknown:
            raise ValueError(
                f"color_ranges/category_names/category_colors name colourings {unknown} that are not in color "
                f"({list(self._colorings)})"
            )
        self._images = None
        if images is not None:
            self._images = images if isinstance(images, ImageSource) else ImageSource(images, name="images")
            if len(self._images) != self.n_points:
                raise ValueError(
                    f"images has {len(self._images)} entries but points has {self.n_points}; expected one image per point"
                )
        self.thumb_size = check_positive_int(thumb_size, "thumb_size", minimum=8)
        self.height = check_positive_int(height, "height", minimum=120)
        self.point_size = float(point_size)
        max_points = check_positive_int(max_points, "max_points", minimum=1000)
        # Indices of the drawn points (None: all). `hover` and the bitmasks refer to them.
        self.drawn: np.ndarray | None = None
        if self.n_points > max_points:
            self.drawn = density_subsample(self.points_2d, max_points, random_state)
        self.n_total = self.n_points
        self.subsampled = self.drawn is not None
        shown = self.points_2d if self.drawn is None else self.points_2d[self.drawn]
        self.coords = shown
        self.colorings = list(self._colorings)
        self.color_by = self.colorings[0]
        self._on_color_by()  # unguarded: a bad colouring raises here, at construction
        self.observe(self.guard(self._on_color_by), "color_by")
        self.observe(self.guard(self._on_lasso), "lasso")
        self.observe(self._on_selection, "selection")
        self.observe(self.guard(self.clear_selection), "clear_request")
        self.observe(self.guard(self._on_hover), "hover")

    def _check_colorings(self, color: Any) -> dict[str, np.ndarray]:
        if color is None:
            color = {"none": np.zeros(self.n_points, dtype=np.int64)}
        elif not isinstance(color, Mapping):
            color = {"color": color}
        if not color:
            raise ValueError("color must be an array or a non-empty dict {name: array}")
        out = {}
        for name, values in color.items():
            array = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values)
            if array.shape != (self.n_points,):
                raise ValueError(
                    f"color[{name!r}] must have shape ({self.n_points},) (one value per point); got {array.shape}"
                )
            color_codes(array, str(name))  # validate now, not when the user picks it
            out[str(name)] = array
        return out

    @traitlets.validate("color_by")
    def _validate_color_by(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in self._colorings:
            raise traitlets.TraitError(f"color_by must be one of {list(self._colorings)}; got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("tool")
    def _validate_tool(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in ("lasso", "box"):
            raise traitlets.TraitError(f"tool must be 'lasso' or 'box'; got {proposal['value']!r}")
        return proposal["value"]

    def _on_color_by(self, _change: Any = None) -> None:
        name = self.color_by
        coding = color_codes(self._colorings[name], name, value_range=self._ranges.get(name))
        names = self._category_names.get(name)
        if coding["kind"] == "categorical":
            cats = coding["categories"]
            self.color_labels = [names[int(c)] if names and 0 <= int(c) < len(names) else str(c) for c in cats]
            colors = self._category_colors.get(name)
            self.category_colors = [colors[int(c) % len(colors)] for c in cats] if colors else []
        else:
            self.color_labels = []
            self.category_colors = []
        self.color_range = [float(v) for v in coding["range"]]
        self.color_kind = coding["kind"]
        codes = coding["codes"] if self.drawn is None else coding["codes"][self.drawn]
        self.codes = codes  # the drawn points only: M bytes

    @traitlets.validate("selection")
    def _validate_selection(self, proposal: dict[str, Any]) -> np.ndarray:
        return selection_array(proposal["value"], self.n_points)

    def _on_lasso(self, _change: Any = None) -> None:
        if self._from_lasso:
            return  # cleared by a selection set from code: keep that selection
        polygon = self.lasso
        selection = points_in_polygon(self.points_2d, polygon) if len(polygon) >= 3 else np.zeros(0, dtype=np.int64)
        self._set_selection(selection, from_lasso=True)

    def _on_selection(self, change: dict[str, Any]) -> None:
        if self._from_lasso:
            return
        # Set from code: the view cannot derive it from a polygon, so it gets a bitmask
        # (N/8 bytes) and the lasso outline goes away.
        self._set_selection(change["new"], from_lasso=False)

    def _set_selection(self, selection: np.ndarray, *, from_lasso: bool) -> None:
        self._from_lasso = True
        try:
            if not from_lasso:
                self.lasso = []
            set_array_trait(self, "selection", selection)
            self.n_selected = len(selection)
            if from_lasso and self.drawn is None:
                self.selected_bits = b""  # the view computes the same selection from the polygon
            else:
                mask = np.zeros(self.n_points, dtype=bool)
                mask[selection] = True
                if self.drawn is not None:
                    mask = mask[self.drawn]
                    self.selected_bits = b""  # always a change event: the view waits for these bits
                self.selected_bits = np.packbits(mask, bitorder="little").tobytes()
        finally:
            self._from_lasso = False

    def _on_hover(self, _change: Any = None) -> None:
        i = self.hover
        if not 0 <= i < (self.n_points if self.drawn is None else len(self.drawn)):
            self.hover_text, self.hover_image = "", b""
            return
        if self.drawn is not None:
            i = int(self.drawn[i])  # the view picks among the drawn points
        parts = [f"#{i}"]
        for name, values in self._colorings.items():
            value = values[i]
            shown = f"{value:.3g}" if np.issubdtype(values.dtype, np.floating) else str(value)
            parts.append(f"{name}: {shown}")
        if self._images is not None:
            self.hover_image = encode_thumbnails(self._images.uint8([i]), self.thumb_size)[0]
        self.hover_text = " · ".join(parts)

    def select_box(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """Select the points in the data-coordinate box (as the box tool does); returns selection."""
        self.lasso = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
        return self.selection

    def clear_selection(self, _change: Any = None) -> None:
        """Select nothing (the view's Clear button and Esc do this too)."""
        self.lasso = []
        self._set_selection(np.zeros(0, dtype=np.int64), from_lasso=True)
