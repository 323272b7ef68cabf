#!/usr/bin/env bash
# Measures what sharding a batch buys on this machine: the 100 MNIST images of
# Examples/mnist against ../shared/networks/mnist/mnist-net_256x2.onnx rounded to
# 8 bits (flip metric), answered as 1 shard with 1 job, then as 4 shards run
# the way a job array runs them on this machine (as many at once as it has
# cores, 1 job each), then merged. Prints both wall times, the speed-up, and
# whether the merged table equals the single shard's. The light question is the
# one rounded network (about 3 s in all); `heavy` asks about the perturbation
# set of 8 bits instead (about 2 minutes).
#
# Usage: bash scripts/measure-shard-throughput.sh [light|heavy] [QROBUST]   (default: light, the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
weight=${1:-light}
qrobust=${2:-.build/release/qrobust}
model=../shared/networks/mnist/mnist-net_256x2.onnx
[ -f "$model" ] || { echo "SKIPPED: $model is missing"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
question=(local "$model" --inputs Examples/mnist/mnist-100.csv --label-column label --input-scale 1/255
          --bits 8 --metric flip)
[ "$weight" = heavy ] || question+=(--compression-model concrete)
start=$(date +%s.%N)
"$qrobust" "${question[@]}" --shard 0/1 --results "$work/one.jsonl" --jobs 1 > "$work/one.txt" || true
one=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
seq 0 3 | xargs -P "$(nproc)" -I{} sh -c '"$@" --shard {}/4 --results "'"$work"'/four-{}.jsonl" --jobs 1 > /dev/null || [ $? -le 2 ]' \
    _ "$qrobust" "${question[@]}"
"$qrobust" merge "$work"/four-*.jsonl > "$work/four.txt" || true
four=$(echo "$(date +%s.%N) - $start" | bc)
echo "1 shard: $one s; 4 shards, $(nproc) at a time, and the merge: $four s; speed-up $(echo "scale=2; $one / $four" | bc)×"
if diff -q "$work/one.txt" "$work/four.txt" > /dev/null; then echo "the merged table equals the single shard's"; else
    echo "the merged table DIFFERS from the single shard's"; diff "$work/one.txt" "$work/four.txt" | head; exit 1; fi
