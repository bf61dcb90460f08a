#!/usr/bin/env bash
# An instruction budget for the warm path, for CI: a timing on a shared runner is noise, but the
# instructions one warm `styxy resolve` executes are nearly the same on every run. It counts them
# with callgrind on a copy of the full-stack example and fails when they exceed the budget, which
# is what losing the render cache, the quick argument parser or the focused ledger read would do
# (each cost 2-4x; see docs/benchmarks.md). Usage: bench/instructions.sh [STYXY] [BUDGET]
set -euo pipefail
cd "$(dirname "$0")/.."
styxy=$(realpath "${1:-.build/release/styxy}")
budget=${2:-10000000}

if ! command -v valgrind >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
  else
    echo "instructions: valgrind is not installed and cannot be; skipped"
    exit 0
  fi
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -R manifests/full-stack "$scratch/project"
export STYXY_HOME="$scratch/state"
cd "$scratch/project"
"$styxy" resolve >/dev/null   # lease and render once; the measured run is warm
valgrind --tool=callgrind --callgrind-out-file="$scratch/callgrind.out" "$styxy" resolve >/dev/null 2>"$scratch/valgrind.log"
count=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$scratch/valgrind.log")
[ -n "$count" ] || { cat "$scratch/valgrind.log" >&2; echo "instructions: no count from callgrind" >&2; exit 1; }
if [ "$count" -gt "$budget" ]; then
  echo "instructions: FAIL: a warm resolve took $count instructions, over the budget of $budget" >&2
  echo "  profile it: callgrind_annotate --inclusive=yes on a run like this one (docs/benchmarks.md)" >&2
  exit 1
fi
echo "instructions: a warm resolve took $count instructions (budget $budget)"
