"""Embed other spurwidgets (LogitCurve, ClusterGallery) inside one composed anywidget.

Why: a composed app that is ONE anywidget renders the same in JupyterLab, Voila, VS Code and
the fast browser-test harness (which renders a single anywidget with a mock model), and its
children stay the real, separately tested widgets. The child Python widget is kept (never
displayed itself); its synced state is mirrored into a Dict trait of the parent
(`_<key>_state`, binary buffers stay binary) and its ES module text into `_<key>_esm`. In the
browser the parent imports each child's module and renders it with a proxy `model` that
reads/writes that Dict. Changes the child's JS saves come back through the parent's
`_child_changes` trait and are applied with `child.set_state`, so the child's own Python
observers run exactly as if it were displayed alone. Custom messages travel both ways
wrapped as `{"kind": "child", "child": key, "content": ...}`.
"""

from __future__ import annotations

from typing import Any

import traitlets

# ipywidgets/anywidget bookkeeping that the proxy model must not mirror.
_SKIP = {"_esm", "_css", "_anywidget_id", "_dom_classes", "layout", "tabbable", "tooltip", "comm", "keys", "log"}


def mirrored_names(child: Any) -> list[str]:
    """The child's synced trait names that carry widget state (not ipywidgets bookkeeping)."""
    return [
        name
        for name in child.trait_names(sync=lambda v: v)
        if name not in _SKIP and not name.startswith("_model_") and not name.startswith("_view_")
    ]


class ChildMirror:
    """Keeps `parent._<key>_state` equal to `child`'s synced state, and routes messages."""

    def __init__(self, parent: Any, key: str, child: Any) -> None:
        self.parent, self.key, self.child = parent, key, child
        self.names = mirrored_names(child)
        setattr(parent, f"_{key}_esm", child._esm if isinstance(child._esm, str) else str(child._esm))
        setattr(parent, f"_{key}_css", child._css if isinstance(child._css, str) else str(getattr(child, "_css", "")))
        self.refresh()
        child.observe(self._on_child_change, names=self.names)
        # Python -> JS custom messages of the child go through the parent's comm.
        child.send = self._send_from_child

    def refresh(self, names: list[str] | None = None) -> None:
        """Copy the child's current values of `names` (default: all) into the parent trait."""
        state = dict(getattr(self.parent, f"_{self.key}_state") or {})
        state.update(self.child.get_state(names or self.names))
        setattr(self.parent, f"_{self.key}_state", state)

    def _on_child_change(self, change: dict[str, Any]) -> None:
        self.refresh([change["name"]])

    def apply(self, state: dict[str, Any]) -> None:
        """Values the child's JS saved: set them on the child (its observers run)."""
        unknown = sorted(set(state) - set(self.names))
        if unknown:
            raise ValueError(f"the {self.key} view sent unknown trait(s) {unknown}")
        self.child.set_state(state)
        self.refresh(list(state))  # validators may have changed what was sent (e.g. lo > hi)

    def handle_message(self, content: Any, buffers: Any) -> None:
        self.child._handle_custom_msg(content, buffers or [])

    def _send_from_child(self, content: Any, buffers: Any = None) -> None:
        self.parent.send({"kind": "child", "child": self.key, "content": content}, buffers)


def child_traits(*keys: str) -> dict[str, traitlets.TraitType]:
    """The parent traits that `ChildMirror` fills, for each child key."""
    traits: dict[str, traitlets.TraitType] = {}
    for key in keys:
        traits[f"_{key}_state"] = traitlets.Dict(help=f"mirrored synced state of the embedded {key} widget").tag(
            sync=True
        )
        traits[f"_{key}_esm"] = traitlets.Unicode(help=f"ES module of the embedded {key} widget").tag(sync=True)
        traits[f"_{key}_css"] = traitlets.Unicode(help=f"stylesheet of the embedded {key} widget").tag(sync=True)
    return traits
