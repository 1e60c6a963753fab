# The two commands of the README:
#   make lab   set up everything and start JupyterLab with kitlab on the demo workspace
#   make test  set up everything (system packages too) and run every check; .ci/run calls this
# Both are idempotent: stamps under .make/ skip steps whose inputs did not change.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV    := .venv
BIN     := $(CURDIR)/.bin
STAMPS  := .make
DEMO    := demo
PYTHON  ?= python3
export PATH := $(BIN):$(CURDIR)/$(VENV)/bin:$(PATH)

# Debian packages the tests drive for real: the browser, an OCI registry, htpasswd, skopeo.
APT_PACKAGES := chromium docker-registry apache2-utils skopeo
# The kit release the interop tests compare against: the one whose bytes the format reference and
# tools/kitref pin down (see scripts/install_kit.sh for what happens when it cannot be installed).
KIT_VERSION  ?= v1.7.0
# The cosign CLI the signing tests (tests/trust) check kitlab's signatures against, both ways
# (docs/trust.md); built from source with `go install` (scripts/install_go_tools.sh).
COSIGN_VERSION ?= v2.6.5
# The oras CLI (built on oras-go, the library kit transfers with): the peer the transfer benchmarks run
# side by side (benchmarks/speed.py). Only `make bench-tools` installs it; `make test` never needs it.
ORAS_VERSION ?= v1.3.6

FRONTEND_SOURCES := $(shell find src style schema -type f 2>/dev/null) package.json tsconfig.json

.PHONY: help lab test lint pytest jest binder-check ui-test hub-test system-deps kit go-tools bench-tools clean

help:
	@echo "make lab    set up and start JupyterLab with kitlab on the demo workspace"
	@echo "make test   set up and run every check (ruff, tsc, eslint, pytest, jest, Galata UI tests)"
	@echo "make screenshots  refresh the README's pictures in docs/images/ from the UI tests"
	@echo "make bench-tools  install what benchmarks/ compare against (the oras CLI into .bin)"

