"""An annotations file without an 'annotations' object is refused naming what was expected
(a mutation survivor in compute/annotations.py)."""

from __future__ import annotations

import json

import pytest

from spurwidgets.compute.annotations import AnnotationFileError, AnnotationStore


def test_a_file_without_an_annotations_object_names_what_is_expected(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"n_classes": 2, "n_features": 3, "labels": {}}))
    with pytest.raises(AnnotationFileError) as info:
        AnnotationStore(path, n_classes=2, n_features=3)
    assert f"annotations file {path} cannot be used (expected an object with an 'annotations' object inside);" in str(
        info.value
    )


def test_the_file_records_format_version_1_and_the_shape(tmp_path):
    path = tmp_path / "notes.json"
    AnnotationStore(path, n_classes=2, n_features=3).set(0, 1, "spurious")
    payload = json.loads(path.read_text())
    assert payload["version"] == 1
    assert (payload["n_classes"], payload["n_features"]) == (2, 3)


def test_a_temporary_file_that_cannot_be_created_gives_the_clear_error(tmp_path, monkeypatch):
    import os

    import spurwidgets.compute.annotations as annotations

    path = tmp_path / "notes.json"
    store = AnnotationStore(path, n_classes=2, n_features=3)
    real_open = os.open

    def refuse_temporaries(file, *args, **kwargs):
        if str(file).endswith(".tmp"):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(annotations.os, "open", refuse_temporaries)
    with pytest.raises(
        PermissionError,
        match=rf"^annotations file {path} cannot be written \({tmp_path}: Permission denied\); the change was not "
        r"applied\. Make the file and its folder writable, or pass another path\.$",
    ):
        store.set(0, 1, "core")


def test_an_interrupt_before_the_temporary_file_exists_propagates_unchanged(tmp_path, monkeypatch):
    import os

    import spurwidgets.compute.annotations as annotations

    store = AnnotationStore(tmp_path / "notes.json", n_classes=2, n_features=3)
    real_open = os.open

    def interrupted(file, *args, **kwargs):
        if str(file).endswith(".tmp"):
            raise KeyboardInterrupt
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(annotations.os, "open", interrupted)
    with pytest.raises(KeyboardInterrupt):  # not a FileNotFoundError from cleaning up a missing file
        store.set(0, 1, "core")
