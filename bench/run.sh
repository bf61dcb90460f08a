#!/usr/bin/env bash
# Measures Styxy against its nearest peers on this machine, in one run, and writes
# docs/benchmarks.md. Installs what it needs (hyperfine from Debian; portpicker and port-for
# from PyPI into bench/.work/venv). Usage: bench/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
work=bench/.work
mkdir -p "$work"

if ! command -v hyperfine >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
fi
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
fi
"$work/venv/bin/python" -c 'import portpicker, port_for' 2>/dev/null ||
  "$work/venv/bin/pip" install --quiet portpicker port-for

# The binary users get: release, with the Swift runtime linked in statically.
swift build -c release --product styxy --static-swift-stdlib -Xswiftc -static-executable >/dev/null
exec python3 bench/bench.py --styxy .build/release/styxy --peer-python "$work/venv/bin/python" --work "$work" "$@"
