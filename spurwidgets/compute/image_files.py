"""Images kept as files: a map-style Dataset that reads each file when it is indexed.

`ImageFiles` holds only paths (and labels), so it pickles in microseconds: Ray workers given
one receive the paths of their shard and read the pixels themselves instead of the driver
shipping them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from torch.utils.data import Dataset

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class ImageFiles(Dataset):
    """Dataset over image files: item i is the uint8 (H, W, 3) picture, or (picture, label).

    paths : sequence of file paths. labels : optional int per path. size : resize every image
    to size x size (bilinear) so that images of different sizes can be batched.
    """

    def __init__(self, paths: Sequence[str | Path], labels: Any = None, size: int | None = None):
        if isinstance(paths, (str, Path)) or not isinstance(paths, Sequence):
            raise TypeError(f"paths must be a list of image file paths; got {type(paths).__name__}")
        if not paths:
            raise ValueError("paths must not be empty; got 0 paths")
        bad = [p for p in paths if not isinstance(p, (str, Path))]
        if bad:
            raise TypeError(f"paths must hold str or pathlib.Path entries; got {type(bad[0]).__name__}")
        self.paths = [str(p) for p in paths]
        self.labels = None if labels is None else np.asarray(labels, dtype=np.int64).reshape(-1)
        if self.labels is not None and len(self.labels) != len(self.paths):
            raise ValueError(f"labels has {len(self.labels)} entries but paths has {len(self.paths)}")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise ValueError(f"size must be a positive int or None; got {size!r}")
        self.size = size
        self.classes: list[str] = []

    @classmethod
    def from_folder(cls, path: str | Path, size: int | None = None) -> ImageFiles:
        """ImageFolder layout (`path/<class>/<image>`): classes and files in sorted order, as torchvision."""
        root = Path(path)
        if not root.is_dir():
            raise ValueError(
                f"path must be a directory in ImageFolder layout (path/<class>/<image>); got {str(root)!r}"
            )
        classes = sorted(d.name for d in root.iterdir() if d.is_dir())
        paths, labels = [], []
        for label, name in enumerate(classes):
            for file in sorted((root / name).rglob("*")):
                if file.suffix.lower() in IMAGE_SUFFIXES and file.is_file():
                    paths.append(file)
                    labels.append(label)
        if not paths:
            raise ValueError(f"path {str(root)!r} holds no images in path/<class>/<image> layout")
        files = cls(paths, labels, size=size)
        files.classes = classes
        return files

    @classmethod
    def from_table(cls, table: Any, size: int | None = None) -> ImageFiles:
        """From a pandas DataFrame with a `path` column and an optional `label` column."""
        columns = list(getattr(table, "columns", []))
        if "path" not in columns:
            raise ValueError(f"table must have a 'path' column (and optionally 'label'); got columns {columns}")
        labels = table["label"].to_numpy() if "label" in columns else None
        return cls(list(table["path"]), labels, size=size)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Any:
        with PILImage.open(self.paths[index]) as file:
            image = file.convert("RGB")
        if self.size is not None:
            image = image.resize((self.size, self.size), PILImage.Resampling.BILINEAR)
        picture = np.array(image, dtype=np.uint8)  # writable: torch.from_numpy warns otherwise
        return picture if self.labels is None else (picture, int(self.labels[index]))


def as_image_input(images: Any) -> Any:
    """Turn file-based inputs into an `ImageFiles`: a folder path, a list of file paths or a path table.

    Anything else (including a path that is not a folder) is returned unchanged for `ImageSource` to check.
    """
    if isinstance(images, (str, Path)) and Path(images).is_dir():
        return ImageFiles.from_folder(images)
    if isinstance(images, (list, tuple)) and images and all(isinstance(p, (str, Path)) for p in images):
        return ImageFiles(list(images))
    if hasattr(images, "columns") and "path" in list(images.columns):
        return ImageFiles.from_table(images)
    return images
