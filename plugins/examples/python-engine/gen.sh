#!/usr/bin/env bash
# Regenerates ocrbox_pb2.py and ocrbox_pb2_grpc.py from the plugin contract,
# plugins/sdk/proto/ocrbox.proto. Run it after every change to the .proto
# (TestPythonPluginProtoInSync fails until you do).
#
# Needs Debian's protobuf-compiler (protoc 3.21, the same release as the
# python3-protobuf runtime, so the messages use its current descriptor API)
# and python3-grpc-tools (only for its gRPC service generator; its bundled
# protoc is too old for the message code).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto="$here/../../sdk/proto"
protoc -I "$proto" --python_out="$here" "$proto/ocrbox.proto"
/usr/bin/python3 -m grpc_tools.protoc -I "$proto" --grpc_python_out="$here" "$proto/ocrbox.proto"
echo "gen.sh: wrote $here/ocrbox_pb2.py and $here/ocrbox_pb2_grpc.py ($(protoc --version))"
