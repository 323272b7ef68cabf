#!/usr/bin/env bash
# README command 2: install what is missing, then run the whole test suite.
# Tests that read ../shared/networks (the reference networks beside a
# checkout) are reported as skipped when that folder is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# The release binary too: the CLI tests on real-size inputs (a 100-image MNIST batch) run it,
# since the debug build takes minutes where it takes seconds.
bash scripts/build-release.sh
swift build --build-tests
swift test --skip-build
# Shards on a real single-node Slurm (installed and started here, stopped at the end;
# it prints SKIPPED with the reason where Slurm cannot run).
bash scripts/test-slurm.sh
