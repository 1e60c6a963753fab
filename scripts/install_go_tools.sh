#!/usr/bin/env bash
# Install the Go programs the tests drive for real into BIN: the cosign CLI, which the signing tests
# (tests/trust) run against kitlab's signatures both ways (docs/trust.md).
#   scripts/install_go_tools.sh COSIGN_VERSION BIN
#
# Unlike kit (scripts/install_kit.sh), the Go module proxy serves cosign, so a failure here is a broken
# setup and fails `make test`. A cold build (empty Go caches) takes minutes; `make` stamps it once.
set -euo pipefail
cosign_version=${1:?usage: install_go_tools.sh COSIGN_VERSION BIN}
bin=${2:?usage: install_go_tools.sh COSIGN_VERSION BIN}
mkdir -p "$bin"
bin=$(cd "$bin" && pwd)

GOBIN="$bin" go install "github.com/sigstore/cosign/v2/cmd/cosign@${cosign_version}"
"$bin/cosign" version > /dev/null
echo "installed cosign ${cosign_version} into $bin/cosign"
