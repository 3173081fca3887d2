#!/usr/bin/env bash
# Mutation testing (mutmut 2.x, in the `dev` extra) of spurwidgets/compute/ (metrics included)
# against the fast, non-browser tests of each module.
#
#   scripts/mutation.sh                      # every module in MODULES below (slow: hours on 2 cores)
#   scripts/mutation.sh spurwidgets/compute/metrics.py spurwidgets/compute/validation.py   # a subset
#   MUTATION_BUDGET_S=900 scripts/mutation.sh ...   # stop each module after 15 min: the score is then over the mutants tested
#   MUTATION_SAMPLE=30 MUTATION_SEED=1 scripts/mutation.sh ...   # test a uniform random (seeded) sample of 30
#       mutants per module: the score is an estimate, printed with its sample size and a 95 % interval
#       (scripts/mutation_sample.py; a time budget cuts the sample short, still uniformly)
#   MUTATION_RECHECK=/tmp/spur-mutation.XXXX scripts/mutation.sh ...   # rerun only the survivors of that
#       earlier run's sample against the current tests (the killed ones stay killed when tests were only added)
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
  [spurwidgets/compute/imageset.py]="tests/test_mutation_kills_imageset.py tests/test_datasets.py tests/test_bad_inputs.py tests/test_reliability_errors.py tests/test_extract.py"
  [spurwidgets/compute/image_files.py]="tests/test_mutation_kills_image_files.py tests/test_datasets.py tests/test_feature_store.py"
  [spurwidgets/compute/deprecation.py]="tests/test_deprecation.py"
  [spurwidgets/compute/validation.py]="tests/test_mutation_kills_validation.py tests/test_validation.py tests/test_reliability_errors.py tests/test_validation_exact.py"
  [spurwidgets/compute/annotations.py]="tests/test_mutation_kills_annotations.py tests/test_annotations.py tests/test_annotations_concurrency.py tests/test_annotations_exact.py"
  [spurwidgets/compute/window_clusters.py]="tests/test_mutation_kills_mid.py tests/test_mid.py tests/test_mid_refit_groups.py tests/test_mid_confident_reference.py tests/test_mid_exact.py tests/test_mid_scale.py"
  [spurwidgets/compute/mid.py]="tests/test_mutation_kills_mid.py tests/test_mid_mark_warnings.py tests/test_mid.py tests/test_mid_refit_groups.py tests/test_reliability_errors.py tests/test_mid_confident_reference.py tests/test_mid_exact.py tests/test_mid_scale.py"
  [spurwidgets/compute/mid_refit.py]="tests/test_mutation_kills_mid.py tests/test_mid_mark_warnings.py tests/test_mid.py tests/test_mid_refit_groups.py tests/test_reliability_errors.py tests/test_mid_exact.py tests/test_refit_solver.py"
  [spurwidgets/compute/mid_heads.py]="tests/test_mutation_kills_mid_heads.py tests/test_reliability_errors.py tests/test_mid.py tests/test_mid_refit_groups.py tests/test_mid_exact.py"
  [spurwidgets/compute/refit.py]="tests/test_mutation_kills_refit.py tests/test_refit.py tests/test_refit_behaviour.py tests/test_refit_solver.py"
  [spurwidgets/compute/linear_head.py]="tests/test_refit.py tests/test_refit_behaviour.py"
  [spurwidgets/compute/spuriosity.py]="tests/test_mutation_kills_spuriosity.py tests/test_spuriosity.py tests/test_spuriosity_exact.py"
  [spurwidgets/compute/heads.py]="tests/test_mutation_kills_concepts_heads.py tests/test_any_model.py tests/test_spuriosity.py tests/test_models.py"
  [spurwidgets/compute/probe_clusters.py]="tests/test_mutation_kills_probe_clusters.py tests/test_probe_clusters.py tests/test_probe_exact.py tests/test_reliability_errors.py"
  [spurwidgets/compute/projection.py]="tests/test_mutation_kills_projection.py tests/test_latent_scatter.py tests/test_latent_scatter_scale.py tests/test_bad_inputs.py"
  [spurwidgets/compute/mislabel.py]="tests/test_mutation_kills_mislabel.py tests/test_mutation_kills_mid.py tests/test_mid.py tests/test_mislabel.py tests/test_itm_filter.py tests/test_reference_values.py tests/test_bad_inputs.py"
  [spurwidgets/compute/vae.py]="tests/test_vae.py tests/test_mutation_kills_vae.py tests/test_reliability_errors.py tests/test_bad_inputs.py tests/test_reference_values.py tests/test_estimators.py"
  [spurwidgets/compute/spurious_tuning.py]="tests/test_spuriosity_tuning.py tests/test_mutation_kills_tuning.py tests/test_tuning_summary.py"
  [spurwidgets/compute/tuning_summary.py]="tests/test_mutation_kills_tuning_summary.py tests/test_tuning_summary.py tests/test_spuriosity_tuning.py"
  [spurwidgets/compute/concepts.py]="tests/test_concepts.py tests/test_mutation_kills_concepts_heads.py"
  [spurwidgets/experiments/probe_table.py]="tests/test_probe_clusters.py"
  [spurwidgets/compute/extract.py]="tests/test_extract.py tests/test_mutation_kills_extract.py tests/test_any_model.py tests/test_any_model_methods.py tests/test_image_items.py tests/test_activation_maps.py"
  [spurwidgets/compute/images.py]="tests/test_mutation_kills_images.py tests/test_extract.py tests/test_galleries.py tests/test_image_items.py tests/test_datasets.py tests/test_reliability_errors.py tests/test_feature_card_polish.py tests/test_any_model.py"
  [spurwidgets/compute/activation_maps.py]="tests/test_mutation_kills_activation_maps.py tests/test_activation_maps.py tests/test_any_model_methods.py tests/test_feature_card_polish.py"
  [spurwidgets/compute/chunked_stats.py]="tests/test_chunked_stats.py tests/test_spuriosity.py"
  [spurwidgets/compute/sorting.py]="tests/test_sorting.py"
  [spurwidgets/compute/subsample.py]="tests/test_refit.py tests/test_refit_behaviour.py tests/test_latent_scatter_scale.py tests/test_subsample_exact.py"
  [spurwidgets/compute/logistic_solver.py]="tests/test_mutation_kills_logistic_solver.py tests/test_refit.py tests/test_refit_behaviour.py tests/test_refit_solver.py"
  [spurwidgets/compute/predictions.py]="tests/test_mutation_kills_predictions.py tests/test_estimators.py tests/test_mid.py tests/test_mid_confident_reference.py tests/test_mid_exact.py"
  [spurwidgets/compute/feature_store.py]="tests/test_mutation_kills_feature_store.py tests/test_feature_store.py tests/test_extract.py"
  [spurwidgets/compute/annotation_export.py]="tests/test_annotation_export.py"
  [spurwidgets/compute/model_io.py]="tests/test_mutation_kills_model_io.py tests/test_extract.py tests/test_models.py tests/test_any_model.py tests/test_any_model_methods.py"
  [spurwidgets/compute/ray_extract.py]="tests/test_ray_extract.py"
  [spurwidgets/compute/low_rank.py]="tests/test_mutation_kills_low_rank.py tests/test_refit_solver.py tests/test_refit.py"
  [spurwidgets/compute/progress.py]="tests/test_mutation_kills_feature_store.py tests/test_models.py tests/test_any_model.py tests/test_estimators.py"
  [spurwidgets/metrics.py]="tests/test_metrics.py tests/test_import.py"
)
if [ "$#" -gt 0 ]; then MODULES=("$@"); else mapfile -t MODULES < <(printf '%s\n' "${!TESTS[@]}" | sort); fi

