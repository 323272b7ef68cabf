#!/usr/bin/env bash
# README command 2: install what is missing, then run the whole test suite.
# Tests that read ../shared/networks (the reference networks beside a
# checkout) print SKIPPED when that folder is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
swift build --build-tests
swift test --skip-build
