"""The README works as written: every Python block runs on its own, the shell path is complete.

Blocks are found by parsing the Markdown fences, so a block added or rewritten later is
tested without touching this file. Each Python block runs alone in a fresh interpreter in an
empty folder (what a reader who copies one block gets); the shell blocks must give the
set-up, the main job and the tests, in that order.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def readme_blocks(text: str | None = None) -> list[tuple[str, str, int]]:
    """(language, code, line number of the opening fence) for every fenced block."""
    text = README.read_text(encoding="utf-8") if text is None else text
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def _python_blocks() -> list[tuple[str, int]]:
    return [(code, line) for lang, code, line in readme_blocks() if lang == "python"]


def test_fence_parser_finds_blocks_with_their_language_and_line():
    text = "intro\n```bash\npip install x\n```\ntext\n```python\nprint(1)\nprint(2)\n```\n```\nplain\n```\n"
    assert readme_blocks(text) == [
        ("bash", "pip install x\n", 2),
        ("python", "print(1)\nprint(2)\n", 6),
        ("", "plain\n", 10),
    ]


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 3  # MID, spuriosity, probes


def test_shell_blocks_give_setup_then_main_job_then_tests():
    commands = [code.strip() for lang, code, _ in readme_blocks() if lang in {"bash", "sh", "shell"}]

    def first(predicate) -> int:
        found = [i for i, command in enumerate(commands) if predicate(command)]
        assert found, f"no such command in the README's shell blocks: {commands}"
        return found[0]

    setup = first(lambda c: 'pip install -e ".[dev]"' in c and "python3 -m venv" in c)
    main = first(lambda c: c.splitlines()[0].startswith("spurwidgets lab"))
    tests = first(lambda c: re.fullmatch(r"(SPURWIDGETS_REQUIRE_BROWSER=1 )?pytest", c.splitlines()[0]) is not None)
    assert setup < main < tests, commands
    # the main job must leave the checkout clean: no command opens the tracked notebooks in place
    assert not any("notebooks/" in c and "jupyter" in c for c in commands), commands


def test_ci_runs_the_readme_setup_and_test_commands():
    ci = (REPO / ".ci" / "run").read_text()
    assert 'pip install -e ".[dev]"' in ci
    assert "SPURWIDGETS_REQUIRE_BROWSER=1 pytest" in ci


def test_main_job_copies_into_an_ignored_folder(tmp_path: Path):
    # `spurwidgets lab` (without starting JupyterLab) writes only into ./spurwidgets-notebooks/,
    # which git ignores, so running the lesson there leaves `git status` clean.
    from spurwidgets import cli

    done = subprocess.run(
        [sys.executable, "-c", "import sys; from spurwidgets.cli import main; sys.exit(main(['lab', '--no-launch']))"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / cli.DEFAULT_DIR).iterdir()) == [p.name for p in cli.bundled_notebooks()]
    assert [p.name for p in tmp_path.iterdir()] == [cli.DEFAULT_DIR]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"{cli.DEFAULT_DIR}/{cli.FIRST_NOTEBOOK}"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0, f"{cli.DEFAULT_DIR}/ is not ignored by git"


@pytest.mark.slow
@pytest.mark.parametrize("code, line", _python_blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else "")
def test_python_block_runs_on_its_own(code: str, line: int, tmp_path: Path):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"README block at line {line} ran over 900 s") from error
    assert done.returncode == 0, f"README block at line {line} failed on its own:\n{done.stderr[-3000:]}"
