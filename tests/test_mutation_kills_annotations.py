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
