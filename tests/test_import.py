import subprocess
import sys


def test_import_spurwidgets_does_not_import_widget_libraries():
    code = (
        "import sys, spurwidgets, spurwidgets.datasets, spurwidgets.metrics, spurwidgets.models; "
        "bad = [m for m in ('anywidget', 'ipywidgets', 'traitlets') if m in sys.modules]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"import spurwidgets pulled in widget libraries: {result.stdout} {result.stderr}"


def test_compute_sources_never_mention_widget_libraries():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "spurwidgets"
    offenders = []
    for path in [
        *root.joinpath("compute").rglob("*.py"),
        *root.joinpath("datasets").rglob("*.py"),
        root / "metrics.py",
    ]:
        text = path.read_text()
        for lib in ("ipywidgets", "anywidget", "traitlets"):
            if f"import {lib}" in text or f"from {lib}" in text:
                offenders.append(f"{path.name}: {lib}")
    assert offenders == []


def test_unknown_attribute_raises_attribute_error():
    import pytest

    import spurwidgets

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        spurwidgets.nope  # noqa: B018
