#!/usr/bin/env bash
# Measures local perturbation queries on the two MNIST reference networks at five real images of
# Examples/mnist/mnist-100.csv (rows 1, 21, 41, 61, 81: digits 0, 2, 4, 6, 8), at 8, 12 and 16
# bits and float16: logit metric, tolerance 1e-6, 10 s each (the deep-networks issue's setting).
# Needs ../shared/networks/mnist and a release build (swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/.."
networks=../shared/networks/mnist
for net in mnist_relu_3_100.nnet mnist-net_256x2.onnx; do
  for row in 1 21 41 61 81; do
    # Pixels p (0-255) become the exact fractions p/255; the label (last column) is dropped.
    x=$(grep -v '^#' Examples/mnist/mnist-100.csv | sed -n "$((row + 1))p" | awk -F, '{for (i = 1; i < NF; i++) printf "%s%s/255", (i > 1 ? "," : ""), $i}')
    for scheme in "--bits 8" "--bits 12" "--bits 16" "--precision float16"; do
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      out=$(.build/release/qrobust local "$networks/$net" --input "$x" $scheme --metric logit --tolerance 1e-6 --timeout 10 2>&1 || true)
      end=$(date +%s.%N)
      printf '%s row %s %s | %s | %.2f s\n' "$net" "$row" "$scheme" \
        "$(echo "$out" | grep -E '^maximal' | sed 's/maximal logit deviation: //')" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
    done
  done
done
