#!/usr/bin/env bash
# Mutation testing (mutmut 2.x, in the `dev` extra) of spurwidgets/compute/ (metrics included)
# against the fast, non-browser tests of each module.
#
#   scripts/mutation.sh                      # every module in MODULES below (slow: hours on 2 cores)
#   scripts/mutation.sh spurwidgets/compute/metrics.py spurwidgets/compute/validation.py   # a subset
#   MUTATION_BUDGET_S=900 scripts/mutation.sh ...   # stop each module after 15 min: the score is then over the mutants tested
#
# Each module is mutated with only the test files that exercise it (the map below), so a
# mutant costs seconds, not the whole suite. The work happens in a scratch copy of the
# repository (mutmut edits files in place), so the working tree is never touched. The score
# per module and in total is printed at the end; mutants that survive are listed by
# `mutmut show <id>` run inside the scratch folder printed at the start.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python)"

declare -A TESTS=(
  [spurwidgets/compute/metrics.py]="tests/test_metrics.py tests/test_metrics_report.py tests/test_bad_inputs.py"
  [spurwidgets/compute/imageset.py]="tests/test_datasets.py tests/test_bad_inputs.py"
  [spurwidgets/compute/image_files.py]="tests/test_datasets.py tests/test_feature_store.py"
  [spurwidgets/compute/deprecation.py]="tests/test_deprecation.py"
  [spurwidgets/compute/validation.py]="tests/test_validation.py tests/test_reliability_errors.py"
  [spurwidgets/compute/annotations.py]="tests/test_annotations.py tests/test_annotations_concurrency.py"
  [spurwidgets/compute/window_clusters.py]="tests/test_mid.py tests/test_mid_refit_groups.py"
  [spurwidgets/compute/mid.py]="tests/test_mid.py tests/test_mid_refit_groups.py tests/test_reliability_errors.py"
  [spurwidgets/compute/refit.py]="tests/test_refit.py"
  [spurwidgets/compute/linear_head.py]="tests/test_refit.py"
  [spurwidgets/compute/spuriosity.py]="tests/test_spuriosity.py"
  [spurwidgets/compute/heads.py]="tests/test_any_model.py tests/test_spuriosity.py"
  [spurwidgets/compute/probe_clusters.py]="tests/test_probe_clusters.py"
  [spurwidgets/compute/projection.py]="tests/test_latent_scatter.py"
  [spurwidgets/compute/mislabel.py]="tests/test_mislabel.py"
  [spurwidgets/compute/vae.py]="tests/test_vae.py"
  [spurwidgets/compute/spurious_tuning.py]="tests/test_spuriosity_tuning.py"
  [spurwidgets/compute/tuning_summary.py]="tests/test_tuning_summary.py tests/test_spuriosity_tuning.py"
  [spurwidgets/compute/concepts.py]="tests/test_concepts.py"
  [spurwidgets/experiments/probe_table.py]="tests/test_probe_clusters.py"
  [spurwidgets/compute/extract.py]="tests/test_extract.py"
  [spurwidgets/compute/images.py]="tests/test_extract.py tests/test_galleries.py"
  [spurwidgets/compute/activation_maps.py]="tests/test_activation_maps.py"
)
if [ "$#" -gt 0 ]; then MODULES=("$@"); else mapfile -t MODULES < <(printf '%s\n' "${!TESTS[@]}" | sort); fi

SCRATCH="$(mktemp -d /tmp/spur-mutation.XXXXXX)"
echo "scratch copy: $SCRATCH"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$SCRATCH"
cd "$SCRATCH"
export PYTHONPATH="$SCRATCH" OMP_NUM_THREADS=1 MPLBACKEND=Agg HYPOTHESIS_PROFILE=mutation
total_killed=0
total_all=0
for module in "${MODULES[@]}"; do
  tests="${TESTS[$module]:-}"
  if [ -z "$tests" ]; then echo "no test map for $module; add it to TESTS in $0" >&2; exit 2; fi
  existing=""
  for t in $tests; do [ -f "$t" ] && existing="$existing $t"; done
  rm -f .mutmut-cache
  runner="$PYTHON -m pytest -x -q -p no:cacheprovider -p no:randomly -m 'not browser and not slow' $existing"
  echo "== $module  (tests:$existing)"
  timeout "${MUTATION_BUDGET_S:-86400}" "$PYTHON" -m mutmut run --paths-to-mutate "$module" --runner "$runner" --tests-dir tests --simple-output \
    > ".mutmut-log.$(echo "$module" | tr / _)" 2>&1 || true
  read -r killed all < <("$PYTHON" - <<'PY'
import sqlite3
rows = dict(sqlite3.connect(".mutmut-cache").execute("select status, count(*) from Mutant group by status"))
tested = sum(v for k, v in rows.items() if k != "untested")
print(rows.get("ok_killed", 0) + rows.get("ok_suspicious", 0), tested)
PY
)
  total_killed=$((total_killed + killed))
  total_all=$((total_all + all))
  pct=$([ "$all" -gt 0 ] && echo "scale=1; 100 * $killed / $all" | bc || echo "n/a")
  echo "$module: $killed / $all mutants killed ($pct %)"
  "$PYTHON" -m mutmut results 2>/dev/null | sed -n '/Survived/,/^$/p' | head -20 || true
  cp .mutmut-cache ".mutmut-cache.$(echo "$module" | tr / _)" 2>/dev/null || true
done
pct=$([ "$total_all" -gt 0 ] && echo "scale=1; 100 * $total_killed / $total_all" | bc || echo "n/a")
echo "TOTAL: $total_killed / $total_all mutants killed ($pct %)"
