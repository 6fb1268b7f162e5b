#!/usr/bin/env bash
# Quick start, part 2: install what is missing, build, and run the test suite (Boost.Test via ctest),
# including the comparison with NEURON 8.2 and Brian2 2.5 (tests/compare), which runs on Debian's
# packages for /usr/bin/python3 (python3-dev lets Brian2 compile its code with Cython).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
install_missing neuron python3-neuron python3-brian python3-dev python3-h5py python3-pandas
ctest --test-dir "${SOMA_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" ${SOMA_CTEST_ARGS:-}
