"""Experiment: can a pretrained backbone that knows colour AND shape raise the oracle (issue 12)?

Pretraining variants (`PRE`, `pretrain`): "v3" the current 10-way digit identity on random
stroke colours (PRETRAIN_VERSION 3, same recipe); "hue6" a joint target digit x stroke-hue
sector (6 sectors: 60 classes); "mt6w<w>" two heads, digit identity + hue sector, loss
CE(digit) + w * CE(hue). The aim: features that carry colour as well as shape (as ImageNet
features carry colour and background as well as objects), so that a gently fine-tuned (or
frozen) backbone keeps its shape features while the ERM head still leans on colour.
Stop 21: "w64", "c16e15", ... more capacity; "x128"/"x256"/"x512" widen the last block
with a 1x1 conv (`SmallCNN(feature_dim=)`; "x256" is PRETRAIN_VERSION 4). Fine-tuning
variants (`FINE`): `FINETUNE`-style dicts; "freeze_from" keeps `features[i:]` as
pretrained. "frozen" column: the pretrained backbone's own group-oracle probe. For each: the ERM model's test WGA/overall and the val-split refits (MID
default, JTT, oracle) as in `bench_mid.evaluate`. Weights and features are cached in
$EXP_CACHE (default /tmp/bb).

    nice -n 15 .venv/bin/python benchmarks/exp_backbone.py --seeds 4 5 --kinds color patch texture
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import spurwidgets
from spurwidgets import metrics
from spurwidgets.compute.mid import MID
from spurwidgets.compute.refit import refit_head
from spurwidgets.datasets import colored_digits
from spurwidgets.datasets.digits import pretraining_digits
from spurwidgets.models import SmallCNN, train_classifier

CACHE = Path(os.environ.get("EXP_CACHE", "/tmp/bb"))


def hue_bins(images: np.ndarray, bins: int) -> np.ndarray:
    """Hue sector (0..bins-1) of each image's mean stroke colour."""
    x = images.astype(np.float32) / 255
    bright = x.max(axis=3)
    weight = (bright > 0.3).astype(np.float32)[..., None]
    rgb = (x * weight).sum(axis=(1, 2)) / np.maximum(weight.sum(axis=(1, 2)), 1)
    r, g, b = rgb.T
    hue = np.arctan2(np.sqrt(3) * (g - b), 2 * r - g - b)  # angle on the colour wheel
    return np.floor((hue + np.pi) / (2 * np.pi) * bins).astype(np.int64) % bins


