# Everything a newcomer needs comes from here: `make test` and `make demo` build their own
# environments inside the repository (git ignores them) from the pinned locks in requirements/.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/uv/bin/uv
VENV   := .venv
PY     := $(VENV)/bin/python
SAM    := $(TOOLS)/sam/bin/sam
CHECKOV := $(TOOLS)/checkov/bin/checkov
UV_VERSION := 0.13.9

# The functions' makefile builds and the template tests call these; keep them on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/$(TOOLS)/sam/bin:$(CURDIR)/$(TOOLS)/checkov/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
# The function builds install wheels with pip; the project's own venvs are made by uv and have none.
export PIP := $(CURDIR)/$(TOOLS)/uv/bin/python -m pip

.PHONY: help
help:
	@echo "make test      lint, types, unit, integration, template and end-to-end tests"
	@echo "make lint      ruff and mypy"
	@echo "make build     sam build (no Docker needed)"
	@echo "make bench     benchmarks side by side with their baselines -> bench-results.json"
	@echo "make fuzz      the validator's fuzz tier for FUZZ_SECONDS (default 600)"
	@echo "make demo      the whole pipeline on this machine, narrated (no AWS account)"
	@echo "make local-up  the same local cloud for hands-on use; make local-status shows it"

# --- environments -------------------------------------------------------------------------
$(UV):
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/python -m pip install --quiet uv==$(UV_VERSION)

# The project itself goes in editable, after the locked dependencies: the `rollout` and
# `validate-feature-file` commands in .venv/bin.
$(VENV)/.synced: requirements/dev.lock pyproject.toml $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) --require-hashes requirements/dev.lock
	$(UV) pip install --quiet --no-deps --python $(PY) -e .
	touch $@

$(SAM): requirements/sam.lock $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(TOOLS)/sam
	$(UV) pip sync --quiet --python $(TOOLS)/sam/bin/python --require-hashes requirements/sam.lock
	touch $@

$(CHECKOV): requirements/checkov.lock $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(TOOLS)/checkov
	$(UV) pip sync --quiet --python $(TOOLS)/checkov/bin/python --require-hashes requirements/checkov.lock
	touch $@

.PHONY: venv tools
venv: $(VENV)/.synced
tools: $(SAM) $(CHECKOV)

# Regenerate the locks after changing pyproject.toml or requirements/*.in.
.PHONY: lock
lock: $(UV)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --no-header -q -o requirements/dev.lock
	$(UV) pip compile requirements/sam.in --python-version 3.11 --generate-hashes --no-header -q -o requirements/sam.lock
	$(UV) pip compile requirements/checkov.in --python-version 3.11 --generate-hashes --no-header -q -o requirements/checkov.lock
	$(UV) pip compile requirements/rollout.in -c requirements/dev.lock --python-version 3.11 --generate-hashes --no-header -q -o requirements/rollout.lock
	for req in functions/*/requirements.in; do \
	  $(UV) pip compile "$$req" -o "$${req%.in}.txt" $(LAMBDA_LOCK_FLAGS); \
	done
	for req in layers/*/requirements.in; do \
	  $(UV) pip compile "$$req" -o "$${req%.in}.txt" $(LAYER_LOCK_FLAGS); \
	done

# Function locks: the runtime's Python; every wheel hash (both architectures); without the AWS
# SDK and what it brings, which the Lambda runtime provides.
LAMBDA_LOCK_FLAGS := --python-version 3.13 --python-platform aarch64-manylinux_2_17 --generate-hashes \
	--no-header -q $(foreach p,boto3 botocore jmespath s3transfer urllib3 python-dateutil six,--no-emit-package $(p))

# The extension runs beside any function, so it vendors what it needs (dateutil and six too).
LAYER_LOCK_FLAGS := --python-version 3.13 --python-platform aarch64-manylinux_2_17 --generate-hashes --no-header -q

# --- build ----------------------------------------------------------------------------------
# One artifact runs on arm64 and x86_64 (both platforms' wheels side by side): the architecture
# is chosen at deploy time, `sam deploy --parameter-overrides Architecture=x86_64`.
.PHONY: build
build: $(SAM)
	$(SAM) build

# --- checks ---------------------------------------------------------------------------------
# Source folders whose code is ours (lint and types); each later part adds its folder here.
CODE := functions layers localcloud bench tests rollout
PYTEST := $(PY) -m pytest

.PHONY: lint types unit integration template e2e test
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)
	$(MAKE) --no-print-directory types

types: $(VENV)/.synced
	$(VENV)/bin/mypy $(CODE)

unit: $(VENV)/.synced
	$(PYTEST) tests/unit

integration: $(VENV)/.synced
	$(PYTEST) tests/integration

template: $(VENV)/.synced $(SAM) $(CHECKOV)
	$(PYTEST) tests/template

e2e: $(VENV)/.synced
	$(PYTEST) tests/e2e

# Every tier in one pytest run, so its closing line counts them all.
test: lint $(SAM) $(CHECKOV)
	$(PYTEST) tests/unit tests/integration tests/template $(wildcard tests/e2e)

# The fuzz tier for as long as asked: rounds of the `fuzz` tests, each with a new seed, more
# examples and larger inputs than `make test` runs, until FUZZ_SECONDS have passed.
FUZZ_SECONDS ?= 600
FUZZ_EXAMPLES ?= 2000
FUZZ_SCALE ?= 200000
.PHONY: fuzz
fuzz: $(VENV)/.synced
	end=$$((SECONDS + $(FUZZ_SECONDS))); round=0; \
	while [ $$SECONDS -lt $$end ]; do \
	  round=$$((round + 1)); seed=$$RANDOM$$RANDOM; echo "fuzz round $$round, seed $$seed"; \
	  FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SCALE=$(FUZZ_SCALE) $(PYTEST) -q -m fuzz tests/unit --hypothesis-seed=$$seed; \
	done

# --- the feature file -----------------------------------------------------------------------
# `make validate FILE=path`: the validator Lambda's own checks, as `path:line:column: message`.
FILE ?= feature-file.yml
.PHONY: validate
validate: $(VENV)/.synced
	PYTHONPATH=functions/validator $(PY) -m feature_validator $(FILE)

# --- benchmarks -----------------------------------------------------------------------------
.PHONY: bench
bench: $(VENV)/.synced
	$(PY) -m bench

# --- the local cloud --------------------------------------------------------------------------
.PHONY: demo
demo: $(VENV)/.synced
	$(PY) -m localcloud.demo

# The same local cloud as the demo, kept running on 127.0.0.1 until Ctrl-C (moto on port 5000,
# AppConfig + AppConfigData on 4780): upload with any S3 client and the pipeline runs. Prints the
# `export AWS_ENDPOINT_URL_...` lines. TIME_SCALE (default 60) speeds up deployment strategies.
# HOLD=1: the deploy function gets nothing; its events go to .localcloud/events/ for `sam local invoke`.
TIME_SCALE ?= 60
.PHONY: local-up
local-up: $(VENV)/.synced
	$(PY) -m localcloud up --time-scale $(TIME_SCALE)$(if $(HOLD), --hold)

# Against a running `make local-up`: the deployments and what the flags API returns.
.PHONY: local-status
local-status: $(VENV)/.synced
	$(PY) -m localcloud status
