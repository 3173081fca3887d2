"""Annotations -> CSV: exact rows, optional class names and importance, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.annotation_export import annotations_to_csv
from spurwidgets.compute.annotations import AnnotationFileError, AnnotationStore


class FittedRanker:
    """Just what the export reads from a SpuriosityRanker."""

    importance_ = np.arange(8, dtype=float).reshape(2, 4) / 10

    def _check_fitted(self) -> None:
        pass


@pytest.fixture()
def store(tmp_path) -> AnnotationStore:
    store = AnnotationStore(tmp_path / "notes.json", n_classes=2, n_features=4)
    store.update({1: {3: "spurious", 0: "core"}, 0: {2: "spurious"}})
    return store


def test_csv_has_one_sorted_row_per_annotation(store, tmp_path):
    path = annotations_to_csv(store, tmp_path / "out" / "notes.csv")
    assert path == tmp_path / "out" / "notes.csv"
    assert path.read_text().splitlines() == ["class,feature,label", "0,2,spurious", "1,0,core", "1,3,spurious"]


def test_csv_from_the_json_file_with_class_names_and_importance(store, tmp_path):
    path = annotations_to_csv(
        tmp_path / "notes.json", tmp_path / "n.csv", class_names=["red", "blue"], ranker=FittedRanker()
    )
    assert path.read_text().splitlines() == [
        "class,class_name,feature,label,importance",
        "0,red,2,spurious,0.2",
        "1,blue,0,core,0.4",
        "1,blue,3,spurious,0.7",
    ]


def test_empty_store_gives_just_the_header(tmp_path):
    empty = AnnotationStore(None, n_classes=2, n_features=4)
    assert annotations_to_csv(empty, tmp_path / "e.csv").read_text().splitlines() == ["class,feature,label"]


def test_csv_export_refuses_bad_sources(store, tmp_path):
    with pytest.raises(
        TypeError, match="store_or_path must be an AnnotationStore or the path of its JSON file; got int"
    ):
        annotations_to_csv(3, tmp_path / "x.csv")
    with pytest.raises(FileNotFoundError, match="missing.json does not exist"):
        annotations_to_csv(tmp_path / "missing.json", tmp_path / "x.csv")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(AnnotationFileError, match="has no readable n_classes/n_features header"):
        annotations_to_csv(tmp_path / "bad.json", tmp_path / "x.csv")
    with pytest.raises(ValueError, match=r"^class_names has 1 names but the store has 2 classes$"):
        annotations_to_csv(store, tmp_path / "x.csv", class_names=["red"])
    assert not (tmp_path / "x.csv").exists()


def test_a_ranker_of_another_shape_is_refused_with_both_shapes(store, tmp_path):
    class OtherShape(FittedRanker):
        importance_ = np.zeros((3, 5))

    with pytest.raises(ValueError, match=r"^ranker has 3 classes x 5 features but the store is sized 2 x 4$"):
        annotations_to_csv(store, tmp_path / "x.csv", ranker=OtherShape())


def test_missing_parent_folders_are_created(store, tmp_path):
    path = annotations_to_csv(store, tmp_path / "a" / "b" / "notes.csv")
    assert path.read_text().splitlines()[0] == "class,feature,label"
