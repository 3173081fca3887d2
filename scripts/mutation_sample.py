"""Helpers of scripts/mutation.sh for sampled mutation runs (mutmut 2.x).

    python scripts/mutation_sample.py enumerate MODULE N SEED   # register MODULE's mutants, print N sampled ids
    python scripts/mutation_sample.py score CACHE               # "killed tested total timeouts" of one module
    python scripts/mutation_sample.py survivors CACHE           # ids of the surviving mutants
    python scripts/mutation_sample.py report CACHE...           # per-module and total score with 95 % CIs
                                                                # (caches of one module are merged)

`enumerate` writes every mutant of MODULE into mutmut's cache (.mutmut-cache, untested) and
prints a uniformly random sample of N of their ids (seeded, in random order, so a run cut
short by a time budget is still a uniform sample); `mutmut run ID` then tests one of them.
The score of a module is killed / tested. A mutant that makes the tests time out
(`bad_timeout`: 10x slower than the clean run, e.g. an endless loop) counts as killed, as in
mutmut's and Stryker's conventions, and is reported separately. The total is the stratified
estimate (each module weighted by its number of mutants), with a normal-approximation 95 %
interval; each module's interval is Wilson's, with the finite-population correction.
"""

from __future__ import annotations

import math
import random
import sqlite3
import sys

KILLED = ("ok_killed", "ok_suspicious", "bad_timeout")


def enumerate_sample(module: str, n: int, seed: int) -> None:
    from mutmut import add_mutations_by_file
    from mutmut.cache import update_line_numbers

    update_line_numbers(module)
    add_mutations_by_file({}, module, [], None)
    con = sqlite3.connect(".mutmut-cache")
    ids = [
        row[0]
        for row in con.execute(
            "select Mutant.id from Mutant join Line on Mutant.line = Line.id "
            "join SourceFile on Line.sourcefile = SourceFile.id "
            "where SourceFile.filename = ? order by Mutant.id",
            (module,),
        )
    ]
    rng = random.Random(f"{seed}:{module}")
    sample = rng.sample(ids, min(n, len(ids))) if n > 0 else rng.sample(ids, len(ids))
    print(len(ids), *sample)


def counts(cache: str) -> tuple[int, int, int, int]:
    rows = dict(sqlite3.connect(cache).execute("select status, count(*) from Mutant group by status"))
    total = sum(rows.values())
    tested = sum(v for k, v in rows.items() if k != "untested")
    killed = sum(rows.get(k, 0) for k in KILLED)
    return killed, tested, total, rows.get("bad_timeout", 0)


