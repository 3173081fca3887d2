"""Feature sets on disk: shard files and a manifest in a folder, resumable, reopened memory-mapped.

Layout of an `out` folder::

    manifest.json       format, version, model and inputs fingerprints, N, D, C, shard row ranges,
                        `complete` once the consolidated arrays below are written
    shards/000007.npz   rows [start, stop) of shard 7: features (rows, D) float32, logits (rows, C)
                        float32, labels (rows,) int64 when the images carry labels. Written to a
                        temporary name, then renamed: a shard file that exists is complete.
    features.npy        (N, D) float32, logits.npy (N, C) float32, labels.npy (N,) int64: the shards
                        consolidated in input order at the end (temporary name, then renamed).
                        `FeatureSet.open(folder)` memory-maps them.

A rerun on the same folder computes only the shards whose file is missing; the shards are the
resume log and may be deleted (`shards/` entirely) once `complete` to reclaim disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import types
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from .extract import FeatureSet, extract
from .imageset import ImageSet
from .progress import progress_bar

FORMAT = "spurwidgets.features"
VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = ("features", "logits", "labels")
FULL_HASH_BYTES = 256 * 2**20

ShardResult = dict[str, np.ndarray | None]
Computer = Callable[[list[tuple[int, int, int]]], Iterator[tuple[int, ShardResult]]]


def _update_with_tensor(h: Any, tensor: torch.Tensor) -> None:
    tensor = tensor.detach().cpu().contiguous().reshape(-1)
    h.update(f"{tuple(tensor.shape)}{tensor.dtype}".encode())
    h.update(memoryview(tensor.view(torch.uint8).numpy()))  # type: ignore[arg-type]


def model_fingerprint(model: nn.Module) -> str:
    """sha256 of the model's class name and every state_dict tensor (name, shape, dtype, bytes)."""
    h = hashlib.sha256(f"{type(model).__module__}.{type(model).__qualname__}".encode())
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        _update_with_tensor(h, tensor)
    return h.hexdigest()[:20]


def preprocessing_fingerprint(step: Any) -> str | None:
    """A description of a transform or processor that is the same in every process for the same
    settings: a Hugging Face processor's config (`to_dict()`), a function's qualified name, else
    its repr without memory addresses (a resume in a new session must match its first run)."""
    if step is None:
        return None
    if callable(getattr(step, "to_dict", None)):
        config = json.dumps(step.to_dict(), sort_keys=True, default=str)
        return f"{type(step).__qualname__} {hashlib.sha256(config.encode()).hexdigest()[:20]}"
    if isinstance(step, types.FunctionType):  # the code itself, so two different lambdas differ
        code = step.__code__.co_code + repr(step.__code__.co_consts).encode()
        return f"{step.__module__}.{step.__qualname__} {hashlib.sha256(code).hexdigest()[:12]}"
    if isinstance(step, types.BuiltinFunctionType):
        return f"{step.__module__}.{step.__qualname__}"
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(step))


