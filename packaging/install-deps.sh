#!/usr/bin/env bash
# Installs every Debian package cortexd needs to build and test. Idempotent: safe to run twice.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost1.81-dev libboost-system1.81-dev libboost-program-options1.81-dev
  libsqlite3-dev sqlite3
  nlohmann-json3-dev
  libspdlog-dev libfmt-dev
  libyaml-cpp-dev
  libgtest-dev libgmock-dev
  libssl-dev
  curl python3 ca-certificates
  clang-14 libclang-rt-14-dev  # the libFuzzer targets of tests/fuzz (tests/tools/run-fuzzers.sh)
  systemd  # systemd-analyze, for the unit checks of tests/e2e/service_test.py (no running systemd needed)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
