"""AnnotationStore writes: merged under a file lock across stores and processes, symlinks and
modes kept, read-only files refused without the store running ahead of the disk."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time

import pytest

from spurwidgets.compute.annotations import AnnotationStore

N_WRITES = 500


def _writer(path: str, cls: int, start, n: int) -> None:
    os.fsync = lambda fd: None  # (forked child only) durability on power loss is not what is tested here
    store = AnnotationStore(path, n_classes=2, n_features=n)
    start.wait()
    for feature in range(n):
        store.set(cls, feature, "spurious" if feature % 2 else "core")


@pytest.mark.slow
def test_two_processes_writing_500_times_each_lose_nothing(tmp_path):
    path = tmp_path / "notes.json"
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    writers = [ctx.Process(target=_writer, args=(str(path), cls, start, N_WRITES)) for cls in (0, 1)]
    for proc in writers:
        proc.start()
    start.set()
    corrupted = 0
    while any(proc.is_alive() for proc in writers):  # a reader never sees half a file
        if path.exists():
            try:
                json.loads(path.read_text())
            except ValueError:
                corrupted += 1
        time.sleep(0.002)
    for proc in writers:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    assert corrupted == 0
    expected = {str(f): "spurious" if f % 2 else "core" for f in range(N_WRITES)}
    assert json.loads(path.read_text())["annotations"] == {"0": expected, "1": expected}
    assert AnnotationStore(path, n_classes=2, n_features=N_WRITES).__len__() == 2 * N_WRITES
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.json.lock", "notes.json"]


def test_two_stores_on_one_file_merge_their_marks(tmp_path):
    path = tmp_path / "notes.json"
    a = AnnotationStore(path, n_classes=3, n_features=3)
    b = AnnotationStore(path, n_classes=3, n_features=3)
    a.set(0, 1, "spurious")
    b.set(1, 2, "core")
    assert json.loads(path.read_text())["annotations"] == {"0": {"1": "spurious"}, "1": {"2": "core"}}
    assert b.to_dict() == {0: {1: "spurious"}, 1: {2: "core"}}  # b saw a's mark when it wrote
    a.clear(0, 1)
    b.set(2, 0, "spurious")  # b still holds a's cleared mark in memory: it must not come back
    assert json.loads(path.read_text())["annotations"] == {"1": {"2": "core"}, "2": {"0": "spurious"}}
    a.reload()
    assert a.to_dict() == {1: {2: "core"}, 2: {0: "spurious"}}


def test_symlinked_file_stays_a_symlink_and_its_target_is_written(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "notes.json"
    target.write_text(json.dumps({"version": 1, "annotations": {"0": {"0": "core"}}}))
    link = tmp_path / "link.json"
    link.symlink_to(target)
    store = AnnotationStore(link, n_classes=1, n_features=2)
    store.set(0, 1, "spurious")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["annotations"] == {"0": {"0": "core", "1": "spurious"}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real"]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_file_mode_is_kept(tmp_path, mode):
    path = tmp_path / "notes.json"
    AnnotationStore(path, n_classes=1, n_features=2).set(0, 0, "core")
    os.chmod(path, mode)
    AnnotationStore(path, n_classes=1, n_features=2).set(0, 1, "spurious")
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_new_file_gets_the_umask_mode_not_a_private_temp_mode(tmp_path):
    old = os.umask(0o022)
    try:
        AnnotationStore(tmp_path / "notes.json", n_classes=1, n_features=1).set(0, 0, "core")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "notes.json").stat().st_mode) == 0o644


def test_read_only_file_gives_clear_error_and_store_does_not_run_ahead(tmp_path):
    path = tmp_path / "notes.json"
    store = AnnotationStore(path, n_classes=1, n_features=3)
    store.set(0, 0, "core")
    os.chmod(path, 0o444)
    try:
        with pytest.raises(PermissionError, match=r"notes.json cannot be written .*the change was not applied"):
            store.set(0, 1, "spurious")
    finally:
        os.chmod(path, 0o644)
    assert store.to_dict() == {0: {0: "core"}}
    assert json.loads(path.read_text())["annotations"] == {"0": {"0": "core"}}


def test_read_only_folder_gives_clear_error_and_store_does_not_run_ahead(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    store = AnnotationStore(folder / "notes.json", n_classes=1, n_features=3)
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(PermissionError, match=r"notes.json cannot be written \(.*ro: "):
            store.set(0, 1, "spurious")
    finally:
        os.chmod(folder, 0o755)
    assert store.to_dict() == {} and list(folder.iterdir()) == []


def test_failed_rename_leaves_store_and_file_as_they_were(tmp_path, monkeypatch):
    path = tmp_path / "notes.json"
    store = AnnotationStore(path, n_classes=1, n_features=3)
    store.set(0, 0, "core")

    def read_only_filesystem(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only_filesystem)
    with pytest.raises(PermissionError, match="Read-only file system"):
        store.set(0, 2, "spurious")
    assert store.get(0, 2) is None
    assert json.loads(path.read_text())["annotations"] == {"0": {"0": "core"}}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.json.lock", "notes.json"]  # no temp left


def test_temporaries_of_killed_writers_are_cleaned_up(tmp_path):
    path = tmp_path / "notes.json"
    (tmp_path / ".notes.json.4242.deadbeef.tmp").write_text('{"annota')
    (tmp_path / ".notes.json.abc123.tmp").write_text("")  # the older tempfile naming
    (tmp_path / ".other.json.1.ab.tmp").write_text("")  # another file's temporary is not ours
    AnnotationStore(path, n_classes=1, n_features=1).set(0, 0, "core")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".notes.json.lock",
        ".other.json.1.ab.tmp",
        "notes.json",
    ]
