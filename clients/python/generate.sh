#!/usr/bin/env bash
# generate.sh — Python stubs for the zhenxing protos, for partner clients.
#
#   clients/python/generate.sh [--protos DIR] [--out DIR]
#
# Reads every .proto under DIR (default: the repository's protos/, i.e.
# ../../protos from this script) except grpc/health (grpcio-health-checking
# ships that one, and a generated grpc/ package would shadow grpcio) and
# writes <name>_pb2.py and <name>_pb2_grpc.py into OUT (default: gen/ next to
# this script), replacing what was there: running it twice gives the same tree.
# No CMake, no build directory: a partner copies protos/ and runs this.
#
# Compiler: `python3 -m grpc_tools.protoc` (pip package grpcio-tools) when it
# compiles our protos; otherwise protoc (apt: protobuf-compiler) with the
# gRPC Python plugin (apt: protobuf-compiler-grpc, /usr/bin/grpc_python_plugin).
# Debian 12's python3-grpc-tools (1.14) bundles a protoc too old for proto3
# `optional` fields, so on Debian 12 the second path is the one that works.
# The google/protobuf well-known types come from the compiler's bundled copy
# and from /usr/include (Debian's libprotobuf-dev) when present.
# Environment: PYTHON (interpreter to try grpc_tools with), PROTOC,
# GRPC_PYTHON_PLUGIN.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
protos=$here/../../protos
out=$here/gen
while (($#)); do
  case $1 in
    --protos) protos=${2:?--protos needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "generate.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -d $protos ]] || { echo "generate.sh: no protos directory at $protos" >&2; exit 2; }
protos=$(cd "$protos" && pwd)
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

mapfile -t files < <(cd "$protos" && find . -name '*.proto' -not -path './grpc/*' | sed 's|^\./||' | LC_ALL=C sort)
((${#files[@]})) || { echo "generate.sh: no .proto files under $protos" >&2; exit 2; }

includes=(-I "$protos")
[[ -f /usr/include/google/protobuf/timestamp.proto ]] && includes+=(-I /usr/include)

tmp=$(mktemp -d "${out}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

compiled=""
# 1. grpc_tools, with the first interpreter that has it.
for py in ${PYTHON:-} python3 /usr/bin/python3; do
  command -v "$py" >/dev/null 2>&1 || continue
  "$py" -c 'import grpc_tools.protoc' 2>/dev/null || continue
  if (cd "$protos" && "$py" -m grpc_tools.protoc "${includes[@]}" \
        --python_out="$tmp" --grpc_python_out="$tmp" "${files[@]}") 2>"$tmp.err"; then
    compiled="$py -m grpc_tools.protoc"
  else
    echo "generate.sh: $py -m grpc_tools.protoc cannot compile these protos" \
         "($(grep -m1 -v '^$' "$tmp.err" || true)); trying protoc + grpc_python_plugin" >&2
    rm -rf "$tmp" && mkdir "$tmp"
  fi
  rm -f "$tmp.err"
  break
done

# 2. protoc with the gRPC Python plugin.
if [[ -z $compiled ]]; then
  protoc=${PROTOC:-$(command -v protoc || true)}
  plugin=${GRPC_PYTHON_PLUGIN:-$(command -v grpc_python_plugin || echo /usr/bin/grpc_python_plugin)}
  [[ -n $protoc && -x $protoc ]] ||
    { echo "generate.sh: neither a working grpc_tools nor protoc found (apt install protobuf-compiler protobuf-compiler-grpc, or pip install grpcio-tools)" >&2; exit 1; }
  [[ -x $plugin ]] ||
    { echo "generate.sh: grpc_python_plugin not found (apt install protobuf-compiler-grpc, or set GRPC_PYTHON_PLUGIN)" >&2; exit 1; }
  (cd "$protos" && "$protoc" "${includes[@]}" --python_out="$tmp" --grpc_out="$tmp" \
     --plugin=protoc-gen-grpc="$plugin" "${files[@]}")
  compiled="$protoc ($("$protoc" --version)) + $plugin"
fi

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
n=$(find "$out" -name '*.py' | wc -l)
echo "generate.sh: wrote $n modules for ${#files[@]} protos from $protos to $out (compiler: $compiled)"
