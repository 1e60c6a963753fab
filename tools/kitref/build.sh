#!/usr/bin/env bash
# Build the kitref oracle: tools/kitref/build.sh OUTDIR  ->  OUTDIR/kitref
# The version is pinned to 1.7.0 so the manifest annotation (and therefore the
# manifest digest) matches what a kit v1.7.0 release build writes.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
outdir=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

go_bin=$(command -v go || true)
if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then
    go_bin=/usr/local/go/bin/go
fi
if [[ -z "$go_bin" ]]; then
    echo "build.sh: no Go toolchain found (need go >= 1.23)" >&2
    exit 1
fi

cd "$here"
GOFLAGS=-mod=mod "$go_bin" build -buildvcs=false -trimpath \
    -ldflags "-X main.version=1.7.0" -o "$outdir/kitref" .
