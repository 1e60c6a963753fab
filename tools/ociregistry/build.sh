#!/usr/bin/env bash
# Build the in-memory referrers-API registry for the signing tests: tools/ociregistry/build.sh OUTDIR
set -euo pipefail
if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
outdir=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")"
GOFLAGS=-mod=mod go build -buildvcs=false -trimpath -o "$outdir/ociregistry" .
