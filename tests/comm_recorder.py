"""Measure what widgets send from the kernel to the browser, message by message.

`CommRecorder(curve=w1, gallery=w2)` wraps each widget's comm `send` (the one door every
kernel -> browser widget message goes through: state updates, echoes and custom messages)
and records `(widget name, JSON bytes of the message data, bytes of its binary buffers,
state keys)`. With `path=`, the records are also written to that JSON file after every
message, so a test driving a real kernel (Voila, JupyterLab) can read them from outside.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class CommRecorder:
    def __init__(self, path: str | Path | None = None, **widgets: Any) -> None:
        self.path = None if path is None else Path(path)
        self.records: list[dict[str, Any]] = []
        for name, widget in widgets.items():
            self._wrap(name, widget)
        self._write()

    def _wrap(self, name: str, widget: Any) -> None:
        send = widget.comm.send

        def recording_send(data: Any = None, metadata: Any = None, buffers: Any = None) -> Any:
            data = data or {}
            self.records.append(
                {
                    "widget": name,
                    "json": len(json.dumps(data, default=str)),
                    "binary": sum(memoryview(b).nbytes for b in (buffers or [])),
                    "keys": sorted((data.get("state") or {}).keys()),
                    "method": data.get("method", ""),
                }
            )
            self._write()
            return send(data=data, metadata=metadata, buffers=buffers)

        widget.comm.send = recording_send

    def _write(self) -> None:
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.records))
            os.replace(tmp, self.path)

    def clear(self) -> None:
        self.records.clear()
        self._write()

    def total(self, widget: str | None = None) -> int:
        """Bytes (JSON + binary) sent so far, by one widget or by all."""
        return sum(r["json"] + r["binary"] for r in self.records if widget in (None, r["widget"]))
