#!/usr/bin/env bash
# Instruction budgets for the warm path, for CI: a timing on a shared runner is noise, but the
# instructions one warm `styxy resolve` executes are nearly the same on every run. It counts them
# with callgrind on a copy of the full-stack example, twice: with an empty ledger, and with 2,000
# leases of other projects in it. It fails when either exceeds its budget, which is what losing
# the render cache or the quick argument parser (the first) or the focused ledger read (the
# second) would do; see docs/benchmarks.md. Usage: bench/instructions.sh [STYXY]
set -euo pipefail
cd "$(dirname "$0")/.."
styxy=$(realpath "${1:-.build/release/styxy}")
# Measured at 3.85M and 14.07M (docs/benchmarks.md, "Start-up and size"); each budget leaves
# about a fifth for noise between toolchains. Losing the render cache or the quick parser
# costs 2-4 times the first; reading every lease instead of only the project's (and checking the
# rest as bytes) cost 6.4M more than the focused read when it was measured (23.7M against 17.3M).
empty_budget=4600000
seeded_budget=17000000

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

# measure NAME BUDGET: one warm resolve of a fresh copy of the example with state home $scratch/NAME.
measure() {
  local name=$1 budget=$2 project=$scratch/$1/project log=$scratch/$1/valgrind.log count
  mkdir -p "$scratch/$name"
  cp -R manifests/full-stack "$project"
  (
    export STYXY_HOME=$scratch/$name/state
    cd "$project"
    "$styxy" resolve >/dev/null   # lease and render once; the measured run is warm
    valgrind --tool=callgrind --callgrind-out-file="$scratch/$name/callgrind.out" "$styxy" resolve >/dev/null 2>"$log"
  )
  count=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$log")
  [ -n "$count" ] || { cat "$log" >&2; echo "instructions: no count from callgrind" >&2; return 1; }
  if [ "$count" -gt "$budget" ]; then
    echo "instructions: FAIL: a warm resolve ($name) took $count instructions, over the budget of $budget" >&2
    echo "  profile it: callgrind_annotate --inclusive=yes on a run like this one (docs/benchmarks.md)" >&2
    return 1
  fi
  echo "instructions: a warm resolve ($name) took $count instructions (budget $budget)"
}

# 2,000 leases of 200 other projects, as compact ledger lines; the example's own come on top.
mkdir -p -m 700 "$scratch/seeded/state"
python3 - "$scratch/seeded/state/ledger.json" <<'PY'
import json, os, sys
leases = [{"root": f"/srv/seeded/project-{i // 10:05d}", "service": f"svc{i % 10}", "port_name": "default",
           "instance": "default", "port": 12000 + i, "protocol": "tcp", "project": f"seeded-{i // 10}",
           "manifest": f"/srv/seeded/project-{i // 10:05d}/styxy.yaml", "created_at": 1790000000,
           "refreshed_at": 1790000000, "expires_at": None}
          for i in range(2000)]
with open(sys.argv[1], "w") as out:
    json.dump({"format": "styxy-ledger", "schema_version": 1, "generation": 1, "leases": leases}, out)
os.chmod(sys.argv[1], 0o600)
PY

measure empty "$empty_budget"
measure seeded "$seeded_budget"