def inputs_fingerprint(payload: Any, labels: np.ndarray | None) -> str:
    """Identity of the images: every byte of an array (up to 256 MB, else 4096 evenly spaced rows);
    the paths of an `ImageFiles`; the class, length and 3 items of another Dataset."""
    h = hashlib.sha256(type(payload).__qualname__.encode())
    if isinstance(payload, (np.ndarray, torch.Tensor)):
        rows = payload
        if payload.nbytes > FULL_HASH_BYTES:  # e.g. a 180 GB memmap: 4096 evenly spaced rows, not every byte
            rows = payload[np.linspace(0, len(payload) - 1, 4096).astype(np.int64)]
            h.update(f"{tuple(payload.shape)}".encode())
        if isinstance(rows, np.ndarray):
            rows = torch.from_numpy(np.ascontiguousarray(rows))
        _update_with_tensor(h, rows)
    elif hasattr(payload, "paths"):
        h.update("\n".join(payload.paths).encode())
        h.update(str(getattr(payload, "size", None)).encode())
        if getattr(payload, "labels", None) is not None:
            h.update(np.ascontiguousarray(payload.labels, dtype=np.int64).tobytes())
    else:
        n = len(payload)
        h.update(str(n).encode())
        for i in sorted({0, n // 2, n - 1}):
            item = payload[i]
            for part in item if isinstance(item, (tuple, list)) else (item,):
                _update_with_tensor(h, torch.as_tensor(np.asarray(part)))
    if labels is not None:
        h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return h.hexdigest()[:20]


def split_payload(images: Any) -> tuple[Any, np.ndarray | None]:
    """What workers index into (an array or a map-style Dataset) and labels known up front (ImageSet)."""
    if isinstance(images, ImageSet):
        return images.images, np.asarray(images.labels, dtype=np.int64)
    if isinstance(images, DataLoader):
        return images.dataset, None
    return images, None


def shard_part(payload: Any, start: int, stop: int) -> Any:
    """Rows [start, stop) of an array or a Dataset, in the same form."""
    if isinstance(payload, (np.ndarray, torch.Tensor)):
        return payload[start:stop]
    if isinstance(payload, Dataset):
        return Subset(payload, range(start, stop))
    raise TypeError(
        f"images must be an array or a map-style Dataset for sharded extraction; got {type(payload).__name__}"
    )


def default_shard_size(n: int, batch_size: int, workers: int) -> int:
    """A multiple of batch_size (batches stay those of the local path), ~8 shards per worker, <= 64 batches."""
    batches = max(1, min(64, n // (batch_size * 8 * max(1, workers))))
    return batch_size * batches


def _atomic_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def read_manifest(folder: Path) -> dict | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path} is not a spurwidgets feature manifest (format {manifest.get('format')!r})")
    return manifest


def shard_path(folder: Path, k: int) -> Path:
    return folder / "shards" / f"{k:06d}.npz"


def write_shard(folder: Path, k: int, part: ShardResult) -> None:
    path = shard_path(folder, k)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    arrays = {name: value for name, value in part.items() if value is not None}
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def _clear(folder: Path) -> None:
    """Remove what a previous run wrote (only our own files)."""
    shutil.rmtree(folder / "shards", ignore_errors=True)
    for name in (MANIFEST, *(f"{a}.npy" for a in ARRAYS)):
        (folder / name).unlink(missing_ok=True)


def _consolidate(folder: Path, manifest: dict) -> None:
    """Copy the shards in order into features.npy / logits.npy (/ labels.npy), each via a temp file."""
    n, ranges = manifest["n"], manifest["shards"]
    shapes = {"features": (n, manifest["d"]), "logits": (n, manifest["c"]), "labels": (n,)}
    names = ARRAYS if manifest["labels"] else ARRAYS[:2]
    targets, temps = {}, {}
    for name in names:
        temps[name] = folder / f".{name}.tmp.npy"
        dtype = np.int64 if name == "labels" else np.float32
        targets[name] = np.lib.format.open_memmap(temps[name], mode="w+", dtype=dtype, shape=shapes[name])
    for k, (start, stop) in enumerate(ranges):
        with np.load(shard_path(folder, k)) as shard:
            for name in names:
                targets[name][start:stop] = shard[name]
    for name in names:
        targets[name].flush()
        del targets[name]
        os.replace(temps[name], folder / f"{name}.npy")


def open_feature_set(folder: str | Path) -> Any:
    """`FeatureSet` with features/logits memory-mapped read-only from a finished `out` folder."""
    path = Path(folder)
    manifest = read_manifest(path) if path.is_dir() else None
    if manifest is None:
        raise ValueError(f"folder must be an extract(out=...) result folder with {MANIFEST}; got {str(folder)!r}")
    if not manifest.get("complete"):
        raise ValueError(
            f"{str(folder)!r} holds an unfinished extraction; run extract(..., out={str(folder)!r}) again to resume it"
        )
    features = np.load(path / "features.npy", mmap_mode="r")
    logits = np.load(path / "logits.npy", mmap_mode="r")
    labels = np.load(path / "labels.npy", mmap_mode="r") if manifest["labels"] else None
    return FeatureSet(features=features, logits=logits, labels=labels)


def _mismatch(manifest: dict, want: dict) -> str | None:
    if manifest.get("version") != VERSION:
        return f"format version {manifest.get('version')} (this spurwidgets writes {VERSION})"
    for key, what in (("model", "model"), ("inputs", "images"), ("n", "number of images"), ("layer", "layer")):
        if manifest.get(key) != want[key]:
            return f"another {what} ({key} {manifest.get(key)!r}, this run {want[key]!r})"
    for key in ("transform", "processor"):
        if manifest.get(key) != want[key]:
            return f"another {key} ({manifest.get(key)!r}, this run {want[key]!r})"
    return None


def run_sharded(
    folder: str | Path,
    *,
    model: nn.Module,
    payload: Any,
    labels: np.ndarray | None,
    layer: str | None,
    transform: Any,
    shard_size: int,
    overwrite: bool,
    compute: Computer,
    processor: Any = None,
    progress: bool = False,
) -> Any:
    """Fill `folder` with the shards `compute` yields (only the missing ones), consolidate, reopen."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"out must be a folder for sharded extraction (or a .npy file path); {str(folder)!r} is a file"
        )
    (folder / "shards").mkdir(parents=True, exist_ok=True)
    n = len(payload)
    want = {
        "format": FORMAT,
        "version": VERSION,
        "model": model_fingerprint(model),
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "inputs": inputs_fingerprint(payload, labels),
        "n": n,
        "layer": layer,
        "transform": preprocessing_fingerprint(transform),
        "processor": preprocessing_fingerprint(processor),
    }
    manifest = None if overwrite else read_manifest(folder)
    if manifest is not None:
        reason = _mismatch(manifest, want)
        if reason is not None:
            raise ValueError(
                f"out={str(folder)!r} holds features of {reason}; pass overwrite=True to replace them "
                "or choose another out folder"
            )
    else:
        _clear(folder)
        (folder / "shards").mkdir(parents=True, exist_ok=True)
        ranges = [[s, min(s + shard_size, n)] for s in range(0, n, shard_size)]
        manifest = {**want, "shard_size": shard_size, "shards": ranges, "d": None, "c": None, "labels": None}
        manifest["complete"] = False
        _atomic_json(folder / MANIFEST, manifest)
    ranges = manifest["shards"]
    missing = [(k, s, e) for k, (s, e) in enumerate(ranges) if not shard_path(folder, k).exists()]
    consolidated = all((folder / f"{a}.npy").exists() for a in ARRAYS[:2])
    if manifest["complete"] and consolidated and (len(missing) == len(ranges) or not missing):
        return open_feature_set(folder)  # finished (its shards possibly deleted to save disk)
    bar = None
    if progress:
        bar = progress_bar(total=len(ranges), initial=len(ranges) - len(missing), desc="extract shards", unit="shard")
    try:
        for k, part in compute(missing) if missing else ():
            if labels is not None:
                start, stop = ranges[k]
                part["labels"] = labels[start:stop]
            if manifest["d"] is None:
                manifest.update(d=int(part["features"].shape[1]), c=int(part["logits"].shape[1]))  # type: ignore[union-attr]
                manifest["labels"] = part.get("labels") is not None
                _atomic_json(folder / MANIFEST, manifest)
            write_shard(folder, k, part)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    _consolidate(folder, manifest)
    manifest["complete"] = True
    _atomic_json(folder / MANIFEST, manifest)
    return open_feature_set(folder)


def compute_locally(
    model: nn.Module, payload: Any, options: dict[str, Any]
) -> Callable[[list[tuple[int, int, int]]], Iterable[tuple[int, ShardResult]]]:
    """The in-process executor: the local `extract` on each missing shard, one after another."""

    def run(missing: list[tuple[int, int, int]]) -> Iterator[tuple[int, ShardResult]]:
        for k, start, stop in missing:
            yield k, extract_part(model, payload, start, stop, options)

    return run


def extract_part(model: nn.Module, payload: Any, start: int, stop: int, options: dict[str, Any]) -> ShardResult:
    fs = extract(model, shard_part(payload, start, stop), **options)
    return {"features": np.asarray(fs.features), "logits": fs.logits, "labels": fs.labels}
