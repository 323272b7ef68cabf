#!/usr/bin/env bash
# The long fuzz run (optional; the test command runs a 200-execution smoke
# subset): N executions of mutated .nnet/JSON/ONNX models and hostile options
# against the release binary, checking exit codes, signals, time limits and
# one-line errors. Usage: bash scripts/fuzz.sh [N=10000] [SEED=2026]
set -euo pipefail
cd "$(dirname "$0")/.."
executions=${1:-10000}
seed=${2:-2026}
bash scripts/build-release.sh
swift build --build-tests
QROBUST_FUZZ_EXECUTIONS=$executions QROBUST_FUZZ_SEED=$seed QROBUST_FUZZ_BINARY="$PWD/.build/release/qrobust" \
  swift test --skip-build --filter FuzzSmokeTests
