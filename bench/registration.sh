#!/usr/bin/env bash
# Registration throughput: group commit against one commit per registration, side by side in one run.
# Starts its own daemons on loopback ports in temporary folders and stops them again.
#
#   bash bench/registration.sh [--quick] [--clients 16] [--seconds 5] [--rounds 3] [--group-size 256] [--contacts 20]
#                              [--legacy-cortexd PATH] [--config-extra YAML] [--keep]
#
# Each mode gets its own daemon (a fresh data directory, a small generated collection whose tasks the
# scheduler and workers export meanwhile, as in production). The clients register back to back over
# keep-alive connections for --seconds; then the daemon is killed with SIGKILL and tasks.db must hold
# exactly the tasks that were answered 200. --rounds alternates the modes, so that a change in the
# machine's load hits both; --legacy-cortexd adds an older binary (its own defaults) as a third mode.
#
# CORTEXD_BUILD_DIR: the CMake build folder (default: build/ beside this folder). The table goes to
# stdout, the numbers to bench/results/registration.json (CORTEXD_BENCH_OUT to write elsewhere).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CORTEXD_BUILD_DIR:-$root/build}"
out="${CORTEXD_BENCH_OUT:-$root/bench/results/registration.json}"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  echo "registration.sh: $build is not a CMake build folder; configure it first:" >&2
  echo "  cmake -S $root -B $build -DCMAKE_BUILD_TYPE=Release" >&2
  exit 2
fi
# Up to date in a second when nothing changed.
cmake --build "$build" --target cortexd registration_bench -j"$(nproc)" >&2

export CORTEXD_BENCH_COMMIT="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo -dirty)"
# --quick: a smoke run (1 round of 2 s per mode) into its own file, so that it never replaces the last full run's.
args=()
for a in "$@"; do
  if [[ "$a" == "--quick" ]]; then
    args+=(--rounds 1 --seconds 2)
    out="${CORTEXD_BENCH_OUT:-$root/bench/results/registration-quick.json}"
  else
    args+=("$a")
  fi
done
exec "$build/bench/registration_bench" --cortexd "$build/cortexd" --out "$out" "${args[@]}"
