#!/usr/bin/env bash
# The whole test suite from a clean clone: installs what is missing, builds warning-free (-Werror),
# runs every unit and end-to-end test through ctest. Exit code 0 only if every test passed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCORTEXD_WERROR=ON
cmake --build build -j"$(nproc)"
# The Azure Blob tests run against Azurite; this installs it (pinned, into .tools/node) when missing.
bash tests/tools/install-azurite.sh
# The libFuzzer targets of tests/fuzz, a bounded time each (FUZZ_SECONDS, 30 s here); a crash fails.
FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash tests/tools/run-fuzzers.sh
# Last, so that its summary closes the output.
ctest --test-dir build --output-on-failure -j2 --timeout 900
