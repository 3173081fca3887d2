"""Adapters from common sources to `ImageSet`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..compute.images import ImageSource
from ..compute.imageset import ImageSet
from ..compute.validation import check_labels


def from_arrays(images: Any, labels: Any, groups: Any = None, class_names: list[str] | None = None) -> ImageSet:
    """ImageSet from any accepted image array (uint8 NHWC or float NCHW in [0, 1]) and labels."""
    source = ImageSource(images)
    pictures = source.uint8(np.arange(len(source)))
    labels = check_labels(labels, "labels", n=len(pictures))
    return ImageSet(images=pictures, labels=labels, groups=groups, class_names=class_names or [])


def from_torch(dataset: Any, limit: int | None = None) -> ImageSet:
    """ImageSet from a torch Dataset yielding (image, label); images are converted to uint8."""
    source = ImageSource(dataset, name="dataset")
    n = len(source) if limit is None else min(limit, len(source))
    pictures, labels = [], []
    for x, y in source.batches(256):
        pictures.append(x.clamp(0, 1).mul(255).round().byte().permute(0, 2, 3, 1).numpy())
        if y is None:
            raise ValueError("dataset must yield (image, label) pairs to build an ImageSet")
        labels.append(y.numpy())
        if sum(len(p) for p in pictures) >= n:
            break
    names = list(getattr(dataset, "classes", []) or [])
    return ImageSet(images=np.concatenate(pictures)[:n], labels=np.concatenate(labels)[:n], class_names=names)


def from_folder(path: str | Path, size: int | None = 64) -> ImageSet:
    """ImageSet from an ImageFolder layout (`path/<class>/<image>`), resized to size x size."""
    from torchvision import datasets, transforms  # torchvision.datasets (heavy) only for from_folder

    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"path must be a directory in ImageFolder layout (path/<class>/<image>); got {str(path)!r}")
    steps = [transforms.Resize((size, size))] if size else []
    folder = datasets.ImageFolder(str(path), transform=transforms.Compose([*steps, transforms.ToTensor()]))
    imageset = from_torch(folder)
    imageset.class_names = list(folder.classes)
    return imageset
