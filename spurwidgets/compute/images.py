"""One view over every image form the toolkit accepts.

Images may come as a uint8 array (N, H, W, 3), a float array or tensor (N, 3, H, W) in
[0, 1], an `ImageSet`, a torch `Dataset` yielding `(image, label)` or `image`, or a
`DataLoader`. `ImageSource` validates the form once and then serves float batches for
models (`batches`) and uint8 pictures for display (`uint8`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from PIL import Image as PILImage
from torch.utils.data import DataLoader, Dataset

from .validation import _describe, stack_images

EXPECTED = (
    "a uint8 array (N, H, W, 3), a float array/tensor (N, 3, H, W) in [0, 1], "
    "an ImageSet, a torch Dataset yielding (image, label) or image, or a DataLoader"
)


def _item_to_chw_float(item: Any, name: str) -> torch.Tensor:
    """One dataset item (tensor CHW, uint8 HWC array or PIL image) as float CHW in [0, 1]."""
    if isinstance(item, (tuple, list)):
        item = item[0]
    if isinstance(item, PILImage.Image):
        item = np.asarray(item.convert("RGB"))
    if isinstance(item, np.ndarray):
        if item.dtype == np.uint8 and item.ndim == 3 and item.shape[-1] == 3:
            return torch.from_numpy(item).permute(2, 0, 1).float().div_(255)
        item = torch.from_numpy(np.asarray(item, dtype=np.float32))
    if not isinstance(item, torch.Tensor) or item.ndim != 3 or item.shape[0] != 3:
        raise ValueError(
            f"{name} items must be images (3, H, W) tensors, uint8 (H, W, 3) arrays or PIL images; got {_describe(item)}"
        )
    return item.float()


def _item_label(item: Any) -> int | None:
    if isinstance(item, (tuple, list)) and len(item) > 1:
        label = item[1]
        return int(label.item() if hasattr(label, "item") else label)
    return None


def _collate(items: list) -> tuple[torch.Tensor, torch.Tensor | None]:
    images = stack_images([_item_to_chw_float(it, "images") for it in items], "images")
    labels = [_item_label(it) for it in items]
    return images, (None if labels[0] is None else torch.as_tensor(labels))


class ImageSource:
    """Validated access to images in any accepted form.

    `len(source)`; `source.batches(batch_size)` yields `(float tensor (B,3,H,W), labels or None)`;
    `source.uint8(indices)` returns display pictures (k, H, W, 3).
    """

    def __init__(self, images: Any, name: str = "images", check_range: bool = True):
        from ..datasets.imageset import ImageSet

        self.name = name
        self._array: np.ndarray | torch.Tensor | None = None
        self._dataset: Dataset | None = None
        self._loader: DataLoader | None = None
        self.labels: np.ndarray | None = None
        if isinstance(images, ImageSet):
            self.labels = images.labels
            images = images.images
        if isinstance(images, DataLoader):
            self._loader = images
            self._dataset = images.dataset
        elif isinstance(images, Dataset):
            self._dataset = images
        elif isinstance(images, (np.ndarray, torch.Tensor)):
            self._array = self._check_array(images, check_range)
        else:
            raise TypeError(f"{name} must be {EXPECTED}; got {_describe(images)}")
        if len(self) == 0:
            raise ValueError(f"{name} must not be empty; got 0 images")

    def _check_array(self, array: np.ndarray | torch.Tensor, check_range: bool) -> np.ndarray | torch.Tensor:
        name = self.name
        if array.ndim == 4 and array.dtype in (np.uint8, torch.uint8) and array.shape[-1] == 3:
            return array
        is_float = array.dtype in (torch.float16, torch.float32, torch.float64) or (
            isinstance(array, np.ndarray) and array.dtype.kind == "f"
        )
        if array.ndim == 4 and is_float and array.shape[1] == 3:
            if check_range and len(array):
                lo, hi = float(array.min()), float(array.max())
                if not (np.isfinite(lo) and np.isfinite(hi)):
                    raise ValueError(f"{name} contains NaN or infinite values; expected floats in [0, 1]")
                if lo < 0 or hi > 1:
                    raise ValueError(
                        f"{name} is a float array with values in [{lo:.3g}, {hi:.3g}]; expected [0, 1] "
                        "(pass uint8 (N, H, W, 3) for 0..255 images, and normalisation as transform=)"
                    )
            return array
        if array.ndim == 4 and array.shape[-1] == 3 and is_float:
            raise ValueError(
                f"{name} is a float array in (N, H, W, 3) layout; expected float (N, 3, H, W) or uint8 (N, H, W, 3)"
            )
        raise ValueError(f"{name} must be {EXPECTED}; got {_describe(array)}")

    def __len__(self) -> int:
        if self._array is not None:
            return int(self._array.shape[0])
        assert self._dataset is not None
        try:
            return len(self._dataset)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"{self.name} is a Dataset without __len__; expected a map-style Dataset") from None

    @property
    def is_uint8(self) -> bool:
        return self._array is not None and self._array.dtype in (np.uint8, torch.uint8)

    def batches(self, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        """Float (B, 3, H, W) batches in [0, 1], with dataset labels when the items carry them."""
        if self._array is not None:
            for start in range(0, len(self), batch_size):
                yield self._float_slice(slice(start, start + batch_size)), None
            return
        if self._loader is not None:
            for batch in self._loader:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                y = batch[1] if isinstance(batch, (tuple, list)) and len(batch) > 1 else None
                if x.dtype == torch.uint8 and x.ndim == 4 and x.shape[-1] == 3:
                    x = x.permute(0, 3, 1, 2).float().div_(255)
                yield x, (None if y is None else torch.as_tensor(y))
            return
        loader = DataLoader(self._dataset, batch_size=batch_size, shuffle=False, collate_fn=_collate)  # type: ignore[arg-type]
        yield from loader

    def _float_slice(self, index: Any) -> torch.Tensor:
        part = self._array[index]  # type: ignore[index]
        tensor = torch.from_numpy(np.ascontiguousarray(part)) if isinstance(part, np.ndarray) else part
        if tensor.dtype == torch.uint8:
            return tensor.permute(0, 3, 1, 2).float().div_(255)
        return tensor.float()

    def float_images(self, indices: Any) -> torch.Tensor:
        """Float (k, 3, H, W) tensor of the images at `indices` (for gradients and attacks)."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self._array is not None:
            return self._float_slice(indices)
        return stack_images([_item_to_chw_float(self._dataset[int(i)], self.name) for i in indices], self.name)  # type: ignore[index]

    def uint8(self, indices: Any) -> np.ndarray:
        """uint8 (k, H, W, 3) pictures of the images at `indices`, for display."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if self.is_uint8:
            part = self._array[indices]  # type: ignore[index]
            return part if isinstance(part, np.ndarray) else part.numpy()
        floats = self.float_images(indices)
        return (floats.clamp(0, 1).mul(255).round().byte().permute(0, 2, 3, 1)).numpy()
