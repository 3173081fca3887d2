"""Core/spurious annotations of (class, feature) pairs, kept in a plain JSON file.

Every change is a transaction under an exclusive lock on a sidecar file (``.<name>.lock``):
the file is re-read, the change applied, the result written to a temporary file in the same
folder, fsynced and renamed over the old one. Two stores (or two processes) on one file thus
merge their marks instead of overwriting each other's, and a crash mid-write never leaves half
a file (temporaries of killed writers are removed by the next writer). A symlinked file stays a
symlink (its target is rewritten), the file's mode is kept, and a read-only file or folder
gives a PermissionError, with the store left as it was. A file that cannot be read is never
overwritten: a copy is kept next to it and the error says where.

File format (version 1)::

    {"version": 1, "n_classes": 2, "n_features": 32,
     "annotations": {"0": {"7": "spurious", "3": "core"}}}
"""

from __future__ import annotations

import errno
import glob
import json
import os
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .validation import check_index, check_positive_int

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; writes stay atomic but are not merged
    fcntl = None  # type: ignore[assignment]

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
        if not isinstance(label, str) or label not in LABELS:
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

    def _payload(self, labels: dict[int, dict[int, str]]) -> dict[str, Any]:
        return {
            "version": VERSION,
            "n_classes": self.n_classes,
            "n_features": self.n_features,
            "annotations": {
                str(c): {str(f): lab for f, lab in sorted(fs.items())} for c, fs in sorted(labels.items()) if fs
            },
        }

    def _commit(self, change: Callable[[dict[int, dict[int, str]]], dict[int, dict[int, str]]]) -> None:
        """Apply `change` to the annotations on disk and write the result, all under the file lock.

        The file is re-read under the lock so that changes from other stores and processes on the
        same file are merged, never overwritten. The in-memory state only moves once the file is
        safely on disk: when the write fails, both stay as they were.
        """
        if self.path is None:
            self._labels = change({c: dict(fs) for c, fs in self._labels.items()})
            return
        target = Path(os.path.realpath(self.path))  # a symlink stays a symlink: its target is rewritten
        folder = target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(self.path, folder, exc) from exc
        with _locked(target, self.path):
            _remove_stale_temporaries(target)
            disk = self._read() if target.exists() else {}
            labels = change(disk)
            _write_atomically(target, self.path, json.dumps(self._payload(labels), indent=1))
        self._labels = labels

    def save(self) -> None:
        """Write the in-memory annotations, merged over the file's (no-op for an in-memory store)."""
        mine = self.to_dict()
        self._commit(lambda disk: _merged(disk, mine))

    def reload(self) -> None:
        """Read the file again (picks up marks written by other stores or processes)."""
        if self.path is not None and self.path.exists():
            self._labels = self._read()

    # ------------------------------------------------------------------ editing
    def set(self, cls: Any, feature: Any, label: str) -> None:
        """Mark (cls, feature) as "core" or "spurious" and save (merged with the file's other marks)."""
        cls, feature = self._check(cls, feature, label)
        self._commit(lambda disk: _merged(disk, {cls: {feature: label}}))

    def clear(self, cls: Any, feature: Any) -> None:
        """Remove the annotation of (cls, feature) (no error when there was none) and save."""
        cls, feature = self._check(cls, feature)

        def change(disk: dict[int, dict[int, str]]) -> dict[int, dict[int, str]]:
            disk.get(cls, {}).pop(feature, None)
            return disk

        self._commit(change)

    def update(self, annotations: Mapping[Any, Mapping[Any, str]]) -> None:
        """Set many at once from {class: {feature: label}}; all are validated before any is applied."""
        parsed = self._parse({"annotations": annotations})
        self._commit(lambda disk: _merged(disk, parsed))

    def replace(self, annotations: Mapping[Any, Mapping[Any, str]]) -> None:
        """Make {class: {feature: label}} the complete set (validated first; on error nothing changes)."""
        parsed = self._parse({"annotations": annotations})
        self._commit(lambda disk: parsed)

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


# ---------------------------------------------------------------------- file helpers
def _merged(base: dict[int, dict[int, str]], changes: Mapping[int, Mapping[int, str]]) -> dict[int, dict[int, str]]:
    for cls, features in changes.items():
        base.setdefault(cls, {}).update(features)
    return base


def _write_error(path: Path, where: Path, exc: OSError) -> PermissionError:
    reason = exc.strerror or str(exc)
    return PermissionError(
        f"annotations file {path} cannot be written ({where}: {reason}); the change was not applied. "
        "Make the file and its folder writable, or pass another path."
    )


def _is_writable(path: Path) -> bool:
    """Writable for this user and not protected with chmod a-w (which root would otherwise ignore)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


@contextmanager
def _locked(target: Path, shown: Path) -> Iterator[None]:
    """An exclusive flock on the sidecar `.<name>.lock` next to the target (never deleted)."""
    lock = target.with_name(f".{target.name}.lock")
    for where in (target.parent, target):
        if where.exists() and not _is_writable(where):
            raise _write_error(shown, where, PermissionError(errno.EACCES, "read-only"))
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise _write_error(shown, lock, exc) from exc
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_stale_temporaries(target: Path) -> None:
    """Temporary files of writers killed mid-write (safe: every writer holds the lock)."""
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        stale.unlink(missing_ok=True)


def _write_atomically(target: Path, shown: Path, text: str) -> None:
    """Temporary file in the same folder, same mode as the old file, fsync, rename, fsync the folder."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 minus umask, like open()
        try:
            if target.exists():
                os.fchmod(fd, stat.S_IMODE(target.stat().st_mode))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                fd = -1
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            if fd >= 0:
                os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _write_error(shown, target.parent, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