SCRATCH="$(mktemp -d /tmp/spur-mutation.XXXXXX)"
echo "scratch copy: $SCRATCH"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$SCRATCH"
cd "$SCRATCH"
export PYTHONPATH="$SCRATCH" OMP_NUM_THREADS=1 MPLBACKEND=Agg HYPOTHESIS_PROFILE=mutation
# pytest runs through a fork server that has imported torch & co once (~8 s CPU saved per
# mutant; scripts/mutation_forkserver.py); MUTATION_FORKSERVER=0 starts a fresh python instead
PYTEST="$PYTHON $ROOT/scripts/mutation_forkserver.py plain"  # pytest, any failure = exit code 1 (mutmut 2.x)
if [ "${MUTATION_FORKSERVER:-1}" != 0 ]; then
  SOCK="$SCRATCH/.forkserver.sock"
  "$PYTHON" "$ROOT/scripts/mutation_forkserver.py" serve "$SOCK" > .forkserver.log 2>&1 &
  FORKSERVER_PID=$!
  trap 'kill "$FORKSERVER_PID" 2>/dev/null || true' EXIT
  until grep -q ready .forkserver.log 2>/dev/null; do kill -0 "$FORKSERVER_PID" || exit 2; sleep 1; done
  PYTEST="$PYTHON $ROOT/scripts/mutation_forkserver.py run $SOCK"
