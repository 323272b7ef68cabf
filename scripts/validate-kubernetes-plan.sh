#!/usr/bin/env bash
# Optional: checks the manifests of 'qrobust plan kubernetes' against the
# Kubernetes Job schema with kubernetes-validate (PyPI; strict mode rejects
# unknown fields), for a batch, a global query and a study. Needs python3 with
# venv and access to PyPI; neither qrobust nor its tests need it.
#
# Usage: bash scripts/validate-kubernetes-plan.sh [QROBUST]   (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
qrobust=${1:-.build/release/qrobust}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet kubernetes-validate
plan=("$qrobust" plan kubernetes --shards 4 --image registry.example/qrobust:0.5 --claim work --cpus 2)
"${plan[@]}" -- local Examples/moons-relu.json --inputs points.csv --bits 8 --metric flip > "$work/batch.yaml"
"${plan[@]}" -- global Examples/moons-relu.json --box -1:2,-1:1.5 --bits 6 --tau 0.05 > "$work/global.yaml"
"${plan[@]}" -- study schemes Examples/zoo --bits 8 --out study > "$work/study.yaml"
for manifest in batch global study; do
    "$work/venv/bin/kubernetes-validate" --strict "$work/$manifest.yaml"
done
echo "every manifest validates against the Job schema ($("$work/venv/bin/kubernetes-validate" --version))"
