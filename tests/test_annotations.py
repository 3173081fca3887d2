"""AnnotationStore: atomic JSON file, reload, validation, corrupted files kept."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spurwidgets import SpuriosityRanker
from spurwidgets.compute.annotations import AnnotationFileError, AnnotationStore


def test_every_change_is_written_and_reloaded(tmp_path):
    path = tmp_path / "notes.json"
    store = AnnotationStore(path, n_classes=2, n_features=4)
    store.set(0, 3, "spurious")
    store.set(1, 0, "core")
    on_disk = json.loads(path.read_text())
    assert on_disk["annotations"] == {"0": {"3": "spurious"}, "1": {"0": "core"}}
    reopened = AnnotationStore(path, n_classes=2, n_features=4)
    assert reopened.get(0, 3) == "spurious" and reopened.get(1, 0) == "core" and reopened.get(1, 1) is None
    assert reopened.spurious() == {0: [3], 1: []}
    assert reopened.core() == {0: [], 1: [0]}


def test_clear_and_update(tmp_path):
    store = AnnotationStore(tmp_path / "a.json", n_classes=2, n_features=4)
    store.update({0: {1: "spurious", 2: "spurious"}, "1": {"3": "core"}})
    store.clear(0, 1)
    assert store.to_dict() == {0: {2: "spurious"}, 1: {3: "core"}}
    assert len(store) == 2


def test_no_temporary_files_are_left_behind(tmp_path):
    store = AnnotationStore(tmp_path / "a.json", n_classes=1, n_features=2)
    for i in range(5):
        store.set(0, i % 2, "core" if i % 2 else "spurious")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.json.lock", "a.json"]  # the lock file stays


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((2, 0, "core"), ValueError, "class 2 does not exist; expected a class in 0..1"),
        ((0, 4, "core"), ValueError, "feature 4 does not exist; expected a feature in 0..3"),
        ((0, 0, "maybe"), ValueError, r"label must be one of \['core', 'spurious'\]"),
        (("0", 0, "core"), TypeError, "class must be an integer"),
    ],
)
def test_bad_annotations_are_refused_and_nothing_is_lost(tmp_path, args, error, message):
    store = AnnotationStore(tmp_path / "a.json", n_classes=2, n_features=4)
    store.set(1, 1, "spurious")
    with pytest.raises(error, match=message):
        store.set(*args)
    assert store.to_dict() == {1: {1: "spurious"}}
    assert json.loads((tmp_path / "a.json").read_text())["annotations"] == {"1": {"1": "spurious"}}


def test_update_with_one_bad_entry_applies_none(tmp_path):
    store = AnnotationStore(tmp_path / "a.json", n_classes=2, n_features=4)
    with pytest.raises(ValueError, match="feature 9 does not exist"):
        store.update({0: {1: "core", 9: "spurious"}})
    assert store.to_dict() == {}


def test_corrupted_file_is_kept_backed_up_and_reported(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"annotations": {"0": {"1": "spur')
    with pytest.raises(
        AnnotationFileError, match=r"notes.json cannot be used .* a copy was saved to .*notes.json.*\.bak"
    ):
        AnnotationStore(path, n_classes=2, n_features=4)
    assert path.read_text() == '{"annotations": {"0": {"1": "spur'  # never overwritten
    backups = [p for p in tmp_path.iterdir() if p.name.endswith(".bak")]
    assert len(backups) == 1 and backups[0].read_text() == path.read_text()


def test_file_naming_features_that_do_not_exist_is_refused(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"version": 1, "annotations": {"0": {"40": "spurious"}}}))
    with pytest.raises(AnnotationFileError, match="feature 40 does not exist; expected a feature in 0..3"):
        AnnotationStore(path, n_classes=2, n_features=4)


def test_store_for_ranker_feeds_score(tmp_path):
    features = np.array([[0.0, 1.0], [2.0, 1.0], [1.0, 0.0], [1.0, 4.0]], dtype=np.float32)
    labels = np.array([0, 0, 1, 1])
    ranker = SpuriosityRanker(n_features=1).fit(features, labels, np.ones((2, 2), dtype=np.float32))
    store = AnnotationStore.for_ranker(ranker, tmp_path / "a.json")
    store.set(0, 0, "spurious")
    np.testing.assert_allclose(ranker.score(features, labels, store.spurious()), [-1.0, 1.0, 0.0, 0.0])


def test_in_memory_store_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a store that wrongly wrote to a relative path would write here
    store = AnnotationStore(None, n_classes=2, n_features=2)
    store.set(0, 0, "core")
    store.update({1: {1: "spurious"}})
    store.clear(0, 0)
    store.save()
    assert store.to_dict() == {1: {1: "spurious"}} and store.path is None
    assert list(tmp_path.iterdir()) == []


def test_replace_validates_everything_before_changing_anything(tmp_path):
    store = AnnotationStore(tmp_path / "a.json", n_classes=2, n_features=4)
    store.set(0, 1, "core")
    with pytest.raises(ValueError, match="feature 99 does not exist"):
        store.replace({"0": {"99": "spurious"}})
    assert store.to_dict() == {0: {1: "core"}}
    store.replace({"1": {"2": "spurious"}})
    assert store.to_dict() == {1: {2: "spurious"}}
    assert json.loads((tmp_path / "a.json").read_text())["annotations"] == {"1": {"2": "spurious"}}
