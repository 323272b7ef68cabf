#!/usr/bin/env bash
# Regenerates Sources/NeuralNetwork/ONNX/onnx.pb.swift from ONNX's schema.
# Users and CI never run this: the generated file is committed. Run it only to
# move to another ONNX schema or swift-protobuf version.
#
# Needs: protoc (Debian's protobuf-compiler), pip, git, and the Swift toolchain.
# It builds protoc-gen-swift from swift-protobuf at the version Package.swift
# names (about 1 to 10 minutes) and takes onnx.proto from the `onnx` Python
# package (ONNX_VERSION below), whose wheel ships the schema.
set -euo pipefail
SWIFT_PROTOBUF_VERSION=1.39.0
ONNX_VERSION=1.23.2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone -q --branch "$SWIFT_PROTOBUF_VERSION" https://github.com/apple/swift-protobuf.git "$work/swift-protobuf"
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
python3 -m pip download -q --no-deps --dest "$work/wheel" "onnx==$ONNX_VERSION"
(cd "$work/wheel" && python3 -m zipfile -e onnx-*.whl unpacked)

protoc --plugin="$work/swift-protobuf/.build/release/protoc-gen-swift" \
       --proto_path="$work/wheel/unpacked/onnx" \
       --swift_out="$root/Sources/NeuralNetwork/ONNX" \
       --swift_opt=Visibility=Internal \
       onnx.proto
echo "wrote Sources/NeuralNetwork/ONNX/onnx.pb.swift (onnx $ONNX_VERSION, swift-protobuf $SWIFT_PROTOBUF_VERSION)"