fi
total_killed=0
total_all=0
caches=()
for module in "${MODULES[@]}"; do
  tests="${TESTS[$module]:-}"
  if [ -z "$tests" ]; then echo "no test map for $module; add it to TESTS in $0" >&2; exit 2; fi
  existing=""
  for t in $tests; do [ -f "$t" ] && existing="$existing $t"; done
  rm -f .mutmut-cache
  runner="$PYTEST -x -q -p no:cacheprovider -p no:randomly -m 'not browser and not slow' $existing"
  echo "== $module  (tests:$existing)"
  if ! eval "$runner" > ".baseline.$(echo "$module" | tr / _)" 2>&1; then  # every failure counts as a kill:
    echo "   the tests fail without a mutant (.baseline.*): $module skipped" >&2  # so they must pass first
    continue
  fi
  log=".mutmut-log.$(echo "$module" | tr / _)"
  if [ -n "${MUTATION_RECHECK:-}" ] || [ -n "${MUTATION_SAMPLE:-}" ]; then
    if [ -n "${MUTATION_RECHECK:-}" ]; then  # the survivors of an earlier run, with today's tests
      cp "$MUTATION_RECHECK/.mutmut-cache.$(echo "$module" | tr / _)" .mutmut-cache
      sample="$("$PYTHON" "$ROOT/scripts/mutation_sample.py" survivors .mutmut-cache)"
      echo "   rechecking the survivors of $MUTATION_RECHECK: $sample"
    else
      read -r n_mutants sample < <("$PYTHON" "$ROOT/scripts/mutation_sample.py" enumerate "$module" "$MUTATION_SAMPLE" "${MUTATION_SEED:-0}" | tail -n 1)
      echo "   $n_mutants mutants; sampled ids: $sample"
    fi
    deadline=$(($(date +%s) + ${MUTATION_BUDGET_S:-86400}))
    for id in $sample; do
      left=$((deadline - $(date +%s)))
      [ "$left" -gt 0 ] || { echo "   time budget spent"; break; }
      timeout "$left" "$PYTHON" -m mutmut run "$id" --paths-to-mutate "$module" --runner "$runner" --tests-dir tests --simple-output \
        -m 4 -b 20 >> "$log" 2>&1 || true
    done
  else
    timeout "${MUTATION_BUDGET_S:-86400}" "$PYTHON" -m mutmut run --paths-to-mutate "$module" --runner "$runner" --tests-dir tests --simple-output \
      > "$log" 2>&1 || true
  fi
  cp "$ROOT/$module" "$module" && rm -f "$module.bak"  # a run cut short by the budget may leave the mutant in place
  read -r killed all _ _ < <("$PYTHON" "$ROOT/scripts/mutation_sample.py" score .mutmut-cache)
  total_killed=$((total_killed + killed))
  total_all=$((total_all + all))
  pct=$([ "$all" -gt 0 ] && echo "scale=1; 100 * $killed / $all" | bc || echo "n/a")
  echo "$module: $killed / $all mutants killed ($pct %)"
  "$PYTHON" -m mutmut results 2>/dev/null | sed -n '/Survived/,/^$/p' | head -20 || true
  cp .mutmut-cache ".mutmut-cache.$(echo "$module" | tr / _)" 2>/dev/null || true
  caches+=(".mutmut-cache.$(echo "$module" | tr / _)")
done
"$PYTHON" "$ROOT/scripts/mutation_sample.py" report "${caches[@]}"
pct=$([ "$total_all" -gt 0 ] && echo "scale=1; 100 * $total_killed / $total_all" | bc || echo "n/a")
echo "TOTAL: $total_killed / $total_all mutants killed ($pct %)"
