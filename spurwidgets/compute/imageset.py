"""`ImageSet`: images with labels and optional group labels, the toolkit's data container."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from .validation import _describe, check_labels


@dataclass
class ImageSet:
    """uint8 images (N, H, W, 3) with int labels (N,) and optional groups (N,).

    Slicing (`s[10:20]`, `s[mask]`, `s[indices]`) returns a new ImageSet; `as_torch()`
    gives a Dataset yielding `(float tensor (3, H, W) in [0, 1], label)`.
    """

    images: np.ndarray
    labels: np.ndarray
    groups: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        images = self.images
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"images must be a uint8 array (N, H, W, 3); got {_describe(images)}")
        self.labels = check_labels(self.labels, "labels", n=len(images))
        if self.groups is not None:
            self.groups = check_labels(self.groups, "groups", n=len(images))
        if not self.class_names:
            self.class_names = [str(c) for c in range(int(self.labels.max()) + 1)]
        if len(self.class_names) <= int(self.labels.max()):
            raise ValueError(f"class_names has {len(self.class_names)} names but labels go up to {self.labels.max()}")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def __getitem__(self, index: Any) -> ImageSet:
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return ImageSet(
            images=self.images[index],
            labels=self.labels[index],
            groups=None if self.groups is None else self.groups[index],
            class_names=list(self.class_names),
            group_names=list(self.group_names),
        )

    def as_torch(self) -> Dataset:
        """A torch Dataset yielding (float (3, H, W) in [0, 1], int label)."""
        return _TorchView(self)

    def __repr__(self) -> str:
        h, w = self.images.shape[1:3]
        groups = "" if self.groups is None else f", {len(np.unique(self.groups))} groups"
        return f"ImageSet({len(self)} images {h}x{w}, {self.n_classes} classes{groups})"


class _TorchView(Dataset):
    def __init__(self, imageset: ImageSet):
        self.imageset = imageset

    def __len__(self) -> int:
        return len(self.imageset)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = torch.from_numpy(self.imageset.images[i]).permute(2, 0, 1).float().div_(255)
        return image, int(self.imageset.labels[i])
