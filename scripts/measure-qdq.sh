#!/usr/bin/env bash
# Compares qrobust's exact integer evaluation with ONNX Runtime's integers on
# all 10,000 inputs of every QDQ fixture (the test suite checks the MNIST-sized
# ones on the first 1,000 only, in a debug build). Builds the tests in release
# mode, which takes a few minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --build-tests -Xswiftc -enable-testing
QROBUST_QDQ_ROWS=10000 swift test -c release -Xswiftc -enable-testing --skip-build --filter "QuantizedModelTests/matchesRuntime" 2>&1 |
    grep -E "match exactly|✔|✘"
