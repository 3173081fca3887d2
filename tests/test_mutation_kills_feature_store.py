"""Result folders: the manifest's shard fields, the resume progress bar and the message for a
folder that is no result (mutation survivors in compute/feature_store.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from torch import nn

import spurwidgets
from spurwidgets.compute.extract import FeatureSet


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2))


IMAGES = np.random.default_rng(0).integers(0, 256, size=(20, 4, 4, 3), dtype=np.uint8)


def test_manifest_records_the_shard_size_and_row_ranges(tmp_path):
    spurwidgets.extract(_model(), IMAGES, out=tmp_path / "r", batch_size=4, shard_size=8, device="cpu")
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["shard_size"] == 8
    assert manifest["shards"] == [[0, 8], [8, 16], [16, 20]]
    assert manifest["n"] == 20 and manifest["complete"] is True


def _last_count(err: str) -> str:
    return re.findall(r"(\d+/\d+)", err)[-1]


def test_progress_counts_shards_and_a_resume_starts_at_the_shards_on_disk(tmp_path, capsys):
    out = tmp_path / "r"
    spurwidgets.extract(_model(), IMAGES, out=out, batch_size=4, shard_size=8, device="cpu", progress=True)
    err = capsys.readouterr().err
    assert re.findall(r"(\d+/\d+)", err)[0] == "0/3" and _last_count(err) == "3/3"
    (out / "manifest.json").write_text(
        json.dumps({**json.loads((out / "manifest.json").read_text()), "complete": False})
    )
    (out / "shards" / "000001.npz").unlink()
    spurwidgets.extract(_model(), IMAGES, out=out, batch_size=4, shard_size=8, device="cpu", progress=True)
    err = capsys.readouterr().err
    assert re.findall(r"(\d+/\d+)", err)[0] == "2/3" and _last_count(err) == "3/3"


def test_a_folder_without_manifest_is_refused_with_the_full_message(tmp_path):
    with pytest.raises(ValueError) as info:
        FeatureSet.open(tmp_path)
    assert str(info.value) == (
        f"folder must be an extract(out=...) result folder with manifest.json; got {str(tmp_path)!r}"
    )


def test_result_folders_are_written_in_format_version_1(tmp_path):
    spurwidgets.extract(_model(), IMAGES[:4], out=tmp_path / "r", batch_size=4, device="cpu")
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["version"] == 1
