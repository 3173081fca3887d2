"""Core/spurious annotations of (class, feature) pairs, kept in a plain JSON file.

The file is rewritten atomically (temporary file in the same folder, fsync, rename) after
every change and read back when a store is opened, so annotations survive kernel restarts
and a crash mid-write never leaves half a file. A file that cannot be read is never
overwritten: a copy is kept next to it and the error says where.

File format (version 1)::

    {"version": 1, "n_classes": 2, "n_features": 32,
     "annotations": {"0": {"7": "spurious", "3": "core"}}}
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .validation import check_index, check_positive_int

LABELS = ("core", "spurious")
VERSION = 1


class AnnotationFileError(ValueError):
    """The annotations file exists but cannot be used (not JSON, wrong layout, unknown features)."""


class AnnotationStore:
    """Annotations {class: {feature: "core" | "spurious"}} backed by a JSON file.

    Parameters
    ----------
    path : the JSON file; created on the first change, read if it exists. None keeps the
        annotations in memory only.
    n_classes, n_features : valid ranges; annotations outside them are refused, also when
        they come from the file (so a file made for another model is not silently applied).
    """

    def __init__(self, path: str | os.PathLike | None, *, n_classes: int, n_features: int):
        self.path = None if path is None else Path(path)
        self.n_classes = check_positive_int(n_classes, "n_classes")
        self.n_features = check_positive_int(n_features, "n_features")
        self._labels: dict[int, dict[int, str]] = {}
        if self.path is not None and self.path.exists():
            self._labels = self._read()

    @classmethod
    def for_ranker(cls, ranker: Any, path: str | os.PathLike | None) -> AnnotationStore:
        """A store whose valid ranges are those of a fitted SpuriosityRanker."""
        ranker._check_fitted()
        return cls(path, n_classes=ranker.n_classes_, n_features=ranker.n_features_in_)

    # ------------------------------------------------------------------ validation
    def _check(self, cls: Any, feature: Any, label: Any = "core") -> tuple[int, int]:
        cls, feature = check_index(cls, "class", self.n_classes), check_index(feature, "feature", self.n_features)
        if label not in LABELS:
            raise ValueError(f"label must be one of {list(LABELS)}; got {label!r}")
        return cls, feature

    def _parse(self, data: Any) -> dict[int, dict[int, str]]:
        if not isinstance(data, Mapping) or not isinstance(data.get("annotations"), Mapping):
            raise ValueError("expected an object with an 'annotations' object inside")
        labels: dict[int, dict[int, str]] = {}
        for cls_key, features in data["annotations"].items():
            if not isinstance(features, Mapping):
                raise ValueError(f"annotations of class {cls_key!r} must be an object {{feature: label}}")
            for feat_key, label in features.items():
                try:
                    cls, feat = int(cls_key), int(feat_key)
                except ValueError:
                    raise ValueError(
                        f"class and feature keys must be integers; got {cls_key!r}, {feat_key!r}"
                    ) from None
                cls, feat = self._check(cls, feat, label)
                labels.setdefault(cls, {})[feat] = label
        return labels

    # ------------------------------------------------------------------ file I/O
    def _read(self) -> dict[int, dict[int, str]]:
        assert self.path is not None
        try:
            return self._parse(json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, UnicodeDecodeError) as exc:
            backup = self.path.with_name(f"{self.path.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
            shutil.copy2(self.path, backup)
            raise AnnotationFileError(
                f"annotations file {self.path} cannot be used ({exc}); it was left untouched and a copy "
                f"was saved to {backup}. Fix or delete the file, or pass another path."
            ) from exc

    def save(self) -> None:
        """Write the file atomically (no-op for an in-memory store)."""
        if self.path is None:
            return
        payload = {
            "version": VERSION,
            "n_classes": self.n_classes,
            "n_features": self.n_features,
            "annotations": {
                str(c): {str(f): lab for f, lab in sorted(fs.items())} for c, fs in sorted(self._labels.items()) if fs
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------ editing
    def set(self, cls: Any, feature: Any, label: str) -> None:
        """Mark (cls, feature) as "core" or "spurious" and save."""
        cls, feature = self._check(cls, feature, label)
        self._labels.setdefault(cls, {})[feature] = label
        self.save()

    def clear(self, cls: Any, feature: Any) -> None:
        """Remove the annotation of (cls, feature) (no error when there was none) and save."""
        cls, feature = self._check(cls, feature)
        self._labels.get(cls, {}).pop(feature, None)
        self.save()

    def update(self, annotations: Mapping[Any, Mapping[Any, str]]) -> None:
        """Set many at once from {class: {feature: label}}; all are validated before any is applied."""
        parsed = self._parse({"annotations": annotations})
        for cls, features in parsed.items():
            self._labels.setdefault(cls, {}).update(features)
        self.save()

    def replace(self, annotations: Mapping[Any, Mapping[Any, str]]) -> None:
        """Make {class: {feature: label}} the complete set (validated first; on error nothing changes)."""
        self._labels = self._parse({"annotations": annotations})
        self.save()

    def get(self, cls: Any, feature: Any) -> str | None:
        """ "core", "spurious" or None when not annotated."""
        cls, feature = self._check(cls, feature)
        return self._labels.get(cls, {}).get(feature)

    def features(self, label: str) -> dict[int, list[int]]:
        """{class: sorted features with that label} for every class (empty lists included)."""
        if label not in LABELS:
            raise ValueError(f"label must be one of {list(LABELS)}; got {label!r}")
        return {
            c: sorted(f for f, lab in self._labels.get(c, {}).items() if lab == label) for c in range(self.n_classes)
        }

    def spurious(self) -> dict[int, list[int]]:
        """{class: spurious features}: the argument `SpuriosityRanker.score(spurious=...)` expects."""
        return self.features("spurious")

    def core(self) -> dict[int, list[int]]:
        """{class: core features}."""
        return self.features("core")

    def to_dict(self) -> dict[int, dict[int, str]]:
        """A copy of all annotations."""
        return {c: dict(fs) for c, fs in self._labels.items() if fs}

    def __len__(self) -> int:
        return sum(len(fs) for fs in self._labels.values())

    def __repr__(self) -> str:
        where = "in memory" if self.path is None else str(self.path)
        return f"AnnotationStore({len(self)} annotations, {where})"
