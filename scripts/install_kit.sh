#!/usr/bin/env bash
# Try to install the real kit CLI into BIN as `kit`, built with its version set, through `go install`.
#
# Where the Go module proxy refuses kitops (it answers 403 for every version on the machines this project
# is developed on), this says so and leaves no `kit` behind; the interop tests then run against
# tools/kitref, the oracle built from kit's own libraries (see tools/kitref/README.md).
set -uo pipefail
version=${1:?usage: install_kit.sh VERSION BIN}
bin=${2:?usage: install_kit.sh VERSION BIN}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if GOBIN="$work" GOFLAGS=-mod=mod go install -trimpath \
     -ldflags "-X github.com/kitops-ml/kitops/pkg/lib/constants.Version=${version#v}" \
     "github.com/kitops-ml/kitops@${version}" > "$work/log" 2>&1; then
  mv "$work/kitops" "$bin/kit"
  rm -f "$bin/kit.unavailable"
  echo "installed kit ${version} into $bin/kit"
else
  reason=$(grep -m1 -E 'Forbidden|not available|error|cannot' "$work/log" || tail -n1 "$work/log")
  echo "kit ${version} is not installable here: ${reason}" | tee "$bin/kit.unavailable"
  echo "interop tests use tools/kitref (kit's own libraries) instead"
fi
