"""Fast-tier browser harness: render any anywidget in Chromium with a mock `model`.

Usage in a test (any widget of this package, or any anywidget):

    @pytest.mark.browser
    def test_something(widget_page):
        w = LogitCurve(logits, labels=labels, window=(-1, 1))
        wp = widget_page(w)                 # opens harness page, renders w's real _esm/_css
        wp.page.mouse...                    # drive it with Playwright
        wp.saved()                          # list of dicts, one per model.save_changes()
        wp.last_saved("window")             # latest value the JS saved for a trait
        wp.sync()                           # apply saved values to the Python widget (its
                                            # observers run, e.g. selection), then push every
                                            # trait Python changed back to the page, like a comm
        wp.push("thumbnails")               # send the Python widget's current trait value(s)
        wp.get("page")                      # model.get(...) in the page (JSON-able form)
        wp.sent()                           # contents of model.send(...) calls
        wp.deliver()                        # Python's custom messages (widget.send) -> page;
                                            # sync() and push() deliver them too
        wp.screenshot("name.png")           # into artifacts_dir; returns the Path
        assert wp.errors == []              # console errors and uncaught page errors

`widget_page(w, theme="dark", width=900)` renders with JupyterLab dark CSS variables.
How it works: a session HTTP server on 127.0.0.1 serves `harness/index.html` + `harness.js`,
and per opened widget `/w/<id>/widget.js` (the widget's `_esm`) and `/w/<id>/state.json`
(its `get_state()`, with binary buffers base64-encoded and restored in the page as DataViews,
exactly where ipywidgets would put them). The mock model's `set` fires `change:<name>`
listeners synchronously, as anywidget does.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).resolve().parent / "harness"


def encode_state(state: dict[str, Any]) -> dict[str, Any]:
    """Widget state -> JSON-able {state, buffer_paths, buffers (base64)}."""
    from ipywidgets.widgets.widget import _remove_buffers

    clean, paths, buffers = _remove_buffers(state)
    return {
        "state": clean,
        "buffer_paths": [list(p) for p in paths],
        "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in buffers],
    }


class _Server:
    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                path = self.path.split("?", 1)[0]
                if path.startswith("/w/") and path in server.files:
                    ctype, body = server.files[path]
                elif (HARNESS / path.lstrip("/")).is_file() and ".." not in path:
                    file = HARNESS / path.lstrip("/")
                    ctype = "text/javascript" if file.suffix == ".js" else "text/html"
                    body = file.read_bytes()
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def harness_server() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.close()


class WidgetPage:
    """A widget rendered in the harness page; see the module docstring."""

    def __init__(self, page: Any, widget: Any, artifacts_dir: Path) -> None:
        self.page = page
        self.widget = widget
        self.artifacts_dir = artifacts_dir
        self.errors: list[str] = []
        self._synced = 0
        self._sent_seen = 0
        self._custom: list[tuple[Any, list[bytes]]] = []  # Python -> JS custom messages not yet delivered
        comm = getattr(widget, "comm", None)
        if comm is not None:  # record what Python sends as custom messages (ipywidgets' Widget.send)
            send = comm.send

            def recording_send(data: Any = None, metadata: Any = None, buffers: Any = None) -> Any:
                if isinstance(data, dict) and data.get("method") == "custom":
                    self._custom.append((data.get("content"), [bytes(b) for b in (buffers or [])]))
                return send(data=data, metadata=metadata, buffers=buffers)

            if hasattr(send, "__wrapped_widget_page__"):  # a widget opened twice: one recorder
                send = send.__wrapped_widget_page__
            recording_send.__wrapped_widget_page__ = send  # type: ignore[attr-defined]
            comm.send = recording_send
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"))

    @property
    def el(self) -> Any:
        return self.page.locator("#widget")

    def saved(self) -> list[dict[str, Any]]:
        return self.page.evaluate("window.__model.saved")

    def last_saved(self, name: str) -> Any:
        values = [entry[name] for entry in self.saved() if name in entry]
        if not values:
            raise AssertionError(f"the widget never saved {name!r}; saved: {self.saved()}")
        return values[-1]

    def get(self, name: str) -> Any:
        return self.page.evaluate("(n) => JSON.parse(JSON.stringify(window.__model.get(n) ?? null))", name)

    def sent(self) -> list[Any]:
        return self.page.evaluate("window.__model.sent")

    def push(self, *names: str) -> None:
        """Send the Python widget's current values of `names` to the page (Python -> JS change),
        then the custom messages Python sent meanwhile."""
        state = self.widget.get_state(list(names))
        self.page.evaluate("(u) => window.__push(u)", encode_state(state))
        self.deliver()

    def deliver(self) -> None:
        """Deliver the custom messages Python sent (widget.send) to the page, in order."""
        pending, self._custom = self._custom, []
        for content, buffers in pending:
            encoded = [base64.b64encode(b).decode("ascii") for b in buffers]
            self.page.evaluate("([c, b]) => window.__custom(c, b)", [content, encoded])

    def sync(self) -> list[str]:
        """Apply values saved since the last sync to the Python widget, push back what changed.

        Returns the names of the traits Python changed in response.
        """
        sent = self.sent()[self._sent_seen :]  # the page's custom messages reach Python first
        self._sent_seen += len(sent)
        for content in sent:
            self.widget.comm.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})
        saved = self.saved()[self._synced :]
        self._synced += len(saved)
        before = self.widget.get_state()
        js_values: dict[str, Any] = {}
        for entry in saved:
            self.widget.set_state(entry)
            js_values.update(entry)
        after = self.widget.get_state()
        # like a comm: Python echoes what it changed, and JS-set values its validators altered
        changed = [
            name
            for name in after
            if (name in js_values and _as_json(after[name]) != js_values[name])
            or (name not in js_values and after[name] != before.get(name))
        ]
        if changed:
            self.push(*changed)
        else:
            self.deliver()
        return changed

    def send_custom(self, content: Any) -> None:
        self.page.evaluate("(c) => window.__custom(c)", content)

    def screenshot(self, name: str) -> Path:
        path = self.artifacts_dir / name
        self.el.screenshot(path=str(path))
        return path


def _as_json(value: Any) -> Any:
    """A state value as the page reports it (tuples become lists; bytes are left as they are)."""
    try:
        return json.loads(json.dumps(value))
    except TypeError:
        return value


@pytest.fixture()
def widget_page(page: Any, harness_server: _Server, artifacts_dir: Path) -> Callable[..., WidgetPage]:
    """Factory: `widget_page(widget, theme="light", width=720)` -> WidgetPage (see module doc)."""
    counter = itertools.count()

    def open_widget(widget: Any, *, theme: str = "light", width: int = 720) -> WidgetPage:
        wid = f"{id(widget):x}-{next(counter)}"
        state = widget.get_state()
        harness_server.files[f"/w/{wid}/widget.js"] = ("text/javascript", state["_esm"].encode())
        harness_server.files[f"/w/{wid}/state.json"] = ("application/json", json.dumps(encode_state(state)).encode())
        wp = WidgetPage(page, widget, artifacts_dir)
        page.set_viewport_size({"width": width + 80, "height": 900})
        page.goto(f"{harness_server.url}/index.html?id={wid}&theme={theme}&width={width}")
        try:
            page.wait_for_function("window.__ready === true", timeout=10_000)
        except Exception as exc:
            raise AssertionError(f"widget did not render in the harness page: {wp.errors}") from exc
        return wp

    return open_widget