def multitask(model, images, digits, colours, *, epochs, weight, seed, batch_size=64, lr=3e-3):
    """Adam + cosine, loss = CE(digit head) + weight * CE(colour head): the colour head is the
    fc's last outputs, so the digit head stays a pure shape read-out."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    d, c = torch.from_numpy(digits), torch.from_numpy(colours)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    total = epochs * ((len(x) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5 * (1 + np.cos(np.pi * step / total)))
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch_size):
            b = order[start : start + batch_size]
            out = model(x[b])
            loss = F.cross_entropy(out[:, :10], d[b]) + weight * F.cross_entropy(out[:, 10:], c[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def pretrain(
    seed: int,
    bins: int = 0,
    epochs: int = 6,
    copies: int | None = None,
    weight: float = 0.0,
    width: int = 32,
    feature_dim: int | None = None,
) -> SmallCNN:
    tag = f"_w{weight}" if weight else ""
    tag += (f"_width{width}" if width != 32 else "") + (f"_f{feature_dim}" if feature_dim else "")
    path = CACHE / f"pre_b{bins}_e{epochs}_c{copies}{tag}_s{seed}.pt"
    n = 10 + bins if weight else 10 * max(bins, 1)
    model = SmallCNN(n_classes=n, width=width, random_state=seed, batch_norm=True, feature_dim=feature_dim)
    if path.exists():
        model.load_state_dict(torch.load(path, weights_only=True))
        return model.eval()
    data = pretraining_digits(random_state=seed, copies=copies)
    labels = data.labels if not bins else data.labels * bins + hue_bins(data.images, bins)
    start = time.perf_counter()
    if weight:
        multitask(model, data.images, data.labels, hue_bins(data.images, bins), epochs=epochs, weight=weight, seed=seed)
    else:
        train_classifier(model, data.images, labels, epochs=epochs, lr=3e-3, cosine=True, random_state=seed,
                         device="cpu", progress=False)  # fmt: skip
    print(f"  pretrained bins={bins} e={epochs} c={copies} s={seed} in {time.perf_counter() - start:.0f}s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


def task(kind: str, seed: int, pre: dict, fine: dict):
    key = f"{kind}_s{seed}_pre" + "_".join(f"{k}{v}" for k, v in sorted(pre.items()))
    key += "_fine" + "_".join(f"{k}{v}" for k, v in sorted(fine.items()))
    path = CACHE / f"feat_{key}.npz"
    if path.exists():
        return dict(np.load(path))
    train = colored_digits("train", shortcut=kind, random_state=seed)
    val = colored_digits("val", shortcut=kind, random_state=seed)
    test = colored_digits("test", shortcut=kind, random_state=seed)
    backbone = pretrain(seed, **pre)
    # the frozen backbone's group-oracle probe: how much shape the pretrained features carry
    pv, pt = spurwidgets.extract(backbone, val, device="cpu"), spurwidgets.extract(backbone, test, device="cpu")
    probe = refit_head(pv.features, val.labels, groups=val.groups, device="cpu").predict(pt.features)
    frozen = metrics.worst_group_accuracy(test.labels, probe, test.groups)
    model = SmallCNN(2, backbone.width, seed, batch_norm=True, feature_dim=backbone.feature_dim)
    model.features.load_state_dict(backbone.features.state_dict())
    fine = dict(fine)
    freeze_from = fine.pop("freeze_from", None)
    if freeze_from is not None:  # keep the later conv blocks as pretrained: only earlier ones + head learn
        for param in model.features[freeze_from:].parameters():
            param.requires_grad_(False)
    train_classifier(model, train, random_state=seed, device="cpu", progress=False, **fine)
    fv, ft = spurwidgets.extract(model, val, device="cpu"), spurwidgets.extract(model, test, device="cpu")
    out = {"x": fv.features, "l": fv.logits, "y": val.labels, "g": val.groups,
           "xt": ft.features, "lt": ft.logits, "yt": test.labels, "gt": test.groups, "frozen": frozen}  # fmt: skip
    np.savez(path, **out)
    return out


def evaluate(d: dict, seed: int) -> dict[str, float]:
    x, logits, y, g, xt, lt, yt, gt = (d[k] for k in ("x", "l", "y", "g", "xt", "lt", "yt", "gt"))
    mid = MID(random_state=seed, device="cpu").fit(x, logits, y)
    wrong = logits.argmax(1) != y
    heads = {
        "MID": mid.refit(),
        "JTT": refit_head(x, y, groups=2 * y + wrong, device="cpu"),
        "oracle": refit_head(x, y, groups=g, device="cpu"),
    }
    preds = {"ERM": lt.argmax(1)} | {name: head.predict(xt) for name, head in heads.items()}
    row = {"frozen wga": float(d.get("frozen", np.nan))}
    row |= {f"{n} wga": metrics.worst_group_accuracy(yt, p, gt) for n, p in preds.items()}
    row |= {f"{n} acc": float((p == yt).mean()) for n, p in preds.items()}
    return row


PRE = {
    "v3": {},
    "hue6": {"bins": 6},
    "mt6w.2": {"bins": 6, "weight": 0.2},
    "mt6w.05": {"bins": 6, "weight": 0.05},
    "mt6w.1": {"bins": 6, "weight": 0.1},
    "mt6w.15": {"bins": 6, "weight": 0.15},
    "mt6w.1e10": {"bins": 6, "weight": 0.1, "epochs": 10},
    # stop 21: more capacity for shape (wider, longer, more copies) and a widened last block
    "w64": {"width": 64, "epochs": 10},
    "c16e15": {"copies": 16, "epochs": 15},
    "w64c16e15": {"width": 64, "copies": 16, "epochs": 15},
    "x128": {"feature_dim": 128},
    "x256": {"feature_dim": 256},  # PRETRAIN_VERSION 4, adopted
    "x512": {"feature_dim": 512},
    "w64x256": {"width": 64, "epochs": 10, "feature_dim": 256},
}
FINE = {
    "ft2": {"epochs": 2, "lr": 1e-4, "head_lr": 3e-3},
    "ft2lr3e-5": {"epochs": 2, "lr": 3e-5, "head_lr": 3e-3},
    "ft1": {"epochs": 1, "lr": 1e-4, "head_lr": 3e-3},
    "frozen": {"epochs": 2, "lr": 1e-7, "head_lr": 3e-3},
    "block1": {"epochs": 2, "lr": 1e-4, "head_lr": 3e-3, "freeze_from": 4},
    "block1lr1e-3": {"epochs": 2, "lr": 1e-3, "head_lr": 3e-3, "freeze_from": 4},
    "conv1": {"epochs": 2, "lr": 1e-3, "head_lr": 3e-3, "freeze_from": 1},
    "ft3": {"epochs": 3, "lr": 1e-4, "head_lr": 3e-3},
    "ft2lr3e-4": {"epochs": 2, "lr": 3e-4, "head_lr": 3e-3},  # adopted with x256
    "ft2lr1e-3": {"epochs": 2, "lr": 1e-3, "head_lr": 3e-3},
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pre", nargs="+", default=["v3", "hue6"])
    p.add_argument("--fine", nargs="+", default=list(FINE))
    p.add_argument("--kinds", nargs="+", default=["color"])
    p.add_argument("--seeds", nargs="+", type=int, default=[4, 5])
    a = p.parse_args()
    torch.set_num_threads(2)
    cols = ["frozen", "ERM", "MID", "JTT", "oracle"]
    print(f"{'pre':<9}{'fine':<11}{'kind':<8}{'seed':>4} |" + "".join(f"{c:>7}" for c in cols) + " |"
          + "".join(f"{c:>7}" for c in cols[1:]) + "   (WGA | acc, test)")  # fmt: skip
    for pre, fine, kind in itertools.product(a.pre, a.fine, a.kinds):
        rows = []
        for seed in a.seeds:
            rows.append(evaluate(task(kind, seed, PRE[pre], FINE[fine]), seed))
            r = rows[-1]
            print(f"{pre:<9}{fine:<11}{kind:<8}{seed:>4} |" + "".join(f"{r[c + ' wga']:>7.3f}" for c in cols) + " |"
                  + "".join(f"{r[c + ' acc']:>7.3f}" for c in cols[1:]), flush=True)  # fmt: skip
        if len(rows) > 1:
            m = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            print(f"{pre:<9}{fine:<11}{kind:<8}{'mean':>4} |" + "".join(f"{m[c + ' wga']:>7.3f}" for c in cols) + " |"
                  + "".join(f"{m[c + ' acc']:>7.3f}" for c in cols[1:]), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
