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
        root / "metrics.py",  # re-exports compute/metrics.py
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


def test_the_compute_core_imports_nothing_from_the_layers_above_it():
    # compute/ is the bottom layer: datasets, models, widgets, experiments and the public
    # spurwidgets.metrics module build on it, never the reverse (no cycle to hide in a function).
    import ast
    from pathlib import Path

    compute = Path(__file__).resolve().parent.parent / "spurwidgets" / "compute"
    offenders = []
    for path in sorted(compute.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                offenders.append(f"{path.name}: from {'.' * node.level}{node.module or ''}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                offenders += [f"{path.name}: {n}" for n in names if n.startswith("spurwidgets") and ".compute" not in n]
    assert offenders == []


def test_public_metrics_module_is_the_compute_metrics():
    import spurwidgets.compute.metrics as core
    import spurwidgets.metrics as m

    for name in ("group_accuracy", "worst_group_accuracy", "report", "spurious_gap", "average_cluster_probability"):
        assert getattr(m, name) is getattr(core, name)
    import spurwidgets.compute.imageset
    import spurwidgets.datasets

    assert spurwidgets.datasets.ImageSet is spurwidgets.compute.imageset.ImageSet
