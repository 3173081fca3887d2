"""Core/spurious annotations as a CSV table (for a spreadsheet, a paper's appendix, pandas).

`annotations_to_csv(store_or_path, csv_path)` writes one row per annotated (class, feature),
sorted by class then feature::

    class,class_name,feature,label
    0,red,3,core
    0,red,7,spurious

`class_name` is present when `class_names` are given; `importance` (the ranker's mean
activation x head weight) when a fitted `ranker` is given. The source is an `AnnotationStore`
or the path of its JSON file (read and validated like the store does).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .annotations import AnnotationFileError, AnnotationStore


def _open_store(store_or_path: Any) -> AnnotationStore:
    if isinstance(store_or_path, AnnotationStore):
        return store_or_path
    if not isinstance(store_or_path, (str, os.PathLike)):
        raise TypeError(
            f"store_or_path must be an AnnotationStore or the path of its JSON file; got {type(store_or_path).__name__}"
        )
    path = Path(store_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"annotations file {path} does not exist")
    try:
        header = json.loads(path.read_text(encoding="utf-8"))
        n_classes, n_features = int(header["n_classes"]), int(header["n_features"])
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise AnnotationFileError(
            f"annotations file {path} has no readable n_classes/n_features header ({exc!r})"
        ) from exc
    return AnnotationStore(path, n_classes=n_classes, n_features=n_features)


def annotation_rows(
    store_or_path: Any, *, class_names: Sequence[str] | None = None, ranker: Any = None
) -> list[dict[str, Any]]:
    """The CSV's rows as dicts (class, [class_name], feature, label, [importance]), sorted."""
    store = _open_store(store_or_path)
    if class_names is not None and len(class_names) < store.n_classes:
        raise ValueError(f"class_names has {len(class_names)} names but the store has {store.n_classes} classes")
    if ranker is not None:
        ranker._check_fitted()
        if tuple(ranker.importance_.shape) != (store.n_classes, store.n_features):
            raise ValueError(
                f"ranker has {ranker.importance_.shape[0]} classes x {ranker.importance_.shape[1]} features but "
                f"the store is sized {store.n_classes} x {store.n_features}"
            )
    rows = []
    for cls, features in sorted(store.to_dict().items()):
        for feature, label in sorted(features.items()):
            row: dict[str, Any] = {"class": cls}
            if class_names is not None:
                row["class_name"] = str(class_names[cls])
            row.update(feature=feature, label=label)
            if ranker is not None:
                row["importance"] = float(ranker.importance_[cls, feature])
            rows.append(row)
    return rows


def annotations_to_csv(
    store_or_path: Any,
    csv_path: str | os.PathLike,
    *,
    class_names: Sequence[str] | None = None,
    ranker: Any = None,
) -> Path:
    """Write the annotations as CSV (see the module doc); returns the CSV path."""
    rows = annotation_rows(store_or_path, class_names=class_names, ranker=ranker)
    columns = ["class"] + (["class_name"] if class_names is not None else []) + ["feature", "label"]
    columns += ["importance"] if ranker is not None else []
    out = Path(csv_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return out
