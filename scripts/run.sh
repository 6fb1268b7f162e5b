#!/usr/bin/env bash
# Quick start, part 1: install what is missing, build, and run the default simulation (the course exercises'
# Hodgkin-Huxley step: 7 uA/cm^2 on [20, 70) ms, 100 ms at dt = 0.01 ms, forward Euler).
# Writes CSV data and PNG/SVG figures into ./soma-output/. Extra arguments go to 'soma run'.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
"${SOMA_BUILD_DIR:-build}/bin/soma" run "$@"
if (($# == 0)); then
  echo "Figure: $(pwd)/soma-output/hh-step.png (data: soma-output/hh-step.csv, spike times: soma-output/hh-step_spikes.csv)"
fi
