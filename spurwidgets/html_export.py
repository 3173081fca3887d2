"""`export_html`: widgets as one self-contained, offline HTML file (no kernel, no CDN).

`ipywidgets.embed.embed_minimal_html` and `jupyter nbconvert --to html` load require.js,
the ipywidgets html-manager and anywidget's front end from a CDN, so offline their pages
show no widgets. Every spurwidgets widget is a single ES module with no imports, so the
page here needs none of that: each widget's saved state (binary buffers base64-encoded),
its CSS and its module are inlined, and a small in-page model (get/set/on/off/save_changes)
renders it. The views stay interactive where the browser alone can answer (drag the
LogitCurve window, page a gallery, zoom the scatter); anything that needs Python
(a refit, a thumbnail computed on hover) does nothing.

    import spurwidgets as sw
    from spurwidgets.html_export import export_html

    export_html([curve, gallery], "report.html", title="MID window")
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ipywidgets.widgets.widget import _remove_buffers

_PAGE = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>body {{ margin: 16px; font-family: system-ui, sans-serif; }} .sw-export-item {{ margin: 0 0 24px 0; max-width: {width}px; }}</style>
</head>
<body>
<h1 style="font-size: 18px">{title}</h1>
{divs}
<script type="application/json" id="sw-export-data">{data}</script>
<script type="module">
{runtime}
</script>
</body>
</html>
"""

_MODEL_JS = """
const b64 = (s) => { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new DataView(u.buffer); };
class StaticModel {
  constructor(state) { this.state = state; this.listeners = new Map(); }
  get(name) { return this.state[name]; }
  set(name, value) { this.state[name] = value; this.emit(`change:${name}`, this, value); }
  save_changes() {}
  send() {}
  on(event, cb) { if (!this.listeners.has(event)) this.listeners.set(event, new Set()); this.listeners.get(event).add(cb); }
  off(event, cb) { if (!event) this.listeners.clear(); else if (!cb) this.listeners.delete(event); else this.listeners.get(event)?.delete(cb); }
  emit(event, ...args) { for (const cb of [...(this.listeners.get(event) || [])]) cb(...args); }
}
async function swRenderStatic(state, el) {
  const style = document.createElement("style");
  style.textContent = state._css || "";
  document.head.append(style);
  const url = URL.createObjectURL(new Blob([state._esm], { type: "text/javascript" }));
  const mod = await import(url);
  const widget = mod.default ?? mod;
  const model = new StaticModel(state);
  if (widget.initialize) await widget.initialize({ model });
  await widget.render({ model, el });
  el.dataset.rendered = "true";
}
"""

_RUNTIME = (
    _MODEL_JS
    + """
const items = JSON.parse(document.getElementById("sw-export-data").textContent);
for (const [i, item] of items.entries()) {
  const state = item.state;
  item.buffer_paths.forEach((path, k) => {
    let obj = state;
    for (const key of path.slice(0, -1)) obj = obj[key];
    obj[path[path.length - 1]] = b64(item.buffers[k]);
  });
  await swRenderStatic(state, document.getElementById(`sw-export-${i}`));
}
document.body.dataset.rendered = "true";
"""
)

# For pages written by nbconvert / embed_minimal_html: their widget-state + widget-view scripts.
_NOTEBOOK_RUNTIME = (
    _MODEL_JS
    + """
const stateEl = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
const models = stateEl ? JSON.parse(stateEl.textContent).state : {};
for (const view of document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')) {
  const entry = models[JSON.parse(view.textContent).model_id];
  if (!entry || typeof entry.state._esm !== "string") continue;  // only anywidgets carry their module
  const state = entry.state;
  for (const b of entry.buffers || []) {
    let obj = state;
    for (const key of b.path.slice(0, -1)) obj = obj[key];
    obj[b.path[b.path.length - 1]] = b64(b.data);
  }
  const el = document.createElement("div");
  el.className = "sw-export-item";
  view.after(el);
  await swRenderStatic(state, el);
}
document.body.dataset.rendered = "true";
"""
)


def _encode(widget: Any) -> dict[str, Any]:
    state = widget.get_state()
    clean, paths, buffers = _remove_buffers(state)
    return {
        "state": clean,
        "buffer_paths": [list(p) for p in paths],
        "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in buffers],
    }


def export_html(widgets: Any, path: str | Path, *, title: str = "spurwidgets", width: int = 900) -> Path:
    """Write `widgets` (one anywidget or a sequence) to `path` as a self-contained HTML page.

    The page works from a file:// URL with no network: nothing is fetched. Returns the path.
    """
    items: Sequence[Any] = widgets if isinstance(widgets, (list, tuple)) else [widgets]
    if not items:
        raise ValueError("widgets must be an anywidget or a non-empty list of them; got an empty sequence")
    for i, widget in enumerate(items):
        if not hasattr(widget, "get_state") or "_esm" not in getattr(widget, "keys", []):
            raise TypeError(f"widgets[{i}] must be an anywidget (with an _esm module); got {type(widget).__name__}")
        if not isinstance(widget.get_state(["_esm"])["_esm"], str):
            raise TypeError(f"widgets[{i}] must carry its module as inline source (a str _esm)")
    data = json.dumps([_encode(w) for w in items]).replace("</", "<\\/")
    divs = "\n".join(f'<div class="sw-export-item" id="sw-export-{i}"></div>' for i in range(len(items)))
    page = _PAGE.format(title=html.escape(title), width=int(width), divs=divs, data=data, runtime=_RUNTIME)
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_REMOTE = re.compile(
    r"""(src\s*=\s*["']?https?://)|(["'`]https?://(unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com)/)"""
)


def offline_html(source: str | Path, out: str | Path | None = None) -> Path:
    """Make a page from `jupyter nbconvert --to html` or `embed_minimal_html` work offline.

    Such a page renders its widgets with require.js and the ipywidgets html-manager from a
    CDN. This drops every script that loads from a CDN and adds a small inline renderer that
    draws each anywidget (all spurwidgets widgets) from the page's saved widget state.
    Widgets that are not anywidgets (ipywidgets' own sliders...) are not drawn offline.
    Writes `out` (default: overwrite `source`) and returns its path.
    """
    source = Path(source)
    text = source.read_text(encoding="utf-8")
    if "application/vnd.jupyter.widget-state+json" not in text:
        raise ValueError(
            f"source must be an HTML page with saved widget state (nbconvert of a notebook saved with "
            f"widget state, or embed_minimal_html); {str(source)!r} has none"
        )
    state_json = re.search(r"widget-state\+json\"?>(.*?)</script>", text, re.DOTALL)
    models = json.loads(state_json.group(1)).get("state", {}) if state_json else {}
    bare = [k for k, m in models.items() if m.get("model_name") == "AnyModel" and "_esm" not in m.get("state", {})]
    if bare:
        raise ValueError(
            f"source has {len(bare)} anywidget(s) saved without their module (_esm), so they cannot be drawn "
            "offline; embed_minimal_html drops it by default: call it with drop_defaults=False"
        )
    kept = _SCRIPT.sub(lambda m: "" if _REMOTE.search(m.group(1)) or _REMOTE.search(m.group(2)) else m.group(0), text)
    runtime = f'<script type="module">\n{_NOTEBOOK_RUNTIME}\n</script>\n'
    index = kept.lower().rfind("</body>")
    page = kept[:index] + runtime + kept[index:] if index >= 0 else kept + runtime
    target = Path(out) if out is not None else source
    target.write_text(page, encoding="utf-8")
    return target
