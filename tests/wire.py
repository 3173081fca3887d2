"""Test helpers for the widget wire format (not needed by the package itself)."""

from __future__ import annotations

from typing import Any

import numpy as np


def binary_to_array(value: dict[str, Any]) -> np.ndarray:
    """Inverse of `spurwidgets.widgets._base.array_to_binary` (bytes, bytearray or memoryview buffers)."""
    buffer = value["buffer"]
    return np.frombuffer(bytes(buffer), dtype=np.dtype(value["dtype"]).newbyteorder("<")).reshape(value["shape"])
