#!/usr/bin/env bash
# Installs the Debian 12 packages Soma needs (when missing) and builds it into ./build (or $SOMA_BUILD_DIR).
# Sourced by run.sh and test.sh; safe to run again: it installs nothing that is present and rebuilds
# only what changed. Needs root (or sudo) only when a package is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/packages.sh
install_missing "${soma_packages[@]}"

build_dir=${SOMA_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${SOMA_CMAKE_ARGS:-}
cmake --build "$build_dir" -j"$(nproc)"
