#!/usr/bin/env bash
# Installs the Azurite storage emulator and the official Azure Blob client (both pinned) into
# .tools/node with npm, only when they are missing; prints the folder. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

AZURITE_VERSION=3.35.0
STORAGE_BLOB_VERSION=12.28.0
prefix="$PWD/.tools/node"

installed_version() {  # package name -> version in .tools/node, or nothing
  local manifest="$prefix/node_modules/$1/package.json"
  if [[ -f "$manifest" ]]; then node -p "require('$manifest').version" 2>/dev/null || true; fi
}

if ! command -v npm >/dev/null 2>&1; then
  echo "install-azurite: npm is not installed (Node 20 and npm are needed for the Azure Blob tests)" >&2
  exit 1
fi

if [[ "$(installed_version azurite)" != "$AZURITE_VERSION" ||
      "$(installed_version @azure/storage-blob)" != "$STORAGE_BLOB_VERSION" ||
      ! -x "$prefix/node_modules/.bin/azurite-blob" ]]; then
  mkdir -p "$prefix"
  # A private package.json keeps npm from walking up into the repository.
  [[ -f "$prefix/package.json" ]] || echo '{"name":"cortexd-test-tools","private":true}' >"$prefix/package.json"
  npm install --prefix "$prefix" --no-audit --no-fund --save-exact --loglevel=error \
      "azurite@$AZURITE_VERSION" "@azure/storage-blob@$STORAGE_BLOB_VERSION" >&2
fi
echo "$prefix"
