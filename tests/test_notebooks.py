"""Every bundled notebook runs top to bottom in a real kernel, and tells the story it claims.

Each notebook is executed with nbclient in a temporary working directory; after its last
cell a few check cells (below) assert the facts the notebook's markdown tells students, so
a notebook that silently stops showing its point fails here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "spurwidgets" / "notebooks"

# Assertions run in the notebook's kernel after the notebook (names are the notebook's own).
CHECKS: dict[str, str] = {
    "01_shortcut_learning.ipynb": """
assert list(after.columns) == ["original", "MID refit", "low-spuriosity refit", "oracle (true groups)"]
assert list(after.index) == test.group_names + ["overall"] and ((after >= 0) & (after <= 1)).all().all()
worst = after.drop(index="overall").min()
assert worst["original"] < 0.4, after  # the surprise: a group the model mostly gets wrong (measured 0.294)
# issue 12's goals: MID >= 0.85 with overall >= 0.85 (measured 0.889 / 0.939)
assert worst["MID refit"] >= 0.85 and after.loc["overall", "MID refit"] >= 0.85, after
assert worst["MID refit"] >= worst["oracle (true groups)"] - 0.05, after  # label-free, within 5 points of the oracle
assert worst["low-spuriosity refit"] >= 0.80, after  # measured 0.820
assert worst["oracle (true groups)"] >= 0.85, after  # measured 0.879
assert curve.window == mid.window and len(curve.selection) == len(mid.window_)
assert (np.abs(margin) < 0.5).sum() >= 10  # samples near zero: there is an intercept window
assert isinstance(explorer, sw.MIDExplorer)
# the text: only about 0.53, almost every colour field called "5-9" (measured 0.534, 92 %)
assert 0.5 < probe_clusters.average_cluster_probability_ < 0.6
assert (probe_clusters.probs_[:, 1] > 0.5).mean() > 0.85
print(after.round(3).to_string())
""",
    "02_mid_your_model.ipynb": """
assert data.class_names == ["0-4", "5-9"] and len(data) == 300
assert mid.enrichment(groups, minority_groups) > 1.5
worst = {name: sw.metrics.worst_group_accuracy(test.labels, predict(m, test), test.groups)
         for name, m in {"original": model, "refit": refitted}.items()}
assert worst["refit"] > worst["original"], worst
assert explorer.mid.window_.tolist() == mid.window_.tolist()  # the app starts from the same window
assert type(refitted.fc) is torch.nn.Linear and vit_fs.head_name == "classifier"
assert (vit_predictions == vit_head.predict(test_fs.features)).all()  # replace_head: model == head
assert explorer.group_names == source.group_names
""",
    "03_spuriosity_rankings.ipynb": """
import json, os
assert json.load(open("annotations.json"))["annotations"]["0"] == {str(f): "spurious" for f in spurious[0]} | {
    str(ranker.top_features_[0][2]): "core"}
assert spurious == {0: sorted(ranker.top_features_[0][:2].tolist()), 1: sorted(ranker.top_features_[1][:2].tolist())}
assert gaps == {0: 1.0, 1: 1.0}  # the model relies on colour: right on all high, wrong on all low
assert set(val.groups[ranking[0][:10]]) == {1} and set(val.groups[ranking[1][:10]]) == {2}
assert sorted(results) == ["low_spuriosity", "misclassified", "random"]
low = results["low_spuriosity"].summary()  # the tuning visibly fixes the model (pretrained backbone)
assert low["val_accuracy_after"] > low["val_accuracy_before"] + 0.1, low  # measured 0.719 -> 0.825
assert low["max_gap_after"] < low["max_gap_before"] - 0.2, low  # measured 1.0 -> 0.4
assert results["random"].summary()["max_gap_after"] == 1.0  # the text: random images change nothing
print({k: low[k] for k in ("val_accuracy_before", "val_accuracy_after", "max_gap_before", "max_gap_after")})
""",
    "04_probe_clusters.ipynb": """
assert pc.latent_.shape == (300, 2) and pc.probs_.shape == (300, 2)
assert sorted(pc.cluster_classes_.tolist()) == [0, 1]
assert pc.average_cluster_probability_ > 0.6  # the colour shortcut is visible to the probes
assert max(scores.values()) >= 0.9  # an improved variant clusters the colour regions cleanly
table = summarize_table1(results)
assert list(table.columns) == ["2-D", "3-D"] and table.loc["published (paper)", "2-D"] == "52.7"
""",
}


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_every_notebook_has_checks_and_a_python3_kernel():
    names = [p.name for p in _notebooks()]
    assert "01_shortcut_learning.ipynb" in names
    assert sorted(CHECKS) == names  # every notebook asserts the story it tells
    for path in _notebooks():
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3", path.name
        stored = nbformat.reads(_stored_text(path), as_version=4)
        assert all(not cell.get("outputs") for cell in stored.cells if cell.cell_type == "code"), (
            f"{path.name} is stored with outputs; clear them"
        )


def _stored_text(path: Path) -> str:
    """The notebook as git stores it (index), else the file: a user who ran the notebook in place
    has outputs in the working copy, which is theirs; what must be clean is what gets committed."""
    relative = path.relative_to(REPO).as_posix()
    try:
        done = subprocess.run(
            ["git", "show", f":{relative}"], cwd=REPO, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return path.read_text()
    return done.stdout if done.returncode == 0 else path.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_executes_without_errors(path: Path, tmp_path: Path):
    nb = nbformat.reads(_stored_text(path), as_version=4)  # the committed notebook, not a user's edits
    if path.name in CHECKS:
        nb.cells.append(nbformat.v4.new_code_cell(CHECKS[path.name]))
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError (with the cell and traceback) on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
