"""extract(backend="ray"): a Ray Data actor pool gives exactly the local results, in order, resumably."""

import os

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import TensorDataset

import spurwidgets

ray = pytest.importorskip("ray")


def tiny_mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5), nn.ReLU(), nn.Linear(5, 2))


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    """One small local Ray for the module (or the cluster RAY_ADDRESS names), shut down at the end."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    started = not ray.is_initialized()
    if started:
        for attempt in range(2):  # a busy machine can miss Ray's node start-up timeout once
            try:
                ray.init() if os.environ.get("RAY_ADDRESS") else ray.init(num_cpus=2, include_dashboard=False)
                break
            except Exception:
                ray.shutdown()
                if attempt:
                    raise
    yield
    if started:
        ray.shutdown()


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(26, 4, 4, 3), dtype=np.uint8)


def shard_mtimes(folder):
    return {p.name: p.stat().st_mtime_ns for p in sorted((folder / "shards").iterdir()) if p.suffix == ".npz"}


def test_ray_equals_local_exactly_in_order_for_a_uint8_array(tmp_path, images):
    model = tiny_mlp()
    want = spurwidgets.extract(model, images, batch_size=4, device="cpu")
    fs = spurwidgets.extract(
        model, images, backend="ray", out=tmp_path / "r", batch_size=4, shard_size=8, concurrency=2, device="cpu"
    )
    assert sorted(shard_mtimes(tmp_path / "r")) == [f"{k:06d}.npz" for k in range(4)]
    assert isinstance(fs.features, np.memmap)
    np.testing.assert_array_equal(fs.features, want.features)
    np.testing.assert_array_equal(fs.logits, want.logits)


def test_ray_equals_local_for_a_dataset_with_labels(tmp_path, images):
    floats = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    dataset = TensorDataset(floats, torch.arange(26) % 3)
    want = spurwidgets.extract(tiny_mlp(), dataset, batch_size=4, device="cpu")
    fs = spurwidgets.extract(tiny_mlp(), dataset, backend="ray", out=tmp_path / "r", batch_size=4, shard_size=4)
    np.testing.assert_array_equal(fs.features, want.features)
    assert fs.labels.tolist() == (np.arange(26) % 3).tolist()


def test_ray_workers_read_a_list_of_image_files(tmp_path, images):
    paths = []
    for i, picture in enumerate(images):
        paths.append(tmp_path / f"{i:03d}.png")
        Image.fromarray(picture).save(paths[-1])
    want = spurwidgets.extract(tiny_mlp(), images, batch_size=4, device="cpu")
    fs = spurwidgets.extract(tiny_mlp(), paths, backend="ray", out=tmp_path / "r", batch_size=4, shard_size=8)
    np.testing.assert_array_equal(fs.features, want.features)
    np.testing.assert_array_equal(fs.logits, want.logits)


def test_ray_rerun_recomputes_only_the_deleted_shard(tmp_path, images):
    model, out = tiny_mlp(), tmp_path / "r"
    first = np.array(spurwidgets.extract(model, images, backend="ray", out=out, batch_size=4, shard_size=8).logits)
    for name in shard_mtimes(out):
        os.utime(out / "shards" / name, ns=(1, 1))
    (out / "shards" / "000002.npz").unlink()
    again = spurwidgets.extract(model, images, backend="ray", out=out, batch_size=4, shard_size=8)
    after = shard_mtimes(out)
    assert {name for name, t in after.items() if t != 1} == {"000002.npz"}
    assert len(after) == 4
    np.testing.assert_array_equal(again.logits, first)


def test_ray_refuses_a_folder_of_another_model_unless_overwrite(tmp_path, images):
    out = tmp_path / "r"
    spurwidgets.extract(tiny_mlp(0), images, backend="ray", out=out, batch_size=4)
    with pytest.raises(ValueError, match=r"holds features of another model .*pass overwrite=True"):
        spurwidgets.extract(tiny_mlp(1), images, backend="ray", out=out, batch_size=4)
    fs = spurwidgets.extract(tiny_mlp(1), images, backend="ray", out=out, batch_size=4, overwrite=True)
    np.testing.assert_array_equal(
        fs.logits, spurwidgets.extract(tiny_mlp(1), images, batch_size=4, device="cpu").logits
    )
    reopened = spurwidgets.FeatureSet.open(out)
    assert isinstance(reopened.logits, np.memmap)
    np.testing.assert_array_equal(reopened.logits, fs.logits)


def test_ray_backend_needs_an_out_folder(images):
    with pytest.raises(ValueError, match=r"backend='ray' needs out=<folder>"):
        spurwidgets.extract(tiny_mlp(), images, backend="ray")