def wilson(k: int, n: int, big_n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    z = 1.96
    fpc = (big_n - n) / (big_n - 1) if big_n > 1 else 0.0
    p = k / n
    z2 = z * z * fpc
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(z2) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def survivors(cache: str) -> list[int]:
    con = sqlite3.connect(cache)
    return [r[0] for r in con.execute("select id from Mutant where status = 'bad_survived' order by id")]


def _module_statuses(caches: list[str]) -> dict[str, dict[int, str]]:
    """{module: {mutant id: status}} over `caches`; several caches of one module (samples of
    other seeds, rechecks) are merged in the order they were written, a later tested status
    replacing an earlier one. The union of independent uniform samples is again a uniform
    sample of its size."""
    import os

    per_cache: list[tuple[str, list[tuple[str, int, str]]]] = []
    for cache in sorted(caches, key=os.path.getmtime):  # oldest first: a later status wins
        rows = sqlite3.connect(cache).execute(
            "select SourceFile.filename, Mutant.id, Mutant.status from Mutant join Line on Mutant.line = Line.id "
            "join SourceFile on Line.sourcefile = SourceFile.id"
        )
        per_cache.append((cache, list(rows)))
    # mutant ids are only comparable within one version of a module's source: keep the caches
    # whose number of mutants matches the newest cache of that module, skip (and say) the others
    newest: dict[str, int] = {}
    for _, rows in per_cache:
        sizes: dict[str, int] = {}
        for module, _, _ in rows:
            sizes[module] = sizes.get(module, 0) + 1
        newest.update(sizes)
    modules: dict[str, dict[int, str]] = {}
    for cache, rows in per_cache:
        sizes = {}
        for module, _, _ in rows:
            sizes[module] = sizes.get(module, 0) + 1
        stale = {m for m, n in sizes.items() if n != newest[m]}
        for m in sorted(stale):
            print(f"skipped {cache}: {m} had {sizes[m]} mutants there, {newest[m]} in the newest cache")
        for module, mutant, status in rows:
            if module in stale:
                continue
            statuses = modules.setdefault(module, {})
            if status != "untested" or mutant not in statuses:
                statuses[mutant] = status
    return modules


def report(caches: list[str]) -> None:
    big_total = est = var = 0.0
    all_k = all_n = 0
    strata: list[tuple[int, int, int]] = []
    for module, statuses in _module_statuses(caches).items():
        big_n = len(statuses)
        n = sum(s != "untested" for s in statuses.values())
        k = sum(s in KILLED for s in statuses.values())
        timeouts = sum(s == "bad_timeout" for s in statuses.values())
        if n == 0:
            print(f"{module}: nothing tested")
            continue
        lo, hi = wilson(k, n, big_n)
        p = k / n
        left = sorted(m for m, s in statuses.items() if s == "bad_survived")
        print(
            f"{module}: {k} / {n} killed ({100 * p:.1f} %, 95 % CI {100 * lo:.0f}-{100 * hi:.0f} %), "
            f"sample {n} of {big_n} mutants, {timeouts} by timeout; survivors: {left}"
        )
        all_k += k
        all_n += n
        strata.append((k, n, big_n))
        big_total += big_n
        est += big_n * p
        fpc = (big_n - n) / (big_n - 1) if big_n > 1 else 0.0
        var += big_n * big_n * fpc * p * (1 - p) / max(n - 1, 1)
    if big_total:
        p = est / big_total
        half = 1.96 * math.sqrt(var) / big_total
        print(
            f"TOTAL: {all_k} / {all_n} sampled mutants killed; stratified estimate "
            f"{100 * p:.1f} % (95 % CI {100 * max(0, p - half):.1f}-{100 * min(1, p + half):.1f} %) "
            f"of {int(big_total)} mutants"
        )
        lo, mid, hi, p90 = posterior(strata)
        print(
            f"TOTAL (posterior, Jeffreys prior per module: an all-killed sample is not taken as certain): "
            f"median {100 * mid:.1f} %, 95 % interval {100 * lo:.1f}-{100 * hi:.1f} %, P(>= 90 %) = {p90:.2f}"
        )


def posterior(strata: list[tuple[int, int, int]], draws: int = 100_000) -> tuple[float, float, float, float]:
    """(2.5 %, 50 %, 97.5 % quantiles, P >= 0.9) of the killed share of all mutants: per module a
    Beta(k + 1/2, n - k + 1/2) kill rate, the untested N - n mutants drawn from it (seeded)."""
    import numpy as np

    rng = np.random.default_rng(0)
    killed = np.zeros(draws)
    for k, n, big_n in strata:
        killed += k + rng.binomial(big_n - n, rng.beta(k + 0.5, n - k + 0.5, size=draws))
    share = killed / sum(big_n for _, _, big_n in strata)
    q = np.percentile(share, [2.5, 50, 97.5])
    return float(q[0]), float(q[1]), float(q[2]), float((share >= 0.9).mean())


def main() -> None:
    cmd, *args = sys.argv[1:]
    if cmd == "enumerate":
        enumerate_sample(args[0], int(args[1]), int(args[2]))
    elif cmd == "score":
        print(*counts(args[0]))
    elif cmd == "survivors":
        print(*survivors(args[0]))
    elif cmd == "report":
        report(args)
    else:
        raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main()
