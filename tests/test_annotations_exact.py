"""AnnotationStore messages and repr pinned exactly."""

from __future__ import annotations

import json
import os
import re

import pytest

from spurwidgets.compute.annotations import AnnotationFileError, AnnotationStore


def test_a_class_entry_that_is_no_object_is_named_in_the_error(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"annotations": {"0": [1]}}))
    with pytest.raises(AnnotationFileError) as info:
        AnnotationStore(path, n_classes=2, n_features=3)
    text = str(info.value)
    assert text.startswith(
        f"annotations file {path} cannot be used (annotations of class '0' must be an object {{feature: label}}); "
        "it was left untouched and a copy was saved to "
    )


def test_repr_counts_annotations_and_says_where(tmp_path):
    store = AnnotationStore(None, n_classes=2, n_features=3)
    store.set(0, 1, "core")
    store.set(1, 2, "spurious")
    assert repr(store) == "AnnotationStore(2 annotations, in memory)"
    on_disk = AnnotationStore(tmp_path / "n.json", n_classes=2, n_features=3)
    assert repr(on_disk) == f"AnnotationStore(0 annotations, {tmp_path / 'n.json'})"


def test_read_only_file_message_is_exact(tmp_path):
    path = tmp_path / "notes.json"
    store = AnnotationStore(path, n_classes=1, n_features=3)
    store.set(0, 0, "core")
    os.chmod(path, 0o444)
    message = (
        f"annotations file {path} cannot be written ({path}: read-only); the change was not applied. "
        "Make the file and its folder writable, or pass another path."
    )
    try:
        with pytest.raises(PermissionError, match=f"^{re.escape(message)}$"):
            store.set(0, 1, "spurious")
    finally:
        os.chmod(path, 0o644)