# ---------------------------------------------------------------------------------------------- setup
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Build tooling first: the editable install below runs without build isolation (5x faster,
# docs/building.md, "Packaging settings that matter").
$(STAMPS)/py-tools: | $(VENV)/bin/python
	@mkdir -p $(STAMPS)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q "jupyterlab>=4.6,<5" "hatchling>=1.5" "hatch-jupyter-builder>=0.5" editables
	touch $@

$(STAMPS)/node-modules: package.json yarn.lock .yarnrc.yml $(STAMPS)/py-tools
	jlpm install --immutable
	touch $@

$(STAMPS)/frontend: $(FRONTEND_SOURCES) $(STAMPS)/node-modules
	jlpm build
	touch $@

# EXTRA is demo (make lab) or test (make test); the test extra includes the demo one.
# The develop link goes first: pip would otherwise install the wheel's shared data (install.json)
# through it, into kitlab/labextension/, and the next wheel built would carry that file twice.
$(STAMPS)/python-%: pyproject.toml $(STAMPS)/frontend
	rm -rf $(VENV)/share/jupyter/labextensions/kitlab
	$(VENV)/bin/pip install -q --no-build-isolation -e ".[$*]"
	jupyter-builder develop --overwrite . > /dev/null
	touch $@

$(DEMO)/train.ipynb: scripts/demo_workspace.py | $(STAMPS)/python-demo
	$(VENV)/bin/python scripts/demo_workspace.py $(DEMO)

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p > /dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "kitlab's tests need these Debian packages:$$missing"; \
	    echo "install them with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

kit: $(STAMPS)/kit-$(KIT_VERSION) $(BIN)/kitref

$(STAMPS)/kit-$(KIT_VERSION):
	@mkdir -p $(STAMPS) $(BIN)
	scripts/install_kit.sh $(KIT_VERSION) $(BIN)
	touch $@

go-tools: $(STAMPS)/cosign-$(COSIGN_VERSION) $(BIN)/ociregistry

$(STAMPS)/cosign-$(COSIGN_VERSION): scripts/install_go_tools.sh
	@mkdir -p $(STAMPS) $(BIN)
	scripts/install_go_tools.sh $(COSIGN_VERSION) $(BIN)
	touch $@

bench-tools: $(STAMPS)/oras-$(ORAS_VERSION) $(BIN)/kitref

$(STAMPS)/oras-$(ORAS_VERSION): scripts/install_go_tools.sh
	@mkdir -p $(STAMPS) $(BIN)
	scripts/install_go_tools.sh --oras $(ORAS_VERSION) $(BIN)
	touch $@

# An OCI registry with the referrers API (go-containerregistry's), for the referrer signature tests.
$(BIN)/ociregistry: $(shell find tools/ociregistry -type f 2>/dev/null)
	@mkdir -p $(BIN)
	tools/ociregistry/build.sh $(BIN)

$(BIN)/kitref: $(shell find tools/kitref -type f 2>/dev/null)
	@mkdir -p $(BIN)
	tools/kitref/build.sh $(BIN)

# ------------------------------------------------------------------------------------------- commands
lab: $(STAMPS)/python-demo $(DEMO)/train.ipynb
	jupyter lab --ServerApp.root_dir=$(DEMO) $(if $(filter 0,$(shell id -u)),--allow-root)

# The Go builds (kitref, cosign: minutes from cold) run beside the Python and frontend setup, which
# waits on downloads much of the time; on 2 cores this keeps a cold `make test` within its budget.
test: system-deps
	$(MAKE) --no-print-directory -j2 --output-sync=target kit go-tools $(STAMPS)/python-test
	$(MAKE) --no-print-directory lint jest binder-check ui-test hub-test pytest

lint:
	ruff check .
	ruff format --check .
	lint-imports
	mypy
	jlpm typecheck
	jlpm lint:check

jest:
	jlpm test

# binder/postBuild in a fresh environment from a clean checkout, as Binder runs it.
binder-check:
	scripts/check_binder.sh

ui-tests/node_modules/.stamp: ui-tests/package.json ui-tests/yarn.lock
	cd ui-tests && jlpm install --immutable
	touch $@

# The UI tests on a free loopback port (docs/building.md, pitfall 8).
FREE_PORT = $$($(CURDIR)/$(VENV)/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

ui-test: ui-tests/node_modules/.stamp
	cd ui-tests && KITLAB_UI_PORT=$(FREE_PORT) CI=1 jlpm playwright test

# kitlab behind a real JupyterHub and its proxy (docs/jupyterhub.md): a user logs in on the hub's page
# and packs and pushes from /user/<name>/lab. The hub's state lives in a temporary folder it removes.
hub-test: ui-tests/node_modules/.stamp
	cd ui-tests && KITLAB_HUB_PORT=$(FREE_PORT) KITLAB_HUB_REGISTRY_PORT=$(FREE_PORT) CI=1 jlpm playwright test --config hub.config.js

# The README's pictures: only this target lets the UI tests write into the tracked docs/images/
# (docs/building.md, "Screenshots"); `make test` never changes them.
.PHONY: screenshots
screenshots: $(STAMPS)/python-test ui-tests/node_modules/.stamp
	cd ui-tests && KITLAB_SCREENSHOTS=1 KITLAB_UI_PORT=$(FREE_PORT) CI=1 jlpm playwright test package.spec.ts kits.spec.ts
	cd ui-tests && KITLAB_SCREENSHOTS=1 KITLAB_HUB_PORT=$(FREE_PORT) KITLAB_HUB_REGISTRY_PORT=$(FREE_PORT) CI=1 jlpm playwright test --config hub.config.js

# Last, so that pytest's summary line closes the output.
pytest:
	python -m pytest

clean:
	rm -rf $(STAMPS) $(BIN) lib kitlab/labextension tsconfig.tsbuildinfo ui-tests/test-results
