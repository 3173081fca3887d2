"""Throughput of `spurwidgets.extract` versus a bare `torch.no_grad()` loop over the same batches.

Both paths run the same model on the same uint8 images with the same batch size; the bare loop
converts each batch to float, runs the model and keeps logits and hooked features, which is the
least any extraction must do. Runs alternate (A B A B ...) so machine noise hits both alike.

    python benchmarks/bench_extract.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torchvision.models import resnet18

import spurwidgets
from spurwidgets.models import SmallCNN


def bare_loop(model, images, batch_size):
    feats, logits = [], []
    handle = model.fc.register_forward_pre_hook(lambda m, inp: feats.append(inp[0]))
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = torch.from_numpy(images[start : start + batch_size]).permute(0, 3, 1, 2).float().div_(255)
            logits.append(model(x))
    handle.remove()
    return torch.cat(feats).numpy(), torch.cat(logits).numpy()


def bare_hf_loop(model, images, batch_size):
    """The same for a transformers classifier: pixel_values=, ModelOutput.logits, hook on `classifier`."""
    feats, logits = [], []
    handle = model.classifier.register_forward_pre_hook(lambda m, inp: feats.append(inp[0]))
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = torch.from_numpy(images[start : start + batch_size]).permute(0, 3, 1, 2).float().div_(255)
            logits.append(model(pixel_values=x).logits)
    handle.remove()
    return torch.cat(feats).numpy(), torch.cat(logits).numpy()


def small_hf_vit():
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(0)
    config = ViTConfig(image_size=32, patch_size=4, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=128, num_labels=10)  # fmt: skip
    return ViTForImageClassification(config)


def measure(name, model, images, batch_size, repeats, bare_loop=bare_loop):
    model.eval()
    bare_times, ours_times = [], []
    bare_loop(model, images[:batch_size], batch_size)  # warm-up both paths
    spurwidgets.extract(model, images[:batch_size], batch_size=batch_size, device="cpu")
    for _ in range(repeats):
        t = time.perf_counter()
        bare_loop(model, images, batch_size)
        bare_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        spurwidgets.extract(model, images, batch_size=batch_size, device="cpu")
        ours_times.append(time.perf_counter() - t)
    bare, ours = np.median(bare_times), np.median(ours_times)
    print(
        f"{name:<28} N={len(images):>5}  bare {len(images) / bare:8.0f} img/s  "
        f"extract {len(images) / ours:8.0f} img/s  throughput ratio {bare / ours:.3f}x"
    )
    return bare / ours


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    repeats = 3 if args.quick else 7
    n_small, n_big = (1024, 64) if args.quick else (8192, 1024)
    ratios = [
        measure("SmallCNN 28x28", SmallCNN(), rng.integers(0, 256, (n_small, 28, 28, 3), dtype=np.uint8), 256, repeats),
        measure(
            "resnet18 64x64",
            resnet18(weights=None),
            rng.integers(0, 256, (n_big, 64, 64, 3), dtype=np.uint8),
            64,
            repeats,
        ),
        measure(
            "HF ViT (tiny, random) 32x32",
            small_hf_vit(),
            rng.integers(0, 256, (n_big, 32, 32, 3), dtype=np.uint8),
            64,
            repeats,
            bare_loop=bare_hf_loop,
        ),
    ]
    print(f"min throughput ratio extract/bare: {min(ratios):.3f}x (goal >= 0.95x)")


if __name__ == "__main__":
    main()
