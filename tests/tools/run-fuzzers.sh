#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 into build-fuzz and runs each for a bounded time on a
# copy of its checked-in corpus plus its regression inputs. Exit code 0 only if no target crashed.
#   FUZZ_SECONDS  time per target (default 60)
# A crashing input is kept in build-fuzz/artifacts/<target>/ and the full log in build-fuzz/logs/<target>.log;
# reproduce with build-fuzz/<target> <input>. Installs nothing: packaging/install-deps.sh provides clang-14.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${FUZZ_SECONDS:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "run-fuzzers: FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
  exit 2
fi
for tool in clang-14 clang++-14; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-fuzzers: $tool is not installed (bash packaging/install-deps.sh installs it)" >&2
    exit 1
  fi
done

build=build-fuzz
# CXX counts when build-fuzz is first configured; tests/fuzz/CMakeLists.txt refuses a compiler other than clang.
CC=clang-14 CXX=clang++-14 cmake -S tests/fuzz -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)"

# The corpus grows while fuzzing: work on a copy so that the checked-in one stays as reviewed. tmpfs when there is
# one, since the HTTP target's task store fsyncs; the targets put their own temporary files here too.
base="${TMPDIR:-/tmp}"
if [[ -d /dev/shm && -w /dev/shm ]]; then base=/dev/shm; fi
work="$(mktemp -d "$base/cortexd-fuzz-XXXXXX")"
trap 'rm -rf "$work"' EXIT

# target:corpus folder:largest input. The HTTP limit reaches past the 8 KiB header limit; the body limit (64 KiB)
# is reached through Content-Length and chunk sizes rather than by sending it.
targets=(fuzz_http_request:http_request:16384 fuzz_import:import:16384)
failed=0
for entry in "${targets[@]}"; do
  IFS=: read -r target corpus max_len <<<"$entry"
  mkdir -p "$work/$target/corpus" "$work/$target/tmp" "$build/artifacts/$target" "$build/logs"
  cp -R "tests/fuzz/corpus/$corpus/." "$work/$target/corpus/"
  inputs=("$work/$target/corpus")
  if [[ -d "tests/fuzz/regressions/$target" ]]; then inputs+=("tests/fuzz/regressions/$target"); fi
  log="$build/logs/$target.log"
  status=0
  TMPDIR="$work/$target/tmp" "$build/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -dict="tests/fuzz/dict/$corpus.dict" -artifact_prefix="$build/artifacts/$target/" -print_final_stats=1 \
    "${inputs[@]}" >"$log" 2>&1 || status=$?

  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  progress="$(grep -a -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$progress")"
  features="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$progress")"
  units="$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$progress")"
  if [[ $status -eq 0 ]]; then
    echo "run-fuzzers: $target: ${runs:-?} runs in ${seconds} s (${speed:-?} exec/s), cov ${cov:-?}, ft ${features:-?}, corpus ${units:-?}, crashes 0"
  else
    failed=1
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    echo "run-fuzzers: $target: ${runs:-?} runs (${speed:-?} exec/s), cov ${cov:-?}, crashes 1 (exit $status): ${artifact:-see $log}" >&2
    # The sanitizer or invariant report, without libFuzzer's dictionary dump.
    grep -a -v -E '^(".*" # Uses: [0-9]+|###### .* ######)$' "$log" | grep -a -A40 -m1 -E '^==[0-9]+==|==fuzz==|runtime error|^SUMMARY' >&2 || tail -40 "$log" >&2
  fi
done
exit $failed
