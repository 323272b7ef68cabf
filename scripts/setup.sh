#!/usr/bin/env bash
# README command 1: install what is missing, build qrobust (release), and run
# it on a bundled example network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "setup.sh: building qrobust (release; the first build takes a few minutes)" >&2
bash scripts/build-release.sh
echo
echo "\$ .build/release/qrobust local Examples/moons-relu.json --input 0.5,0.25 --bits 8 --tau 0.05"
status=0
.build/release/qrobust local Examples/moons-relu.json --input 0.5,0.25 --bits 8 --tau 0.05 || status=$?
# 0 robust, 1 not robust, 2 unknown are answers; anything else is a failure.
if [ "$status" -gt 2 ]; then exit "$status"; fi
echo
echo "setup.sh: done. The binary is .build/release/qrobust; try '.build/release/qrobust --help'."
