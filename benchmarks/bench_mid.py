"""MID quality on generated shortcuts: does a refit with NO group labels close the WGA gap?

For each shortcut type and seed: train (or build) a model on a training split where a
spurious attribute agrees with the label with probability `correlation`; run MID on the
features/logits of a held-out split with the same correlation (no group labels; image
tasks: the "val" split, as a CNN memorises its own training images); refit the head on
MID's clusters; compare
worst-group accuracy (WGA) on a test split where the attribute is independent of the label:

- original: the model's own predictions
- mid: `MID(...).fit(features, logits, labels).refit()` (automatic minority flags)
- marked: `mid.refit(best)` with, per class, the window cluster that truly holds the most
  minority samples: what a person marking clusters in the MIDExplorer gallery can reach
- oracle: `refit_head(features, labels, groups=true_groups)` (group-balanced, true groups)
- gap closed: (mid - original) / (oracle - original)
- enrichment: share of minority samples in the window / share overall
- flag precision: share of true minority samples among the flagged clusters' window members

Shortcut types: "colour" (colored_digits, SmallCNN), "patch" (a red corner patch on
grey digits, SmallCNN), "gaussian" (synthetic features with one strong
spurious dimension; the "model" is a logistic regression on them).

    .venv/bin/python benchmarks/bench_mid.py --quick      # one seed, colour + gaussian
    .venv/bin/python benchmarks/bench_mid.py              # 3 shortcut types x 3 seeds
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
from spurwidgets.datasets import ImageSet, colored_digits
from spurwidgets.models import SmallCNN, train_classifier


def add_patch(data: ImageSet, correlation: float | None, seed: int) -> ImageSet:
    """A 6x6 red patch in the top-left corner; present with P=correlation for class 1 (1-corr for 0)."""
    rng = np.random.default_rng(seed + 1000)
    if correlation is None:
        patch = rng.random(len(data)) < 0.5
    else:
        patch = np.where(data.labels == 1, rng.random(len(data)) < correlation, rng.random(len(data)) >= correlation)
    # Grey digits (colour is not a cue here), a red patch in the corner as the shortcut.
    images = np.repeat(data.images.max(axis=3, keepdims=True), 3, axis=3)
    images[patch, 1:7, 1:7] = np.array([255, 0, 0], dtype=np.uint8)
    return ImageSet(images=images, labels=data.labels, groups=data.labels * 2 + patch, class_names=data.class_names)


def image_task(kind: str, seed: int, correlation: float, epochs: int):
    """Train on "train"; MID, its refit and the oracle use a held-out "val" split with the same
    correlation (a model that memorised its training set has no intercept window there);
    accuracy is measured on "test", where the attribute is independent of the label.

    Returns (features, logits, labels, true groups) of val, then the same for test.
    """

    def split(name: str, corr: float | None):
        if kind == "colour":
            return colored_digits(name, correlation=corr, seed=seed)
        return add_patch(colored_digits(name, correlation=None, seed=seed), corr, seed)

    train, val, test = split("train", correlation), split("val", correlation), split("test", None)
    model = SmallCNN(n_classes=2, random_state=seed)
    train_classifier(model, train, epochs=epochs, seed=seed, device="cpu", progress=False)
    fs_val = spurwidgets.extract(model, val, device="cpu")
    fs_test = spurwidgets.extract(model, test, device="cpu")
    return (
        fs_val.features,
        fs_val.logits,
        val.labels,
        val.groups,
        fs_test.features,
        fs_test.logits,
        test.labels,
        test.groups,
    )


def gaussian_task(seed: int, correlation: float, n: int = 4000, d: int = 32):
    rng = np.random.default_rng(seed)

    def sample(m: int, corr: float):
        y = rng.integers(0, 2, m)
        spur = np.where(rng.random(m) < corr, y, 1 - y)
        x = rng.normal(size=(m, d)).astype(np.float32)
        x[:, 0] += 1.0 * (2 * y - 1)  # core: weak but reliable
        x[:, 1] += 2.5 * (2 * spur - 1)  # spurious: strong
        return x, y, y * 2 + spur

    x, y, g = sample(n, correlation)
    xt, yt, gt = sample(n, 0.5)
    model = refit_head(x, y, C=1.0, device="cpu")  # the "original model" trained by ERM
    return x, model.decision_function(x), y, g, xt, model.decision_function(xt), yt, gt


def predictions(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits)
    if logits.ndim == 1 or logits.shape[1] == 1:
        return (logits.reshape(len(logits), -1)[:, 0] > 0).astype(np.int64)
    return logits.argmax(1)


def minority_mask(labels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    return (groups % 2) != labels  # groups = label * 2 + attribute, minority: attribute != label


def evaluate(kind: str, seed: int, args: argparse.Namespace) -> dict[str, float]:
    if kind == "gaussian":
        x, logits, y, g, xt, lt, yt, gt = gaussian_task(seed, args.correlation)
    else:
        x, logits, y, g, xt, lt, yt, gt = image_task(kind, seed, args.correlation, args.epochs)
    mid = MID(quantile=args.quantile, n_clusters=args.n_clusters, random_state=seed, device="cpu").fit(x, logits, y)
    head = mid.refit()
    minority = minority_mask(y, g)
    oracle = refit_head(x, y, groups=g, device="cpu")
    flagged = mid.window_[np.isin(mid.window_clusters_, mid.minority_clusters_)]
    # What a user who marks the right clusters in the gallery gets: per class, the window
    # cluster with the largest true-minority share (MID's clustering, a person's judgement).
    best = []
    for cls in np.unique(mid.cluster_classes_):
        ids = np.flatnonzero(mid.cluster_classes_ == cls)
        shares = [minority[mid.window_[mid.window_clusters_ == c]].mean() for c in ids]
        best.append(int(ids[int(np.argmax(shares))]))
    row = {
        "original": metrics.worst_group_accuracy(yt, predictions(lt), gt),
        "mid": metrics.worst_group_accuracy(yt, head.predict(xt), gt),
        "marked": metrics.worst_group_accuracy(yt, mid.refit(best).predict(xt), gt),
        "oracle": metrics.worst_group_accuracy(yt, oracle.predict(xt), gt),
        "enrichment": minority[mid.window_].mean() / minority.mean(),
        "flag_precision": minority[flagged].mean() if len(flagged) else float("nan"),
        "train_minority": minority.mean(),
    }
    gap = row["oracle"] - row["original"]
    row["gap_closed"] = (row["mid"] - row["original"]) / gap if gap > 1e-9 else float("nan")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, colour + gaussian (seconds)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--correlation", type=float, default=0.9)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--quantile", type=float, default=0.15)
    parser.add_argument("--n-clusters", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(2)
    kinds = ["colour", "gaussian"] if args.quick else ["colour", "patch", "gaussian"]
    seeds = [0] if args.quick else list(range(args.seeds))
    print(
        f"correlation {args.correlation}, epochs {args.epochs}, quantile {args.quantile}, n_clusters {args.n_clusters}"
    )
    header = f"{'shortcut':<9}{'seed':>5}{'orig WGA':>10}{'MID WGA':>9}{'marked':>8}{'oracle':>8}{'gap closed':>12}{'enrich':>8}{'flag prec':>10}{'minority':>10}{'sec':>6}"
    print(header)
    for kind in kinds:
        rows = []
        for seed in seeds:
            start = time.perf_counter()
            row = evaluate(kind, seed, args)
            rows.append(row)
            print(
                f"{kind:<9}{seed:>5}{row['original']:>10.3f}{row['mid']:>9.3f}{row['marked']:>8.3f}{row['oracle']:>8.3f}{row['gap_closed']:>12.2f}"
                f"{row['enrichment']:>8.2f}{row['flag_precision']:>10.2f}{row['train_minority']:>10.3f}{time.perf_counter() - start:>6.1f}",
                flush=True,
            )
        mean = {
            k: float(np.nanmean([r[k] for r in rows])) if any(np.isfinite(r[k]) for r in rows) else float("nan")
            for k in rows[0]
        }
        print(
            f"{kind:<9}{'mean':>5}{mean['original']:>10.3f}{mean['mid']:>9.3f}{mean['marked']:>8.3f}{mean['oracle']:>8.3f}{mean['gap_closed']:>12.2f}"
            f"{mean['enrichment']:>8.2f}{mean['flag_precision']:>10.2f}{mean['train_minority']:>10.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
