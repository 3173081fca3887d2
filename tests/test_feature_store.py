"""Sharded, resumable extraction into a folder (the storage that backend='ray' shares), without Ray."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import TensorDataset

import spurwidgets
from spurwidgets.datasets import ImageFiles


def tiny_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5), nn.ReLU(), nn.Linear(5, 2))


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(22, 4, 4, 3), dtype=np.uint8)


def shard_mtimes(folder):
    shards = folder / "shards"
    return {p.name: p.stat().st_mtime_ns for p in sorted(shards.iterdir()) if p.suffix == ".npz"}


def test_folder_result_equals_in_memory_extract_and_reopens_memory_mapped(tmp_path, images):
    model = tiny_mlp()
    want = spurwidgets.extract(model, images, batch_size=4, device="cpu")
    fs = spurwidgets.extract(model, images, out=tmp_path / "run", batch_size=4, shard_size=8, device="cpu")
    assert sorted(shard_mtimes(tmp_path / "run")) == ["000000.npz", "000001.npz", "000002.npz"]
    np.testing.assert_array_equal(fs.features, want.features)
    np.testing.assert_array_equal(fs.logits, want.logits)
    opened = spurwidgets.FeatureSet.open(tmp_path / "run")
    assert isinstance(opened.features, np.memmap) and isinstance(opened.logits, np.memmap)
    assert opened.features.shape == (22, 5) and opened.logits.shape == (22, 2) and opened.labels is None
    np.testing.assert_array_equal(opened.features, want.features)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert (manifest["n"], manifest["d"], manifest["c"], manifest["complete"]) == (22, 5, 2, True)
    assert manifest["shards"] == [[0, 8], [8, 16], [16, 22]]


def test_labels_of_a_dataset_are_stored_and_reopened(tmp_path, images):
    floats = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    labels = torch.arange(22) % 3
    fs = spurwidgets.extract(tiny_mlp(), TensorDataset(floats, labels), out=tmp_path / "r", batch_size=4, device="cpu")
    assert fs.labels.tolist() == labels.tolist()
    assert spurwidgets.FeatureSet.open(tmp_path / "r").labels.tolist() == labels.tolist()


def test_rerun_recomputes_only_the_deleted_shard(tmp_path, images):
    model, out = tiny_mlp(), tmp_path / "run"
    first = np.array(spurwidgets.extract(model, images, out=out, batch_size=4, shard_size=8, device="cpu").features)
    before = shard_mtimes(out)
    os.utime(out / "shards" / "000000.npz", ns=(1, 1))
    os.utime(out / "shards" / "000002.npz", ns=(1, 1))
    (out / "shards" / "000001.npz").unlink()
    again = spurwidgets.extract(model, images, out=out, batch_size=4, shard_size=8, device="cpu")
    after = shard_mtimes(out)
    assert after["000000.npz"] == after["000002.npz"] == 1  # untouched
    assert after["000001.npz"] > 1 and set(after) == set(before)
    np.testing.assert_array_equal(again.features, first)


def test_finished_folder_reopens_without_computing_even_after_its_shards_are_deleted(tmp_path, images):
    model, out = tiny_mlp(), tmp_path / "run"
    want = np.array(spurwidgets.extract(model, images, out=out, batch_size=4, device="cpu").features)
    for shard in (out / "shards").iterdir():
        shard.unlink()
    fs = spurwidgets.extract(model, images, out=out, batch_size=4, device="cpu")
    assert shard_mtimes(out) == {}
    np.testing.assert_array_equal(fs.features, want)


def test_other_model_or_images_are_refused_unless_overwrite(tmp_path, images):
    out = tmp_path / "run"
    spurwidgets.extract(tiny_mlp(0), images, out=out, batch_size=4, device="cpu")
    with pytest.raises(ValueError, match=r"holds features of another model .*pass overwrite=True"):
        spurwidgets.extract(tiny_mlp(1), images, out=out, batch_size=4, device="cpu")
    with pytest.raises(ValueError, match=r"holds features of another images"):
        spurwidgets.extract(tiny_mlp(0), 255 - images, out=out, batch_size=4, device="cpu")
    fs = spurwidgets.extract(tiny_mlp(1), images, out=out, batch_size=4, device="cpu", overwrite=True)
    want = spurwidgets.extract(tiny_mlp(1), images, batch_size=4, device="cpu")
    np.testing.assert_array_equal(fs.logits, want.logits)


def test_unfinished_folder_cannot_be_opened(tmp_path, images):
    out = tmp_path / "run"
    spurwidgets.extract(tiny_mlp(), images, out=out, batch_size=4, shard_size=8, device="cpu")
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "complete": False}))
    with pytest.raises(ValueError, match="unfinished extraction; run extract"):
        spurwidgets.FeatureSet.open(out)
    with pytest.raises(ValueError, match="folder must be an extract"):
        spurwidgets.FeatureSet.open(tmp_path)


def test_shard_size_must_be_a_multiple_of_batch_size(tmp_path, images):
    with pytest.raises(ValueError, match=r"shard_size must be a multiple of batch_size \(4\).*got 6"):
        spurwidgets.extract(tiny_mlp(), images, out=tmp_path / "r", batch_size=4, shard_size=6)
    with pytest.raises(ValueError, match="backend must be 'local' or 'ray'; got 'spark'"):
        spurwidgets.extract(tiny_mlp(), images, backend="spark")


def test_failing_run_leaves_an_existing_npy_out_untouched(tmp_path, images):
    path = tmp_path / "features.npy"
    np.save(path, np.arange(3.0))
    bad = nn.Sequential(nn.Flatten(), nn.Linear(48, 2))
    with torch.no_grad():
        bad[1].weight.fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN or infinite logits"):
        spurwidgets.extract(bad, images, out=path, device="cpu")
    assert np.load(path).tolist() == [0.0, 1.0, 2.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.npy"]  # no partial file left
    fs = spurwidgets.extract(tiny_mlp(), images, out=path, device="cpu")
    assert isinstance(fs.features, np.memmap) and np.load(path).shape == (22, 5)


def test_image_files_folder_list_and_table_give_the_same_features(tmp_path, images):
    paths = []
    for i, picture in enumerate(images):
        folder = tmp_path / "imgs" / f"class{i % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        paths.append(folder / f"{i:03d}.png")
        Image.fromarray(picture).save(paths[-1])
    order = sorted(range(22), key=lambda i: (i % 2, i))
    want = spurwidgets.extract(tiny_mlp(), images[order], batch_size=4, device="cpu")
    from_folder = spurwidgets.extract(tiny_mlp(), str(tmp_path / "imgs"), batch_size=4, device="cpu")
    np.testing.assert_array_equal(from_folder.features, want.features)
    assert from_folder.labels.tolist() == [i % 2 for i in order]
    from_list = spurwidgets.extract(tiny_mlp(), [paths[i] for i in order], batch_size=4, device="cpu")
    np.testing.assert_array_equal(from_list.features, want.features)
    import pandas as pd

    table = pd.DataFrame({"path": [str(paths[i]) for i in order], "label": [7] * 22})
    files = ImageFiles.from_table(table)
    assert len(files) == 22 and files[0][1] == 7


def test_import_spurwidgets_does_not_import_ray():
    code = "import sys, spurwidgets; spurwidgets.extract; print('ray' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


class FlakyImages(torch.utils.data.Dataset):
    """22 images; while `broken`, reading image 13 raises (a crash in the middle of a run)."""

    def __init__(self, images):
        self.images, self.broken, self.reads = images, True, []

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        if self.broken and i == 13:
            raise OSError("disk hiccup")
        self.reads.append(i)
        return self.images[i], i % 2


def test_interrupted_run_resumes_from_the_finished_shards(tmp_path, images):
    data, out = FlakyImages(images), tmp_path / "run"
    with pytest.raises(OSError, match="disk hiccup"):
        spurwidgets.extract(tiny_mlp(), data, out=out, batch_size=4, shard_size=4, device="cpu")
    assert sorted(shard_mtimes(out)) == ["000000.npz", "000001.npz", "000002.npz"]
    with pytest.raises(ValueError, match="unfinished extraction"):
        spurwidgets.FeatureSet.open(out)
    data.broken, data.reads = False, []
    fs = spurwidgets.extract(tiny_mlp(), data, out=out, batch_size=4, shard_size=4, device="cpu")
    # only the missing shards' images were read (plus items 0, 11 and 21 that identify the dataset)
    assert sorted(set(data.reads)) == [0, 11, *range(12, 22)]
    want = spurwidgets.extract(tiny_mlp(), images, batch_size=4, device="cpu")
    np.testing.assert_array_equal(fs.features, want.features)
    assert spurwidgets.FeatureSet.open(out).labels.tolist() == [i % 2 for i in range(22)]


def test_imageset_labels_are_kept_in_a_folder_result(tmp_path, images):
    imageset = spurwidgets.datasets.ImageSet(images, np.arange(22) % 4)
    fs = spurwidgets.extract(tiny_mlp(), imageset, out=tmp_path / "r", batch_size=4, device="cpu")
    assert fs.labels.tolist() == (np.arange(22) % 4).tolist()


def test_ray_backend_without_ray_says_how_to_install(monkeypatch, tmp_path, images):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ImportError, match=r"backend='ray' needs Ray: pip install 'spurwidgets\[ray\]'"):
        spurwidgets.extract(tiny_mlp(), images, backend="ray", out=tmp_path / "r", batch_size=4)


def _scale_by(factor):
    return lambda x: x * factor


def test_resume_matches_an_equal_transform_from_a_new_session_and_refuses_another(tmp_path, images):
    # A lambda's repr holds its memory address, so it can never match in a new session: the
    # manifest stores its code instead; a different function is still refused.
    model, out = tiny_mlp(), tmp_path / "run"
    spurwidgets.extract(model, images, out=out, batch_size=4, shard_size=8, transform=_scale_by(2), device="cpu")
    stored = json.loads((out / "manifest.json").read_text())["transform"]
    assert stored.startswith("test_feature_store._scale_by.<locals>.<lambda> ") and " at 0x" not in stored
    (out / "shards" / "000001.npz").unlink()
    before = shard_mtimes(out)
    spurwidgets.extract(model, images, out=out, batch_size=4, shard_size=8, transform=_scale_by(2), device="cpu")
    after = shard_mtimes(out)
    assert after["000000.npz"] == before["000000.npz"] and "000001.npz" in after  # resumed, not redone
    with pytest.raises(ValueError, match=r"holds features of another transform .*overwrite=True"):
        spurwidgets.extract(model, images, out=out, batch_size=4, transform=lambda x: x - 0.5, device="cpu")


class _Shift:
    def __init__(self, offset):
        self.offset = offset

    def __call__(self, batch):
        return batch.float() / 255 + self.offset

    def to_dict(self):  # as a Hugging Face image processor describes its settings
        return {"offset": self.offset}


def test_a_processor_with_other_settings_is_refused_on_resume(tmp_path, images):
    model, out = tiny_mlp(), tmp_path / "run"
    first = spurwidgets.extract(model, images, out=out, batch_size=4, processor=_Shift(0.0), device="cpu")
    again = spurwidgets.extract(model, images, out=out, batch_size=4, processor=_Shift(0.0), device="cpu")
    np.testing.assert_array_equal(np.asarray(again.features), np.asarray(first.features))
    with pytest.raises(ValueError, match=r"holds features of another processor"):
        spurwidgets.extract(model, images, out=out, batch_size=4, processor=_Shift(0.5), device="cpu")
    with pytest.raises(
        ValueError, match=r"holds features of another processor \('_Shift [0-9a-f]{20}', this run None\)"
    ):
        spurwidgets.extract(model, images, out=out, batch_size=4, device="cpu")
