"""One view over every image form the toolkit accepts.

Images may come as a uint8 array (N, H, W, 3), a float array or tensor (N, 3, H, W) in
[0, 1], an `ImageSet`, a torch `Dataset` yielding `(image, label)` or `image`, or a
`DataLoader`. `ImageSource` validates the form once and then serves float batches for
models (`batches`) and uint8 pictures for display (`uint8`).

Items of Datasets and batches of DataLoaders are checked like arrays: uint8 tensors (CHW as
`read_image`/`PILToTensor` give, or HWC) are divided by 255, float ones must lie in [0, 1]
(0..255 floats or already-normalised tensors are refused instead of silently reaching the
model 255x too large). Dict items or batches as Hugging Face pipelines produce them are
accepted: `{"pixel_values": x, "labels": y}` holds model-ready inputs (passed on unchanged),
`{"image": x, "label": y}` holds images checked as above.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch
from PIL import Image as PILImage
from torch.utils.data import DataLoader, Dataset

from .imageset import ImageSet
from .validation import _describe, stack_images

EXPECTED = (
    "a uint8 array (N, H, W, 3), a float array/tensor (N, 3, H, W) in [0, 1], "
    "an ImageSet, a torch Dataset yielding (image, label) or image, or a DataLoader"
)


IMAGE_KEYS = ("image", "images", "img")
LABEL_KEYS = ("labels", "label")


def _split(item: Any, name: str) -> tuple[Any, Any, bool]:
    """(image, label or None, ready) of one dataset item or loader batch.

    `ready` is True for `{"pixel_values": ...}` dicts: inputs already prepared for the model.
    """
    if isinstance(item, Mapping):
        label = next((item[k] for k in LABEL_KEYS if k in item), None)
        if "pixel_values" in item:
            return item["pixel_values"], label, True
        key = next((k for k in IMAGE_KEYS if k in item), None)
        if key is None:
            raise ValueError(
                f"{name} yields dicts with keys {sorted(map(str, item))}; expected a 'pixel_values' "
                "(model-ready) or 'image' entry, with an optional 'labels'/'label' entry"
            )
        return item[key], label, False
    if isinstance(item, (tuple, list)):
        return item[0], (item[1] if len(item) > 1 else None), False
    return item, None, False


def _range_error(name: str, lo: float, hi: float) -> ValueError:
    return ValueError(
        f"{name} gives float images with values in [{lo:.3g}, {hi:.3g}]; expected [0, 1] "
        "(yield uint8 images for 0..255 values, pass normalisation as transform= or processor=, "
        "or yield {'pixel_values': x, 'labels': y} for inputs already prepared for the model)"
    )


def check_float_range(x: torch.Tensor, name: str) -> None:
    """ValueError unless the float tensor `x` is finite and within [0, 1]."""
    if x.numel() == 0:
        return
    lo, hi = (float(v) for v in torch.aminmax(x.detach()))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"{name} contains NaN or infinite values; expected floats in [0, 1]")
    if lo < 0 or hi > 1:
        raise _range_error(name, lo, hi)


def to_chw_float(x: Any, name: str, *, batched: bool, check_range: bool = True) -> torch.Tensor:
    """A (3, H, W) image or (B, 3, H, W) batch as float in [0, 1], whatever its dtype and layout.

    uint8 (tensor or array) in CHW or HWC layout is divided by 255; floats are range-checked.
    """
    if isinstance(x, PILImage.Image) and not batched:
        x = np.asarray(x.convert("RGB"))
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    ndim = 4 if batched else 3
    what = "batches (B, 3, H, W)" if batched else "items (3, H, W) images, uint8 (H, W, 3) arrays or PIL images"
    if not isinstance(x, torch.Tensor) or x.ndim != ndim or 3 not in (x.shape[-3], x.shape[-1]):
        raise ValueError(f"{name} {what} expected; got {_describe(x)}")
    channels_last = x.shape[-3] != 3
    if x.dtype == torch.uint8:
        x = x.float().div_(255)
    elif not x.is_floating_point():
        raise ValueError(f"{name} gives images of dtype {x.dtype}; expected uint8 (0..255) or float in [0, 1]")
    elif check_range:
        check_float_range(x, name)
    if channels_last:
        x = x.permute(0, 3, 1, 2) if batched else x.permute(2, 0, 1)
    return x.float()


def _item_to_chw_float(item: Any, name: str) -> torch.Tensor:
    """One dataset item (tensor CHW/HWC, uint8 HWC array, PIL image or dict) as float CHW in [0, 1]."""
    image, _, ready = _split(item, name)
    if ready:
        return torch.as_tensor(image).float()
    return to_chw_float(image, name, batched=False)


def _item_label(item: Any) -> int | None:
    label = _split(item, "images")[1]
    if label is None:
        return None
    return int(label.item() if hasattr(label, "item") else label)


def _collate(items: list) -> tuple[torch.Tensor, torch.Tensor | None]:
    images = stack_images([_item_to_chw_float(it, "images") for it in items], "images")
    labels = [_item_label(it) for it in items]
    return images, (None if labels[0] is None else torch.as_tensor(labels))


def _collate_ready(items: list) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """Like `_collate`, also saying whether the items were model-ready pixel_values."""
    ready = _split(items[0], "images")[2]
    images, labels = _collate(items)
    return images, labels, ready


class ImageSource:
    """Validated access to images in any accepted form.

    `len(source)`; `source.batches(batch_size)` yields `(float tensor (B,3,H,W), labels or None)`;
    `source.uint8(indices)` returns display pictures (k, H, W, 3).
    """

    def __init__(self, images: Any, name: str = "images", check_range: bool = True):
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
        for x, y, _ in self.model_batches(batch_size):
            yield x, y

    def model_batches(self, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None, bool]]:
        """(batch, labels or None, ready): like `batches`; `ready` marks model-ready pixel_values dicts."""
        if self._array is not None:
            for start in range(0, len(self), batch_size):
                yield self._float_slice(slice(start, start + batch_size)), None, False
            return
        if self._loader is not None:
            for batch in self._loader:
                x, y, ready = _split(batch, f"{self.name} (DataLoader)")
                if not ready:
                    x = to_chw_float(x, f"{self.name} (DataLoader)", batched=True)
                elif not isinstance(x, torch.Tensor):
                    raise ValueError(f"{self.name} (DataLoader) pixel_values must be a tensor; got {_describe(x)}")
                yield x, (None if y is None else torch.as_tensor(y)), ready
            return
        loader = DataLoader(self._dataset, batch_size=batch_size, shuffle=False, collate_fn=_collate_ready)  # type: ignore[arg-type]
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
