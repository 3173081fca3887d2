"""`extract(..., backend="ray")`: the shards of an extraction computed by a Ray Data actor pool.

The pipeline: a Ray Dataset with one row per missing shard (its row range) -> `map_batches`
with `_ShardWorker`, a pool of actors that each hold the model (one GPU per actor when the
cluster has GPUs, CPU actors otherwise) and read their shard's images themselves (a slice of
the array put once in the object store, or `dataset[i]` of a Dataset shipped by reference:
an `ImageFiles` ships only paths) -> the driver receives each shard's features and logits and
writes the shard file (`feature_store`). Every actor runs the local `extract` on its shard, with
shard boundaries on batch boundaries, so results equal the local path's.

Ray is imported only here, on first use; Ray is started for the user when no cluster is
running (all local CPUs, no dashboard, no usage stats) and `RAY_ADDRESS` is honoured.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from .feature_store import ShardResult, compute_locally, default_shard_size, extract_part, run_sharded, split_payload
from .images import ImageSource
from .validation import check_positive_int


def import_ray() -> Any:
    """The `ray` module; Ray is an optional extra (spurwidgets[ray]), so it is imported only here, on use."""
    try:
        import ray
    except ImportError:
        raise ImportError("backend='ray' needs Ray: pip install 'spurwidgets[ray]' (or 'ray[data]')") from None
    return ray


def ensure_ray() -> Any:
    """Connect to the running Ray (RAY_ADDRESS or an earlier ray.init) or start a local one."""
    ray = import_ray()
    if not ray.is_initialized():
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if os.environ.get("RAY_ADDRESS"):
            ray.init(logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level=logging.WARNING)
    return ray


class _ShardWorker:
    """Ray Data actor: holds the model and the image source, computes whole shards."""

    def __init__(self, refs: list, options: dict[str, Any], threads: int | None):
        ray = import_ray()

        # Arrays from the object store are read-only views; extract only reads them.
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        self.model = ray.get(refs[0])
        self.payload = ray.get(refs[1])
        self.options = options
        if threads is not None:
            torch.set_num_threads(threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        outputs = []
        for k, start, stop in zip(batch["shard"], batch["start"], batch["stop"]):
            part = extract_part(self.model, self.payload, int(start), int(stop), self.options)
            rows = int(stop) - int(start)
            labels = part["labels"]
            outputs.append(
                {
                    "shard": np.full(rows, k, dtype=np.int64),
                    "row": np.arange(start, stop, dtype=np.int64),
                    "features": part["features"],
                    "logits": part["logits"],
                    "labels": np.full(rows, -1, dtype=np.int64) if labels is None else labels.astype(np.int64),
                    "has_labels": np.full(rows, labels is not None),
                }
            )
        return {key: np.concatenate([o[key] for o in outputs]) for key in outputs[0]}


def compute_on_ray(model: nn.Module, payload: Any, options: dict[str, Any], concurrency: int | None) -> Any:
    """Executor for `feature_store.run_sharded`: yields (shard, result) as the actor pool finishes them.

    Ray is started only when some shard is missing (a finished folder reopens without it).
    """

    def run(missing: list[tuple[int, int, int]]) -> Iterator[tuple[int, ShardResult]]:
        ray = ensure_ray()
        from ray.data import DataContext  # the optional extra, present once ensure_ray succeeded

        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        cpus = max(1, int(resources.get("CPU", 1)))
        actors = concurrency if concurrency is not None else (gpus or cpus)
        actors = min(actors, gpus) if gpus else actors  # one whole GPU per actor: more would wait forever
        per_actor = {"num_gpus": 1, "num_cpus": 1} if gpus else {"num_cpus": max(1, cpus // actors)}
        threads = None if gpus else int(per_actor["num_cpus"])
        DataContext.get_current().enable_progress_bars = False
        refs = [ray.put(model), ray.put(payload)]
        items = [{"shard": k, "start": s, "stop": e} for k, s, e in missing]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _ShardWorker,
            batch_size=1,
            concurrency=min(actors, len(items)),
            fn_constructor_kwargs={"refs": refs, "options": options, "threads": threads},
            **per_actor,
        )
        ranges = {k: (s, e) for k, s, e in missing}
        pending: dict[int, dict[str, Any]] = {}
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for k in np.unique(batch["shard"]):
                yield from _collect(pending, int(k), batch, ranges)

    return run


def extract_to_folder(
    model: nn.Module,
    images: Any,
    *,
    out: Any,
    backend: str,
    options: dict[str, Any],
    progress: bool,
    concurrency: int | None,
    shard_size: int | None,
    overwrite: bool,
) -> Any:
    """Sharded, resumable extraction into the folder `out` (see `feature_store`), on Ray or in-process."""
    if concurrency is not None:
        concurrency = check_positive_int(concurrency, "concurrency")
    n = len(ImageSource(images))  # validates the form once, on the driver
    payload, labels = split_payload(images)
    batch_size = options["batch_size"]
    if shard_size is None:
        shard_size = default_shard_size(n, batch_size, concurrency or (os.cpu_count() or 1 if backend == "ray" else 1))
    else:
        shard_size = check_positive_int(shard_size, "shard_size")
        if shard_size % batch_size:
            raise ValueError(
                f"shard_size must be a multiple of batch_size ({batch_size}) so that batches match the local "
                f"path; got {shard_size}"
            )
    if backend == "ray":
        compute = compute_on_ray(model, payload, options, concurrency)
    else:
        compute = compute_locally(model, payload, options)
    return run_sharded(
        out,
        model=model,
        payload=payload,
        labels=labels,
        layer=options["layer"],
        transform=options["transform"],
        processor=options["processor"],
        shard_size=shard_size,
        overwrite=overwrite,
        compute=compute,
        progress=progress,
    )


def _collect(
    pending: dict[int, dict[str, Any]], k: int, batch: dict[str, np.ndarray], ranges: dict[int, tuple[int, int]]
) -> Iterator[tuple[int, ShardResult]]:
    """Place shard k's rows of an output batch; yield the shard once all its rows arrived."""
    start, stop = ranges[k]
    mask = batch["shard"] == k
    rows = batch["row"][mask] - start
    if k not in pending:
        d, c = batch["features"].shape[1], batch["logits"].shape[1]
        pending[k] = {
            "features": np.empty((stop - start, d), np.float32),
            "logits": np.empty((stop - start, c), np.float32),
            "labels": np.empty(stop - start, np.int64),
            "has_labels": bool(batch["has_labels"][mask][0]),
            "filled": 0,
        }
    part = pending[k]
    for name in ("features", "logits", "labels"):
        part[name][rows] = batch[name][mask]
    part["filled"] += len(rows)
    if part["filled"] == stop - start:
        del pending[k]
        yield (
            k,
            {
                "features": part["features"],
                "logits": part["logits"],
                "labels": part["labels"] if part["has_labels"] else None,
            },
        )
