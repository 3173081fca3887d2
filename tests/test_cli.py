"""`spurwidgets lab`: copying the bundled notebooks without losing a user's edits."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spurwidgets import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "bundled"
    folder.mkdir()
    for name, text in [("01_a.ipynb", "one"), ("02_b.ipynb", "two")]:
        (folder / name).write_text(text)
    return sorted(folder.glob("*.ipynb"))


def test_bundled_notebooks_are_package_data_and_include_the_lesson():
    names = [p.name for p in cli.bundled_notebooks()]
    assert cli.FIRST_NOTEBOOK in names
    assert names == sorted(names)
    assert all(p.parent.name == "notebooks" and p.parent.parent.name == "spurwidgets" for p in cli.bundled_notebooks())


def test_top_level_notebooks_folder_is_the_bundled_one():
    # One source of truth: `notebooks/` (what the README opens) is the package's folder.
    assert (REPO / "notebooks").resolve() == (REPO / "spurwidgets" / "notebooks").resolve()


def test_copy_into_new_folder_copies_everything(tmp_path: Path, sources: list[Path]):
    dest = tmp_path / "out" / "nested"
    report = cli.copy_notebooks(dest, sources=sources)
    assert report.copied == ["01_a.ipynb", "02_b.ipynb"]
    assert report.unchanged == report.kept == report.overwritten == []
    assert (dest / "01_a.ipynb").read_text() == "one"
    assert (dest / "02_b.ipynb").read_text() == "two"


def test_identical_copy_is_left_as_is(tmp_path: Path, sources: list[Path]):
    cli.copy_notebooks(tmp_path / "out", sources=sources)
    report = cli.copy_notebooks(tmp_path / "out", sources=sources)
    assert report.unchanged == ["01_a.ipynb", "02_b.ipynb"]
    assert report.copied == report.kept == []


def test_edited_copy_is_kept_without_force(tmp_path: Path, sources: list[Path]):
    dest = tmp_path / "out"
    cli.copy_notebooks(dest, sources=sources)
    (dest / "01_a.ipynb").write_text("my notes")
    report = cli.copy_notebooks(dest, sources=sources)
    assert report.kept == ["01_a.ipynb"]
    assert report.unchanged == ["02_b.ipynb"]
    assert (dest / "01_a.ipynb").read_text() == "my notes"
    assert not (dest / "01_a.ipynb.bak").exists()
    assert "kept your edited copy of: 01_a.ipynb" in report.summary(dest)
    assert "--force" in report.summary(dest)


def test_force_replaces_edited_copy_and_keeps_a_backup(tmp_path: Path, sources: list[Path]):
    dest = tmp_path / "out"
    cli.copy_notebooks(dest, sources=sources)
    (dest / "01_a.ipynb").write_text("my notes")
    report = cli.copy_notebooks(dest, force=True, sources=sources)
    assert report.overwritten == ["01_a.ipynb"]
    assert (dest / "01_a.ipynb").read_text() == "one"
    assert (dest / "01_a.ipynb.bak").read_text() == "my notes"


def test_dest_that_is_a_file_is_rejected(tmp_path: Path, sources: list[Path]):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ValueError, match="dest must be a directory; .*file.txt.* is a file"):
        cli.copy_notebooks(target, sources=sources)
    assert target.read_text() == "x"


def test_lab_command_adds_allow_root_only_for_root_and_passes_extra_args():
    as_root = cli.lab_command("01.ipynb", ["--port", "8890"], as_root=True)
    assert as_root == [sys.executable, "-m", "jupyter", "lab", "01.ipynb", "--port", "8890", "--allow-root"]
    assert cli.lab_command("01.ipynb", [], as_root=False) == [sys.executable, "-m", "jupyter", "lab", "01.ipynb"]
    assert cli.lab_command("x", ["--allow-root"], as_root=True).count("--allow-root") == 1


def test_main_no_launch_copies_bundled_notebooks_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture):
    dest = tmp_path / "lesson"
    assert cli.main(["lab", "--dir", str(dest), "--no-launch"]) == 0
    assert sorted(p.name for p in dest.glob("*.ipynb")) == [p.name for p in cli.bundled_notebooks()]
    assert "copied: 01_shortcut_learning.ipynb" in capsys.readouterr().out


def test_main_launches_jupyter_lab_on_the_first_lesson_in_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command, cwd: calls.append((command, cwd)) or 0)
    assert cli.main(["lab", "--dir", str(tmp_path / "lesson"), "--port", "9999"]) == 0
    [(command, cwd)] = calls
    assert command[1:6] == ["-m", "jupyter", "lab", "01_shortcut_learning.ipynb", "--port"]
    assert command[6] == "9999"
    assert Path(cwd) == tmp_path / "lesson"


def test_main_reports_a_bad_dir_with_exit_status_2(tmp_path: Path, capsys: pytest.CaptureFixture):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert cli.main(["lab", "--dir", str(target), "--no-launch"]) == 2
    assert "dest must be a directory" in capsys.readouterr().err


def test_console_script_entry_point_runs(tmp_path: Path):
    script = Path(sys.executable).with_name("spurwidgets")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "spurwidgets.cli"]
    result = subprocess.run(
        [*command, "lab", "--no-launch", "--dir", "nb"], cwd=tmp_path, capture_output=True, text=True, env=os.environ
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "nb" / cli.FIRST_NOTEBOOK).exists()


def _edited_lesson(tmp_path: Path) -> Path:
    dest = tmp_path / "lesson"
    assert cli.main(["lab", "--dir", str(dest), "--no-launch"]) == 0
    (dest / cli.FIRST_NOTEBOOK).write_text("my notes")
    return dest


def test_main_asks_before_replacing_an_edited_copy_and_keeps_it_on_no(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    dest = _edited_lesson(tmp_path)
    questions = []
    monkeypatch.setattr(cli, "_ask", lambda q: questions.append(q) or False)
    assert cli.main(["lab", "--dir", str(dest), "--no-launch"]) == 0
    assert len(questions) == 1 and cli.FIRST_NOTEBOOK in questions[0]
    assert (dest / cli.FIRST_NOTEBOOK).read_text() == "my notes"


def test_main_replaces_an_edited_copy_on_yes_and_keeps_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    dest = _edited_lesson(tmp_path)
    monkeypatch.setattr(cli, "_ask", lambda q: True)
    assert cli.main(["lab", "--dir", str(dest), "--no-launch"]) == 0
    bundled = next(p for p in cli.bundled_notebooks() if p.name == cli.FIRST_NOTEBOOK)
    assert (dest / cli.FIRST_NOTEBOOK).read_bytes() == bundled.read_bytes()
    assert (dest / (cli.FIRST_NOTEBOOK + ".bak")).read_text() == "my notes"


def test_ask_answers_no_without_a_terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli.sys, "stdin", io.StringIO("y\n"))
    assert cli._ask("replace? ") is False


def test_force_twice_keeps_every_edited_copy_as_numbered_backups(tmp_path: Path, sources: list[Path]):
    dest = tmp_path / "out"
    cli.copy_notebooks(dest, sources=sources)
    for edit in ("first notes", "second notes", "third notes"):
        (dest / "01_a.ipynb").write_text(edit)
        cli.copy_notebooks(dest, force=True, sources=sources)
    assert (dest / "01_a.ipynb").read_text() == "one"
    assert (dest / "01_a.ipynb.bak").read_text() == "first notes"
    assert (dest / "01_a.ipynb.bak.1").read_text() == "second notes"
    assert (dest / "01_a.ipynb.bak.2").read_text() == "third notes"


def test_main_reports_an_unwritable_dir_with_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    dest = tmp_path / "locked" / "lesson"

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert cli.main(["lab", "--dir", str(dest), "--no-launch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spurwidgets lab: cannot write the notebooks to ")
    assert "Permission denied" in err and "pass --dir with a folder you can write to" in err


def test_main_reports_a_dir_below_a_file_with_exit_status_2(tmp_path: Path, capsys: pytest.CaptureFixture):
    (tmp_path / "file.txt").write_text("x")
    assert cli.main(["lab", "--dir", str(tmp_path / "file.txt" / "sub"), "--no-launch"]) == 2
    assert "spurwidgets lab: cannot" in capsys.readouterr().err
