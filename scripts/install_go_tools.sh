#!/usr/bin/env bash
# Install the Go programs the tests drive for real into BIN: the cosign CLI, which the signing tests
# (tests/trust) run against kitlab's signatures both ways (docs/trust.md).
#   scripts/install_go_tools.sh COSIGN_VERSION BIN
# and, for the benchmarks only (`make bench-tools`, never `make test`), the oras CLI they compare
# kitlab's push and pull with (benchmarks/speed.py):
#   scripts/install_go_tools.sh --oras ORAS_VERSION BIN
#
# Unlike kit (scripts/install_kit.sh), the Go module proxy serves cosign, so a failure here is a broken
# setup and fails `make test`. A cold build (empty Go caches) takes minutes; `make` stamps it once.
set -euo pipefail
if [ "${1:-}" = "--oras" ]; then
  oras_version=${2:?usage: install_go_tools.sh --oras ORAS_VERSION BIN}
  bin=${3:?usage: install_go_tools.sh --oras ORAS_VERSION BIN}
  mkdir -p "$bin"
  bin=$(cd "$bin" && pwd)
  GOBIN="$bin" go install "oras.land/oras/cmd/oras@${oras_version}"
  "$bin/oras" version > /dev/null
  echo "installed oras ${oras_version} into $bin/oras"
  exit 0
fi
cosign_version=${1:?usage: install_go_tools.sh COSIGN_VERSION BIN}
bin=${2:?usage: install_go_tools.sh COSIGN_VERSION BIN}
mkdir -p "$bin"
bin=$(cd "$bin" && pwd)

GOBIN="$bin" go install "github.com/sigstore/cosign/v2/cmd/cosign@${cosign_version}"
"$bin/cosign" version > /dev/null
echo "installed cosign ${cosign_version} into $bin/cosign"
