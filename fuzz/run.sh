#!/usr/bin/env bash
# Builds the libFuzzer targets, seeds their corpora from the repository's fixtures, and fuzzes each
# for a bounded time. Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60, all)
# Prints one summary line per target; exits 1 when any target crashed, hung or ran out of memory,
# with the input saved under fuzz/findings/<target>/. docs/fuzzing.md explains the rest.
set -euo pipefail
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ManifestFuzzer TemplateFuzzer LedgerFuzzer)
case "$seconds" in '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 64 ;; esac

fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
work=$fuzz/.work
cd "$fuzz"

# What is being fuzzed: the commit, and whether the fuzzed sources differ from it.
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$repo" status --porcelain -- Sources/StyxyCore Sources/StyxyManifest Sources/StyxyRender Sources/StyxyEngine 2>/dev/null)" ]; then
  commit="$commit+uncommitted"
fi

# --sanitize=fuzzer makes SwiftPM leave `main` to libFuzzer. The -Xswiftc flag comes last on every
# swiftc line and wins over SwiftPM's own -sanitize flags (the compiler keeps only the last one),
# which is how AddressSanitizer and the coverage instrumentation both reach every target.
# gold warns once per ASan helper symbol; the warnings are harmless and drown the build log.
# SwiftPM keeps the build plan of the path dependency (the root package) and misses source files
# added there since; dropping the plan makes it look again, and compiled objects are still reused.
rm -f .build/release/description.json .build/release.yaml
nice -n 10 swift build -c release --scratch-path .build --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address 2>&1 |
  { grep -v "Cannot export local symbol" || true; }
bin=$(swift build -c release --scratch-path .build --show-bin-path)

# Seeds are copied from the fixtures on every run, so nothing is duplicated in git; what the
# fuzzer discovers accumulates in .work/corpus/<target>/ across runs.
seed() { # seed <target> <files...>
  local dir=$work/seeds/$1
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  for file in "$@"; do
    cp "$repo/$file" "$dir/$(echo "$file" | tr / _)"
  done
}
cd "$repo"
seed ManifestFuzzer $(find Tests/Fixtures/manifests Tests/Fixtures/config Tests/Fixtures/init manifests config \
  -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
seed TemplateFuzzer $(find templates Tests/Fixtures manifests -type f -name '*.mustache' | sort)
# Service commands go through the same strict Mustache compile as templates.
grep -rhoE 'command: .*\{\{.*' manifests Tests/Fixtures/manifests | sed 's/^command: //' | sort -u |
  awk -v dir="$work/seeds/TemplateFuzzer" '{ printf "%s", $0 > (dir "/command-" NR ".txt") }'
# No ledger is kept in the repository's fixtures; fuzz/ledger-seeds holds a few, hand-written.
seed LedgerFuzzer $(find fuzz/ledger-seeds -type f | sort)
cd "$fuzz"

final() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; } # a libFuzzer -print_final_stats value
dictionary() { case $1 in ManifestFuzzer) echo manifest.dict ;; TemplateFuzzer) echo template.dict ;; LedgerFuzzer) echo ledger.dict ;; esac; }

# Without this, LeakSanitizer reports Swift globals as leaks at exit; see lsan.supp. The Swift
# runtime's own crash backtracer is off: it races libFuzzer's handler and can outlive the process.
export LSAN_OPTIONS="suppressions=$fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export SWIFT_BACKTRACE=enable=no
# Each target makes a scratch folder per process; keep them where the next run clears them.
export TMPDIR=$work/tmp
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"

status=0
summary=()
for target in "${targets[@]}"; do
  [ -x "$bin/$target" ] || { echo "no such target: $target" >&2; exit 64; }
  corpus=$work/corpus/$target
  findings=$fuzz/findings/$target
  log=$work/logs/$target.log
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  marker=$work/logs/$target.started
  touch "$marker"
  echo "== $target: fuzzing for ${seconds}s, log in ${log#"$repo"/}"
  rc=0
  # New inputs go to the first folder; the seeds are read only. -timeout and -rss_limit_mb turn
  # hangs and runaway memory into findings, like crashes.
  nice -n 10 "$bin/$target" "$corpus" "$work/seeds/$target" \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -dict="$(dictionary "$target")" \
    -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  # No status line at all when the target stopped while replaying its corpus: still summarise.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  coverage=$(echo "$last" | grep -oE 'cov: [0-9]+' | cut -d' ' -f2)
  units=$(echo "$last" | grep -oE 'corp: [0-9]+/[0-9A-Za-z]+' | cut -d' ' -f2)
  new=$(find "$findings" -type f -newer "$marker" | wc -l)
  total=$(find "$findings" -type f ! -name '.*' | wc -l)
  line=$(printf '%-15s %ss  execs %s  exec/s %s  cov %s  corpus %s  peak RSS %sMB  findings %s new, %s kept' \
    "$target" "$seconds" "$(final number_of_executed_units)" "$(final average_exec_per_sec)" \
    "${coverage:-?}" "${units:-?}" "$(final peak_rss_mb)" "$new" "$total")
  if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
    status=1
    line="$line  FAILED (exit $rc; see ${log#"$repo"/})"
    find "$findings" -type f -newer "$marker" | sed "s|^$repo/|    |"
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary (built from $commit, finished $(date -u +%Y-%m-%dT%H:%MZ))"
printf '%s\n' "${summary[@]}"
exit $status
