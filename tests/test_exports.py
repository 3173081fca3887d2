"""Selections out of the widgets: `to_pandas()` rows/columns and `export_images()` files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spurwidgets.datasets import ImageSet
from spurwidgets.widgets import ClusterGallery, ImageGallery, LatentScatter, LogitCurve
from spurwidgets.widgets.exports import folder_names


@pytest.fixture()
def data() -> ImageSet:
    """10 tiny images whose red channel is the index; labels cat/dog alternate; 3 groups."""
    pictures = np.zeros((10, 4, 4, 3), dtype=np.uint8)
    pictures[..., 0] = np.arange(10, dtype=np.uint8)[:, None, None]
    return ImageSet(
        pictures,
        np.array([0, 1] * 5),
        groups=np.arange(10) % 3,
        class_names=["cat", "dog"],
        group_names=["g0", "g1", "g2"],
    )


def written(folder) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def red(path) -> int:
    pixels = np.asarray(Image.open(path).convert("RGB"))
    assert pixels.shape == (4, 4, 3)
    return int(np.unique(pixels[..., 0]).item())


def test_logit_curve_window_to_pandas_has_label_class_and_logit(data):
    logits = np.linspace(-1, 1, 10)
    curve = LogitCurve(logits, labels=data.labels, window=(-0.3, 0.3), class_names=["cat", "dog"])
    frame = curve.to_pandas()
    assert frame.index.name == "index" and frame.index.tolist() == [4, 5]
    assert list(frame.columns) == ["label", "class_name", "logit"]
    assert frame["label"].tolist() == [0, 1] and frame["class_name"].tolist() == ["cat", "dog"]
    assert frame["logit"].to_numpy() == pytest.approx(logits[[4, 5]])
    with_groups = curve.to_pandas(images=data)
    assert with_groups["group"].tolist() == [1, 2] and with_groups["group_name"].tolist() == ["g1", "g2"]


def test_logit_curve_exports_its_window_as_an_image_folder_given_the_images(data, tmp_path):
    curve = LogitCurve(np.linspace(-1, 1, 10), labels=data.labels, window=(-0.5, 0.3))
    paths = curve.export_images(tmp_path, images=data)
    assert written(tmp_path) == ["cat/4.png", "dog/3.png", "dog/5.png"]
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["dog/3.png", "cat/4.png", "dog/5.png"]
    assert [red(p) for p in paths] == [3, 4, 5]  # the right picture in each file
    with pytest.raises(ValueError, match=r"LogitCurve holds no images: pass images="):
        curve.export_images(tmp_path / "other")


def test_lasso_to_pandas_has_coordinates_and_colourings(data, tmp_path):
    points = np.stack([np.arange(10), 2 * np.arange(10)], axis=1).astype(np.float32)
    scatter = LatentScatter(points, color={"cluster": np.arange(10) // 5, "p": np.linspace(0, 1, 10)}, images=data)
    scatter.select_box(1.5, -1, 4.5, 100)
    frame = scatter.to_pandas()
    assert frame.index.tolist() == [2, 3, 4]
    assert list(frame.columns) == ["label", "class_name", "x", "y", "cluster", "p"]
    assert frame["x"].tolist() == [2, 3, 4] and frame["y"].tolist() == [4, 6, 8]
    assert frame["cluster"].tolist() == [0, 0, 0] and frame["p"].to_numpy() == pytest.approx([2 / 9, 3 / 9, 4 / 9])
    scatter.export_images(tmp_path)
    assert written(tmp_path) == ["0/2.png", "0/4.png", "1/3.png"]  # the scatter keeps labels, not names
    scatter.export_images(tmp_path / "named", images=data)
    assert written(tmp_path / "named") == ["cat/2.png", "cat/4.png", "dog/3.png"]


def test_scatter_without_labels_exports_into_unlabelled(tmp_path):
    pictures = np.full((3, 2, 2, 3), 7, dtype=np.uint8)
    scatter = LatentScatter(np.eye(3)[:, :2], images=pictures)
    scatter.selection = [0, 2]
    assert list(scatter.to_pandas().columns) == ["x", "y"]
    scatter.export_images(tmp_path)
    assert written(tmp_path) == ["unlabelled/0.png", "unlabelled/2.png"]


def test_image_gallery_exports_the_clicked_images_sorted_with_groups_and_scores(data, tmp_path):
    gallery = ImageGallery(data, scores=np.arange(10) / 10, score_name="margin")
    gallery.selection = [7, 2]
    frame = gallery.to_pandas()
    assert frame.index.tolist() == [2, 7]
    assert list(frame.columns) == ["label", "class_name", "group", "group_name", "margin"]
    assert frame["group"].tolist() == [2, 1] and frame["margin"].tolist() == [0.2, 0.7]
    gallery.export_images(tmp_path)
    assert written(tmp_path) == ["cat/2.png", "dog/7.png"]
    every_shown = gallery.to_pandas(gallery.indices)
    assert every_shown.index.tolist() == list(range(10))


def test_cluster_gallery_exports_marked_clusters_by_tag_or_id(data, tmp_path):
    gallery = ClusterGallery(data, np.array([5, 5, 6, 6, 7]), indices=[1, 3, 4, 6, 8])
    gallery.marked = {5: "minority", 7: "majority"}
    frame = gallery.to_pandas()  # every marked cluster
    assert frame.index.tolist() == [1, 3, 8]
    assert list(frame.columns) == ["label", "class_name", "cluster", "tag"]
    assert frame["cluster"].tolist() == [5, 5, 7] and frame["tag"].tolist() == ["minority", "minority", "majority"]
    assert gallery.to_pandas(tag="minority").index.tolist() == [1, 3]
    unmarked = gallery.to_pandas(clusters=[6], images=data)
    assert unmarked.index.tolist() == [4, 6] and unmarked["tag"].tolist() == ["", ""]
    assert unmarked["group"].tolist() == [1, 0]
    gallery.export_images(tmp_path, tag="minority")
    assert written(tmp_path) == ["dog/1.png", "dog/3.png"]
    with pytest.raises(ValueError, match=r"indices must be images the gallery shows; \[0\] are not shown"):
        gallery.to_pandas([0, 1])
    with pytest.raises(ValueError, match=r"clusters \[9\] are not shown; clusters: \[5, 6, 7\]"):
        gallery.to_pandas(clusters=[9])
    with pytest.raises(ValueError, match=r"tag must be one of \['minority', 'majority'\]; got 'rare'"):
        gallery.export_images(tmp_path, tag="rare")


def test_exports_refuse_bad_indices_and_mismatched_images(data, tmp_path):
    curve = LogitCurve(np.linspace(-1, 1, 10), labels=data.labels)
    with pytest.raises(ValueError, match=r"indices must be in 0..9 \(there are 10 images\); got range 3..10"):
        curve.to_pandas([3, 10])
    with pytest.raises(ValueError, match=r"images has 5 entries but the widget has 10 samples"):
        curve.export_images(tmp_path, images=data[:5])
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"folder must be a directory"):
        curve.export_images(tmp_path / "file", [1], images=data)


def test_empty_selection_gives_an_empty_frame_and_no_files(data, tmp_path):
    curve = LogitCurve(np.linspace(-1, 1, 10), labels=data.labels, window=(5.0, 6.0))
    frame = curve.to_pandas()
    assert len(frame) == 0 and list(frame.columns) == ["label", "class_name", "logit"]
    assert curve.export_images(tmp_path, images=data) == [] and written(tmp_path) == []


def test_folder_names_are_safe_and_distinct():
    names = folder_names(["a/b", "..", "a_b", ""], np.array([0, 1, 2, 3]))
    assert names == {0: "a_b", 1: "_1", 2: "a_b_2", 3: "class_3"}
