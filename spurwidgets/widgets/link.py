"""link_selection: make a gallery follow another widget's selection."""

from __future__ import annotations

from typing import Any


class SelectionLink:
    """Handle returned by `link_selection`; `unlink()` stops the gallery following."""

    def __init__(self, source: Any, gallery: Any, name: str) -> None:
        self.source, self.gallery, self.name = source, gallery, name
        guard = getattr(gallery, "guard", lambda f: f)
        self._handler = guard(self._follow)
        source.observe(self._handler, name)
        self._follow()

    def _follow(self, _change: Any = None) -> None:
        self.gallery.indices = getattr(self.source, self.name)

    def unlink(self) -> None:
        self.source.unobserve(self._handler, self.name)


def link_selection(source: Any, gallery: Any, *, name: str = "selection") -> SelectionLink:
    """Show `source.selection` (e.g. a LogitCurve's window) in `gallery` (an ImageGallery).

    One line: `link_selection(curve, gallery)`. The gallery shows the selected images now and
    after every change; errors appear in the gallery's banner. Returns a handle with `unlink()`.
    """
    if not hasattr(source, "observe") or not hasattr(source, name):
        raise TypeError(f"source must be a widget with a {name!r} trait (e.g. LogitCurve); got {type(source).__name__}")
    if not hasattr(gallery, "indices") or not isinstance(getattr(type(gallery), "indices", None), property):
        raise TypeError(f"gallery must have a settable `indices` (e.g. ImageGallery); got {type(gallery).__name__}")
    return SelectionLink(source, gallery, name)
