"""ImageFiles: resizing to `size` and its exact messages (mutation survivors in compute/image_files.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spurwidgets.datasets import ImageFiles


def test_size_resizes_every_picture_to_a_square(tmp_path):
    paths = []
    for i, (h, w) in enumerate([(6, 10), (12, 4)]):
        path = tmp_path / f"{i}.png"
        Image.fromarray(np.full((h, w, 3), 40 * (i + 1), dtype=np.uint8)).save(path)
        paths.append(path)
    files = ImageFiles(paths, labels=[3, 5], size=8)
    pictures = [files[i] for i in range(2)]
    assert [p.shape for p, _ in pictures] == [(8, 8, 3), (8, 8, 3)]
    assert [label for _, label in pictures] == [3, 5]
    # a constant image stays constant when resized
    assert (pictures[0][0] == 40).all() and (pictures[1][0] == 80).all()
    assert ImageFiles(paths)[0].shape == (6, 10, 3)  # no size: the file's own shape


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ("a.png", r"^paths must be a list of image file paths; got str$"),
        ([Path("a.png"), 3], r"^paths must hold str or pathlib.Path entries; got int$"),
    ],
)
def test_bad_paths_give_the_full_message(paths, message):
    with pytest.raises(TypeError, match=message):
        ImageFiles(paths)


def test_from_folder_finds_jpg_files_of_any_case(tmp_path):
    for cls, name in (("a", "x.jpg"), ("b", "y.JPG"), ("b", "notes.txt")):
        (tmp_path / cls).mkdir(exist_ok=True)
        path = tmp_path / cls / name
        if name.endswith("txt"):
            path.write_text("not an image")
        else:
            Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).save(path, format="JPEG")
    files = ImageFiles.from_folder(tmp_path)
    assert [Path(p).name for p in files.paths] == ["x.jpg", "y.JPG"]
    assert files.labels.tolist() == [0, 1] and files.classes == ["a", "b"]


def test_from_folder_reads_jpeg_and_webp_files_and_skips_others(tmp_path):
    (tmp_path / "cat").mkdir()
    picture = Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8))
    for name in ("a.jpeg", "b.webp", "c.JPEG"):
        picture.save(tmp_path / "cat" / name)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    files = ImageFiles.from_folder(tmp_path)
    assert [Path(p).name for p in files.paths] == ["a.jpeg", "b.webp", "c.JPEG"]


def test_a_table_with_a_path_column_becomes_image_files_and_others_pass_through(tmp_path):
    import pandas as pd

    from spurwidgets.compute.image_files import as_image_input

    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).save(path)
    files = as_image_input(pd.DataFrame({"path": [str(path)], "label": [1]}))
    assert isinstance(files, ImageFiles) and len(files) == 1
    other = pd.DataFrame({"file": [str(path)]})
    assert as_image_input(other) is other
