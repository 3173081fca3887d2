"""Table 1 of the clustered-random-probes paper on the teaching data, next to the published row.

    .venv/bin/python benchmarks/table1.py            # latent 2/3/5/10 x 5 seeds, 1000 probes
    .venv/bin/python benchmarks/table1.py --quick    # 2/3 x 1 seed, 200 probes: a sanity run

Prints mean ± sd of the average cluster probability (%) per variant and latent size, the
published values of the paper, and the gain of the best variant over the paper's protocol
measured in the same run. `--html PATH` also writes the plotly figure.
"""

from __future__ import annotations

import argparse
import time

import torch

from spurwidgets.experiments.probe_table import run_table1, summarize_table1, table1_figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 latent sizes, 1 seed, 200 probes")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--html", default=None, help="write the plotly figure to this HTML file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.quick:
        options = dict(latent_dims=(2, 3), seeds=range(1), n_probes=200, vae_params={"epochs": 10})
    else:
        options = dict(latent_dims=(2, 3, 5, 10), seeds=range(5), n_probes=1000)
    start = time.perf_counter()
    results = run_table1(**options, progress=True)
    print(f"\n{len(results)} runs in {time.perf_counter() - start:.0f} s\n")
    table = summarize_table1(results)
    print(table.to_string())
    means = results.groupby("variant")["acp"].mean().mul(100)
    best = means.idxmax()
    print(f"\nbest variant: {best} ({means[best]:.1f}% averaged over latent sizes) vs paper protocol "
          f"{means['paper']:.1f}% in this run: {means[best] / means['paper']:.2f}x")  # fmt: skip
    if args.html:
        table1_figure(results).write_html(args.html, include_plotlyjs=True)
        print(f"figure written to {args.html}")


if __name__ == "__main__":
    main()
