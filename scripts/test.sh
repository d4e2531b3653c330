#!/usr/bin/env bash
# The test command: installs what is missing, builds, then lint, typecheck and the whole suite.
# Integration tests need root (they create network namespaces); run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent lint
npm run --silent typecheck
npm test
