"""The `spurwidgets` console command.

`spurwidgets lab` copies the notebooks bundled with the package into a folder of the user's
(default `./spurwidgets-notebooks/`) and starts JupyterLab on the first lesson. A copy the
user has edited is never overwritten without asking: on a terminal the command asks, else
it keeps the user's copy and says so; `--force` replaces it (a `.bak` is kept either way).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from . import __version__

DEFAULT_DIR = "spurwidgets-notebooks"
FIRST_NOTEBOOK = "01_shortcut_learning.ipynb"


def bundled_notebooks() -> list[Path]:
    """The notebooks shipped inside the package (package data), sorted by name."""
    folder = Path(str(resources.files("spurwidgets") / "notebooks"))
    return sorted(folder.glob("*.ipynb"))


@dataclass
class CopyReport:
    """What `copy_notebooks` did with each bundled notebook (file names)."""

    copied: list[str] = field(default_factory=list)  # new in the destination
    unchanged: list[str] = field(default_factory=list)  # already there, identical
    kept: list[str] = field(default_factory=list)  # user's copy differs: left alone
    overwritten: list[str] = field(default_factory=list)  # user's copy differed: replaced (--force), .bak kept

    def summary(self, dest: Path) -> str:
        lines = [f"notebooks in {dest}:"]
        for names, what in [
            (self.copied, "copied"),
            (self.unchanged, "already up to date"),
            (self.overwritten, "overwritten (your version saved as <name>.bak, or .bak.N when older backups exist)"),
        ]:
            if names:
                lines.append(f"  {what}: {', '.join(names)}")
        if self.kept:
            lines.append(
                f"  kept your edited copy of: {', '.join(self.kept)} "
                "(it differs from the bundled one; run with --force to replace it, a .bak is kept)"
            )
        return "\n".join(lines)


def copy_notebooks(dest: str | Path, *, force: bool = False, sources: list[Path] | None = None) -> CopyReport:
    """Copy the bundled notebooks into `dest` (created if missing) without losing user edits.

    Identical files are left as they are; a file that differs from the bundled one is kept
    unless `force`, in which case it is renamed to `<name>.bak` (`<name>.bak.1`, `.bak.2`, ...
    when older backups exist: none is ever overwritten) before the bundled one is copied.
    `sources`: the notebooks to copy (default: the bundled ones, `bundled_notebooks()`).
    """
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"dest must be a directory; {str(dest)!r} is a file")
    sources = bundled_notebooks() if sources is None else list(sources)
    if not sources:
        raise FileNotFoundError("no bundled notebooks found in the spurwidgets package (broken install?)")
    dest.mkdir(parents=True, exist_ok=True)
    report = CopyReport()
    for source in sources:
        target = dest / source.name
        if not target.exists():
            shutil.copy2(source, target)
            report.copied.append(source.name)
        elif filecmp.cmp(source, target, shallow=False):
            report.unchanged.append(source.name)
        elif force:
            os.replace(target, backup_path(target))
            shutil.copy2(source, target)
            report.overwritten.append(source.name)
        else:
            report.kept.append(source.name)
    return report


def backup_path(target: Path) -> Path:
    """`<name>.bak`, or `<name>.bak.1`, `.bak.2`, ... when earlier backups exist (none is overwritten)."""
    candidate = target.with_name(target.name + ".bak")
    number = 0
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = target.with_name(f"{target.name}.bak.{number}")
    return candidate


def lab_command(notebook: str, extra: list[str], *, as_root: bool | None = None) -> list[str]:
    """The JupyterLab command line: same Python, `--allow-root` when running as root."""
    if as_root is None:
        as_root = getattr(os, "geteuid", lambda: 1)() == 0
    command = [sys.executable, "-m", "jupyter", "lab", notebook, *extra]
    if as_root and "--allow-root" not in extra:
        command.append("--allow-root")
    return command


def _ask(question: str) -> bool:
    """Yes/no on an interactive terminal; never asks (answers no) when input is not a terminal."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(question).strip().lower() in {"y", "yes"}
    except EOFError:
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spurwidgets", description="See and fix shortcut learning in the notebook.")
    parser.add_argument("--version", action="version", version=f"spurwidgets {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    lab = commands.add_parser(
        "lab",
        help="copy the lesson notebooks here and open the first one in JupyterLab",
        description="Copy the bundled notebooks into a folder and start JupyterLab on the first lesson. "
        "Arguments not listed here are passed on to `jupyter lab` (e.g. --port 8890).",
    )
    lab.add_argument("--dir", default=DEFAULT_DIR, help=f"where to copy the notebooks (default ./{DEFAULT_DIR})")
    lab.add_argument("--force", action="store_true", help="replace edited copies (each is saved as <name>.bak)")
    lab.add_argument("--no-launch", action="store_true", help="only copy the notebooks, do not start JupyterLab")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `spurwidgets` command; returns the exit status."""
    args, extra = _parser().parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    dest = Path(args.dir)
    try:
        report = copy_notebooks(dest, force=args.force)
    except (ValueError, FileNotFoundError) as error:
        print(f"spurwidgets lab: {error}", file=sys.stderr)
        return 2
    except PermissionError as error:
        print(
            f"spurwidgets lab: cannot write the notebooks to {str(dest)!r} ({error.strerror or error}: "
            f"{error.filename or dest}); pass --dir with a folder you can write to",
            file=sys.stderr,
        )
        return 2
    except OSError as error:
        print(f"spurwidgets lab: cannot copy the notebooks to {str(dest)!r}: {error}", file=sys.stderr)
        return 2
    if report.kept and _ask(
        f"{len(report.kept)} notebook(s) differ from the bundled version ({', '.join(report.kept)}). "
        "Replace them (your versions are kept as <name>.bak)? [y/N] "
    ):
        replaced = copy_notebooks(dest, force=True, sources=[p for p in bundled_notebooks() if p.name in report.kept])
        report.kept, report.overwritten = [], replaced.overwritten
    print(report.summary(dest.resolve()))
    if args.no_launch:
        return 0
    command = lab_command(FIRST_NOTEBOOK, extra)
    print("starting:", " ".join(command[1:]), f"(in {dest})")
    try:
        return subprocess.call(command, cwd=dest)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
