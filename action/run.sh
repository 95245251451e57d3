#!/usr/bin/env bash
# The script of the tbjwt GitHub Action (action.yml) and of the GitLab CI template: one `tbjwt check` with
# every report, or the merge of the shards' reports. A plain script, so that any CI (and the tests) can run it.
#
#   TBJWT_MODE=check (default) | merge
#   TBJWT_IMPLEMENTATION   node:PATH | cmd:LINE | http(s)://URL (check; default: the config file's)
#   TBJWT_LEVEL, TBJWT_CASES, TBJWT_SEED, TBJWT_BASELINE, TBJWT_CONFIG …   read by tbjwt itself
#   TBJWT_SHARDS=N, TBJWT_SHARD=K   run shard K of N (check), or merge N shards (merge)
#   TBJWT_REPORTS=DIR      where the reports go (default: tbjwt-reports); a shard's go to DIR/shard-K
#   TBJWT_BIN              the tbjwt to run (default: `tbjwt` on PATH, else built from this repository)
#   TBJWT_EXTRA_ARGS       more arguments for check (split on spaces)
# Exit code: tbjwt's (0 conforms, 1 diverged, 2 usage or harness error, 3 errored, 4 interrupted).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${TBJWT_MODE:-check}"
reports="${TBJWT_REPORTS:-tbjwt-reports}"

tbjwt="${TBJWT_BIN:-}"
if [ -z "$tbjwt" ]; then
  if command -v tbjwt >/dev/null 2>&1; then
    tbjwt="tbjwt"
  else
    echo "tbjwt action: building tbjwt from $here/.." >&2
    cargo install --locked --quiet --path "$here/../harness" --root "$here/../target/action" >&2 || exit 2
    tbjwt="$here/../target/action/bin/tbjwt"
  fi
fi

every_report() {
  local dir="$1"
  mkdir -p "$dir"
  printf '%s\n' --report "json=$dir/report.jsonl" --report "junit=$dir/junit.xml" --report "sarif=$dir/tbjwt.sarif" \
    --report "html=$dir/report.html" --report "markdown=$dir/summary.md" --report "badge=$dir/badge.json"
}

summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$1/summary.md" ]; then
    cat "$1/summary.md" >> "$GITHUB_STEP_SUMMARY"
  fi
}

case "$mode" in
  check)
    args=(check)
    if [ -n "${TBJWT_IMPLEMENTATION:-}" ]; then
      args+=("$TBJWT_IMPLEMENTATION")
    fi
    # tbjwt reads TBJWT_IMPLEMENTATION itself too; given as the argument, it names the run's reports.
    unset TBJWT_IMPLEMENTATION
    dir="$reports"
    if [ -n "${TBJWT_SHARDS:-}" ] && [ "${TBJWT_SHARDS}" != "1" ]; then
      shard="${TBJWT_SHARD:?TBJWT_SHARD: which shard (1 to TBJWT_SHARDS) this job runs}"
      # Every shard must draw from the same seed: the CI run's id unless one is given.
      if [ -z "${TBJWT_SEED:-}" ]; then
        TBJWT_SEED="${GITHUB_RUN_ID:-${CI_PIPELINE_ID:-}}"
        export TBJWT_SEED
      fi
      if [ -z "$TBJWT_SEED" ]; then
        echo "tbjwt action: TBJWT_SEED: shards must share a seed; give one" >&2
        exit 2
      fi
      args+=(--partition "$shard/$TBJWT_SHARDS")
      dir="$reports/shard-$shard"
    fi
    mapfile -t report_args < <(every_report "$dir")
    args+=("${report_args[@]}")
    # shellcheck disable=SC2206
    [ -n "${TBJWT_EXTRA_ARGS:-}" ] && args+=(${TBJWT_EXTRA_ARGS})
    "$tbjwt" "${args[@]}"
    status=$?
    summary "$dir"
    exit "$status"
    ;;
  merge)
    shopt -s nullglob
    shards=("$reports"/shard-*/report.jsonl)
    if [ "${#shards[@]}" -eq 0 ]; then
      echo "tbjwt action: no shard report under $reports/shard-*/report.jsonl" >&2
      exit 2
    fi
    mapfile -t report_args < <(every_report "$reports/merged")
    "$tbjwt" report merge "${shards[@]}" "${report_args[@]}"
    status=$?
    summary "$reports/merged"
    exit "$status"
    ;;
  *)
    echo "tbjwt action: TBJWT_MODE=$mode: give check or merge" >&2
    exit 2
    ;;
esac
