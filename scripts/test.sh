#!/usr/bin/env bash
# Quick start, part 2: install what is missing, build, and run the test suite (Boost.Test via ctest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
ctest --test-dir "${SOMA_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)"
