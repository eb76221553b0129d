#!/usr/bin/env bash
# cortexd export benchmark: bash bench/export.sh [--quick] [options]   (--help lists them; see bench/README.md)
#
# Environment:
#   CORTEXD_BUILD_DIR  build folder holding cortexd (default: build/ in the repository); also the default parent of
#                      the temp folder and of the npm cache (bench-node/)
#   CORTEXD_BIN        the cortexd binary itself (overrides CORTEXD_BUILD_DIR/cortexd)
#   BENCH_TMPDIR       parent of the temp folder (collections, exports); keep it on the disk you want to measure
#   BENCH_NODE_DIR     where npm installs the DuckDB peer's packages (default: CORTEXD_BUILD_DIR/bench-node)
#
# Exit code: 0 when the benchmark ran (targets may still FAIL), 1 when something broke, 2 for a setup error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
export CORTEXD_BUILD_DIR="${CORTEXD_BUILD_DIR:-$repo/build}"

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then exec python3 "$here/export_bench.py" --help; fi
done

# The tools the benchmark drives: the sqlite3 shell (the baseline) and GNU time (peak RSS of the peers).
missing=()
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "export bench: installing ${missing[*]}" >&2
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
      echo "export bench: could not install ${missing[*]}" >&2
  else
    echo "export bench: missing ${missing[*]} (apt-get install ${missing[*]})" >&2
  fi
fi
command -v sqlite3 >/dev/null 2>&1 || { echo "export bench: sqlite3 is required" >&2; exit 2; }

exec python3 "$here/export_bench.py" "$@"
