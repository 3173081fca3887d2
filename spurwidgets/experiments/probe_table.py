"""Table 1 of the clustered-random-probes paper, reproduced on the teaching data.

The paper trains a classifier on EMNIST 0 vs 1 where every 0 is one colour and every 1
another, probes it with random solid colours and reports the average cluster probability
(5 repeats) for VAE latent sizes 2, 3, 5 and 10. Here sklearn's bundled digits stand in for
EMNIST: `colored_digits("train", correlation=1.0, digits=(0, 1))`, a `SmallCNN` trained with
`train_classifier`. Each repeat (seed) retrains the classifier, redraws the probes and refits
the VAE; every variant of `ProbeClusters` is scored on the same classifier, probes and VAE.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..compute.probe_clusters import VARIANTS, ProbeClusters
from ..compute.vae import VAE
from ..datasets import colored_digits, solid_color_probes
from ..models import SmallCNN, train_classifier

#: Table 1 of the paper: average cluster probability (%) by latent size, 5 repeats.
PUBLISHED = {2: 52.7, 3: 68.8, 5: 63.4, 10: 63.4}


def run_table1(
    latent_dims: Sequence[int] = (2, 3, 5, 10),
    seeds: Iterable[int] = range(5),
    variants: Sequence[str] = VARIANTS,
    *,
    n_probes: int = 1000,
    vae_params: dict | None = None,
    classifier_epochs: int = 8,
    device: Any = "auto",
    progress: bool = False,
):
    """One row per (seed, latent_dim, variant): a pandas DataFrame with column `acp` (0..1)."""
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"variants must be among {VARIANTS}; got {unknown}")
    rows = []
    for seed in seeds:
        data = colored_digits("train", correlation=1.0, digits=(0, 1), random_state=seed)
        model = SmallCNN(n_classes=2, random_state=seed)
        train_classifier(model, data, epochs=classifier_epochs, random_state=seed, device=device, progress=False)
        probes = solid_color_probes(n=n_probes, size=28, random_state=seed)
        for dim in latent_dims:
            vae = VAE(dim, random_state=seed, device=device, **(vae_params or {})).fit(probes)
            for variant in variants:
                pc = ProbeClusters(dim, seed, variant=variant, vae=vae, device=device).fit(model, probes)
                rows.append(
                    {"seed": seed, "latent_dim": dim, "variant": variant, "acp": pc.average_cluster_probability_}
                )
                if progress:
                    print(
                        f"seed {seed} dim {dim:>2} {variant:<20} {100 * pc.average_cluster_probability_:5.1f}%",
                        flush=True,
                    )
    return pd.DataFrame(rows)


def summarize_table1(results: Any):
    """Mean ± sd (in %) per variant (rows) and latent size (columns), with the published row first.

    A cell measured on one seed has no spread to show: it reads "60.5 (1 seed)", not "± 0.0"."""
    stats = results.groupby(["variant", "latent_dim"])["acp"].agg(["mean", "std", "count"])
    table = {}
    dims = sorted(results["latent_dim"].unique())
    table["published (paper)"] = {d: f"{PUBLISHED[d]:.1f}" if d in PUBLISHED else "" for d in dims}
    for variant in [v for v in VARIANTS if v in set(results["variant"])]:
        row = {}
        for d in dims:
            mean, sd, count = stats.loc[(variant, d)]
            row[d] = f"{100 * mean:.1f} (1 seed)" if count < 2 else f"{100 * mean:.1f} ± {100 * sd:.1f}"
        table[variant] = row
    frame = pd.DataFrame(table).T
    frame.columns = [f"{d}-D" for d in dims]
    return frame


def table1_figure(results: Any, title: str = "Average cluster probability (Table 1)"):
    """A plotly bar chart: mean ± sd per variant and latent size, published values as markers.

    Bars are placed at explicit positions (latent size i, variant j) so that each published
    marker sits on the bar of the variant the paper reports ("paper"), not between bars."""
    import plotly.graph_objects as go  # plotly stays lazy: the table needs no figure

    stats = results.groupby(["variant", "latent_dim"])["acp"].agg(["mean", "std", "count"])
    dims = sorted(results["latent_dim"].unique())
    variants = [v for v in VARIANTS if v in set(results["variant"])]
    width = 0.8 / len(variants)  # a group fills 80 % of its slot, like plotly's default bargap

    def centre(i: int, j: int) -> float:
        return i - 0.4 + (j + 0.5) * width

    fig = go.Figure()
    for j, variant in enumerate(variants):
        part = stats.loc[variant].reindex(dims)
        spread = (100 * part["std"]).where(part["count"] >= 2)  # one seed: no error bar
        fig.add_bar(name=variant, x=[centre(i, j) for i in range(len(dims))], y=100 * part["mean"], width=width,
                    error_y={"type": "data", "array": spread.fillna(0.0), "visible": bool(spread.notna().any())})  # fmt: skip
    paper = variants.index("paper") if "paper" in variants else None
    xs = [centre(i, paper) if paper is not None else float(i) for i in range(len(dims))]
    fig.add_scatter(name="published (paper)", x=xs, y=[PUBLISHED.get(d) for d in dims], mode="markers",
                    marker={"symbol": "diamond", "size": 12, "color": "black"})  # fmt: skip
    fig.update_layout(title=title, barmode="overlay", yaxis={"title": "average cluster probability (%)", "range": [0, 100]},
                      xaxis={"title": "VAE latent size", "tickvals": list(range(len(dims))),
                             "ticktext": [f"{d}-D" for d in dims]},
                      legend={"orientation": "h", "y": -0.2})  # fmt: skip
    return fig
