#!/usr/bin/env bash
# Instruction budgets for CI: a timing on a shared runner is noise, but the instructions a
# command executes are nearly the same on every run. It counts them with callgrind: one warm
# `styxy resolve` of a copy of the full-stack example with an empty ledger and with 2,000 leases of
# other projects in it; one cold resolve (its leases just released) with those 2,000 leases; and
# `styxy matrix --instances 64` of a 10-service manifest on an empty ledger. It fails when any
# exceeds its budget, which is what losing the render cache or the quick argument parser (the
# first), the focused ledger read (the second), the copying of unchanged leases on a write (the
# third) or the one-transaction matrix (the fourth) would do; see docs/benchmarks.md.
# Usage: bench/instructions.sh [STYXY]
set -euo pipefail
cd "$(dirname "$0")/.."
styxy=$(realpath "${1:-.build/release/styxy}")
# Measured after the template engine, the accessor-metadata flag and the byte-run ledger reader
# (docs/benchmarks.md): 3.90M with an empty ledger, 8.93M with 2,000 other leases; each budget leaves about a fifth for
# noise between toolchains. Losing the render cache or the quick parser costs 2-4 times the
# first; reading every lease instead of only the project's (and checking the rest as bytes)
# costs more than the second's margin.
empty_budget=4600000
seeded_budget=10700000
# A cold resolve with 2,000 leases: 52.7M. Before unchanged leases were copied back and
# the ledger was validated twice instead of three times it was 127M.
cold_budget=63000000
# 64 instances of 10 services in one transaction: 112M. One transaction per instance,
# as before, was 1,118M, most of it writing the growing ledger 64 times.
matrix_budget=134000000

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

# measure WHAT NAME BUDGET [SETUP] -- COMMAND...: COMMAND under callgrind, in a fresh copy of the
# example with state home $scratch/NAME, after SETUP (a shell snippet) has run there.
measure() {
  local what=$1 name=$2 budget=$3 setup=$4 project=$scratch/$2/project log=$scratch/$2/valgrind.log count
  shift 5
  mkdir -p "$scratch/$name"
  cp -R manifests/full-stack "$project"
  (
    export STYXY_HOME=$scratch/$name/state
    cd "$project"
    eval "$setup"
    valgrind --tool=callgrind --callgrind-out-file="$scratch/$name/callgrind.out" "$styxy" "$@" >/dev/null 2>"$log"
  )
  count=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$log")
  [ -n "$count" ] || { cat "$log" >&2; echo "instructions: no count from callgrind" >&2; return 1; }
  if [ "$count" -gt "$budget" ]; then
    echo "instructions: FAIL: $what ($name) took $count instructions, over the budget of $budget" >&2
    echo "  profile it: callgrind_annotate --inclusive=yes on a run like this one (docs/benchmarks.md)" >&2
    return 1
  fi
  echo "instructions: $what ($name) took $count instructions (budget $budget)"
}

# 2,000 leases of 200 other projects, as compact ledger lines; the example's own come on top.
seed() {
mkdir -p -m 700 "$1"
python3 - "$1/ledger.json" <<'PY'
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
}
seed "$scratch/seeded/state"
seed "$scratch/cold/state"

# Ten services with room for 64 instances each, away from the ports the example uses.
mkdir -p "$scratch/matrix"
{
  echo "project: matrix"
  echo "services:"
  for i in 0 1 2 3 4 5 6 7 8 9; do
    echo "  s$i: { range: [$((20000 + i * 100)), $((20000 + i * 100 + 99))] }"
  done
} >"$scratch/matrix/styxy.yaml"

warm='"$styxy" resolve >/dev/null'   # lease and render once; the measured run is warm
measure "a warm resolve" empty "$empty_budget" "$warm" -- resolve
measure "a warm resolve" seeded "$seeded_budget" "$warm" -- resolve
# Released just before, so the measured run leases ten ports, renders, and writes the ledger.
measure "a cold resolve" cold "$cold_budget" "$warm; \"\$styxy\" lease release >/dev/null" -- resolve
measure "matrix --instances 64" matrix "$matrix_budget" ":" -- matrix -m "$scratch/matrix/styxy.yaml" --instances 64
