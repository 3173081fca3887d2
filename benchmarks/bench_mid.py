"""MID in the "pretrained backbone" regime: does a refit with NO group labels close the WGA gap?

For each shortcut kind ("color", "patch", "texture": `colored_digits(shortcut=...)`) and
seed: `SmallCNN.pretrained` (10-way digit identity on reserved digits, the ImageNet
stand-in) is fine-tuned end to end by ERM on "train", where the shortcut agrees with the
label with probability 0.95. Every method below sees only the held-out "val" split (same
correlation, never trained on: a network memorises its own training images, so they have
no intercept window) and refits the last layer on its features; worst-group accuracy (WGA)
and overall accuracy are measured on "test", where the shortcut is independent of the label.

- ERM: the fine-tuned model's own predictions
- MID: `MID().fit(val features, val logits, val labels).refit()` with DEFAULT parameters
  (defaults chosen on seeds 4 and 5 only; report the other seeds as evidence)
- MID marked: `mid.refit(best)`, per class the clusters whose members are mostly true
  minority (else the one with the largest minority share): what a person marking clusters
  in the MIDExplorer gallery can reach
- JTT: error-set baseline, `refit_head(groups=label x misclassified)` (no clustering)
- oracle: `refit_head(val features, val labels, groups=true val groups)`
- gap closed: (MID - ERM) / (oracle - ERM), on WGA

    .venv/bin/python benchmarks/bench_mid.py --quick     # colour + patch, seeds 0-1
    .venv/bin/python benchmarks/bench_mid.py             # 3 kinds x seeds 0-9
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import spurwidgets
from spurwidgets import metrics
from spurwidgets.compute.mid import MID
from spurwidgets.compute.refit import refit_head
from spurwidgets.datasets import colored_digits
from spurwidgets.models import SmallCNN, train_classifier

#: Fine-tuning recipe shared with lesson 01: gentle on the backbone, fast on the fresh head.
FINETUNE = {"epochs": 2, "lr": 3e-4, "head_lr": 3e-3}


def pretrained_task(kind: str, seed: int, correlation: float = 0.95):
    """Fine-tune the pretrained backbone on "train"; features/logits/labels/groups of val and test."""
    train = colored_digits("train", correlation=correlation, shortcut=kind, random_state=seed)
    val = colored_digits("val", correlation=correlation, shortcut=kind, random_state=seed)
    test = colored_digits("test", shortcut=kind, random_state=seed)
    model = SmallCNN.pretrained(n_classes=2, random_state=seed)
    train_classifier(model, train, random_state=seed, device="cpu", progress=False, **FINETUNE)
    fv, ft = spurwidgets.extract(model, val, device="cpu"), spurwidgets.extract(model, test, device="cpu")
    return (fv.features, fv.logits, val.labels, val.groups), (ft.features, ft.logits, test.labels, test.groups)


def evaluate(kind: str, seed: int) -> dict[str, float]:
    (x, logits, y, g), (xt, lt, yt, gt) = pretrained_task(kind, seed)
    minority = (g % 2) != y  # groups = label * 2 + attribute
    mid = MID(random_state=seed, device="cpu").fit(x, logits, y)
    best = []
    for cls in np.unique(mid.cluster_classes_):
        ids = np.flatnonzero(mid.cluster_classes_ == cls)
        shares = np.array([minority[mid.candidates_[mid.candidate_clusters_ == c]].mean() for c in ids])
        best.extend(ids[shares > 0.5].tolist() or [int(ids[int(np.argmax(shares))])])
    wrong = logits.argmax(1) != y
    heads = {
        "MID": mid.refit(),
        "marked": mid.refit(best),
        "JTT": refit_head(x, y, groups=2 * y + wrong, device="cpu"),
        "oracle": refit_head(x, y, groups=g, device="cpu"),
    }
    preds = {"ERM": lt.argmax(1)} | {name: head.predict(xt) for name, head in heads.items()}
    row = {f"{name} wga": metrics.worst_group_accuracy(yt, p, gt) for name, p in preds.items()}
    row |= {f"{name} acc": float((p == yt).mean()) for name, p in preds.items()}
    gap = row["oracle wga"] - row["ERM wga"]
    row["gap closed"] = (row["MID wga"] - row["ERM wga"]) / gap if gap > 1e-9 else float("nan")
    row["warnings"] = len(mid.warnings_)
    return row


COLUMNS = ["ERM", "MID", "marked", "JTT", "oracle"]


def line(kind: str, seed: str, row: dict[str, float]) -> str:
    wga = "".join(f"{row[f'{c} wga']:>8.3f}" for c in COLUMNS)
    acc = "".join(f"{row[f'{c} acc']:>8.3f}" for c in COLUMNS)
    return f"{kind:<8}{seed:>5} |{wga} |{acc} |{row['gap closed']:>7.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="colour + patch, seeds 0-1")
    parser.add_argument("--kinds", nargs="+", default=["color", "patch", "texture"])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    args = parser.parse_args()
    torch.set_num_threads(2)
    kinds, seeds = (["color", "patch"], [0, 1]) if args.quick else (args.kinds, args.seeds)
    names = "".join(f"{c:>8}" for c in COLUMNS)
    print(f"fine-tuning {FINETUNE}; MID defaults {MID().get_params()}")
    print(f"{'kind':<8}{'seed':>5} |{names} |{names} |{'gap':>7}")
    print(f"{'':<13} | worst-group accuracy (test){'':<13}| overall accuracy (test){'':<17}| closed")
    for kind in kinds:
        rows = []
        for seed in seeds:
            start = time.perf_counter()
            rows.append(evaluate(kind, seed))
            print(line(kind, str(seed), rows[-1]) + f"  {time.perf_counter() - start:.0f}s", flush=True)
        mean = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}
        print(line(kind, "mean", mean), flush=True)
        closed = [r["gap closed"] for r in rows]
        below = sum(r["MID acc"] < r["ERM acc"] for r in rows)
        print(f"{kind:<8} gap closed: mean {np.nanmean(closed):.2f}, worst seed {np.nanmin(closed):.2f}; "
              f"seeds with MID overall < ERM overall: {below}/{len(rows)}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
