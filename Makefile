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

# `make help` prints every target that has a `## what it does` comment; tests/template/test_make.py
# checks that every target has one.
.PHONY: help
help: ## this list
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-zA-Z0-9_-]+:[^#]*## / { printf "make %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

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
venv: $(VENV)/.synced ## the development environment in .venv (from requirements/dev.lock)
tools: $(SAM) $(CHECKOV) ## SAM CLI and checkov in .tools (from their locks)

# --- locks ----------------------------------------------------------------------------------
# Every lock and the input it is compiled from. Shared versions come from requirements/pins.txt,
# applied to every compile as constraints, so each is written down once.
PINS := requirements/pins.txt
TOOL_LOCK_FLAGS := --python-version 3.11 --generate-hashes --no-header -q
DEV_LOCK_FLAGS := $(TOOL_LOCK_FLAGS) --constraint $(PINS)
# Function locks: the runtime's Python; every wheel hash (both architectures); without the AWS
# SDK and what it brings, which the Lambda runtime provides.
LAMBDA_LOCK_FLAGS := --python-version 3.13 --python-platform aarch64-manylinux_2_17 --generate-hashes \
	--no-header -q --constraint $(PINS) \
	$(foreach p,boto3 botocore jmespath s3transfer urllib3 python-dateutil six,--no-emit-package $(p))
# The extension runs beside any function, so its layer vendors what it needs (dateutil and six too).
LAYER_LOCK_FLAGS := --python-version 3.13 --python-platform aarch64-manylinux_2_17 --generate-hashes \
	--no-header -q --constraint $(PINS)
FUNCTION_LOCKS := $(patsubst %.in,%.txt,$(wildcard functions/*/requirements.in))
LAYER_LOCKS := $(patsubst %.in,%.txt,$(wildcard layers/*/requirements.in))
LAMBDA_LOCKS := $(FUNCTION_LOCKS) $(LAYER_LOCKS)

# compile_locks(DIR): every lock written under DIR (the repository itself for `make lock`).
# A lock already in DIR is uv's preference, so an unchanged input keeps its versions. The rollout
# lock is constrained by the repository's dev lock (the path is written into the lock): under
# lock-check that is the committed one, which lock-check compares as well.
define compile_locks
	$(UV) pip compile pyproject.toml --extra dev $(DEV_LOCK_FLAGS) -o $(1)requirements/dev.lock
	$(UV) pip compile requirements/sam.in $(TOOL_LOCK_FLAGS) -o $(1)requirements/sam.lock
	$(UV) pip compile requirements/checkov.in $(TOOL_LOCK_FLAGS) -o $(1)requirements/checkov.lock
	$(UV) pip compile requirements/rollout.in --constraint requirements/dev.lock $(DEV_LOCK_FLAGS) \
	  -o $(1)requirements/rollout.lock
	for lock in $(FUNCTION_LOCKS); do \
	  $(UV) pip compile "$${lock%.txt}.in" $(LAMBDA_LOCK_FLAGS) -o "$(1)$$lock"; \
	done
	for lock in $(LAYER_LOCKS); do \
	  $(UV) pip compile "$${lock%.txt}.in" $(LAYER_LOCK_FLAGS) -o "$(1)$$lock"; \
	done
endef

# LOCK_DIR: where `make lock` writes (the repository unless lock-check says otherwise).
LOCK_DIR :=
ALL_LOCKS := requirements/dev.lock requirements/sam.lock requirements/checkov.lock requirements/rollout.lock \
	$(LAMBDA_LOCKS)

.PHONY: lock lock-check
lock: $(UV) ## regenerate every lock after changing pyproject.toml, requirements/* or a requirements.in
	$(call compile_locks,$(LOCK_DIR))

# Compiles every lock again beside the committed one (uv keeps the committed versions where the
# input allows them) and fails if any differs: an input changed without `make lock`. From uv's
# cache when it holds everything the locks name (a second or two), else from the package index.
LOCK_CHECK_DIR := .tools/lock-check
lock-check: $(UV) ## fail if a lock no longer matches its input (pyproject.toml, requirements/*.in, pins)
	@rm -rf $(LOCK_CHECK_DIR)
	@for lock in $(ALL_LOCKS); do \
	  mkdir -p "$(LOCK_CHECK_DIR)/$$(dirname $$lock)"; cp "$$lock" "$(LOCK_CHECK_DIR)/$$lock"; \
	done
	@UV_OFFLINE=1 $(MAKE) --no-print-directory -s lock LOCK_DIR=$(LOCK_CHECK_DIR)/ 2>/dev/null \
	  || $(MAKE) --no-print-directory -s lock LOCK_DIR=$(LOCK_CHECK_DIR)/
	@for lock in $(ALL_LOCKS); do \
	  diff -u "$$lock" "$(LOCK_CHECK_DIR)/$$lock" \
	    || { echo "$$lock does not match its input: run 'make lock' and commit the result" >&2; exit 1; }; \
	done
	@echo "every lock matches its input"


# --- build ----------------------------------------------------------------------------------
# One artifact runs on arm64 and x86_64 (both platforms' wheels side by side): the architecture
# is chosen at deploy time, `sam deploy --parameter-overrides Architecture=x86_64`.
.PHONY: build
build: $(SAM) ## sam build (no Docker needed; one artifact for both architectures)
	$(SAM) build

# --- checks ---------------------------------------------------------------------------------
# Source folders whose code is ours (lint, format and types).
CODE := functions layers localcloud bench tests rollout
PYTEST := $(PY) -m pytest

.PHONY: fmt lint types unit integration template e2e test coverage-report
fmt: $(VENV)/.synced ## format the code and fix what ruff can fix (imports, upgrades)
	$(VENV)/bin/ruff check --fix $(CODE)
	$(VENV)/bin/ruff format $(CODE)

lint: $(VENV)/.synced ## ruff (lint and format check) and mypy
	$(VENV)/bin/ruff check $(CODE)
	$(VENV)/bin/ruff format --check $(CODE)
	$(MAKE) --no-print-directory types

types: $(VENV)/.synced ## mypy (strict) alone
	$(VENV)/bin/mypy $(CODE)

unit: $(VENV)/.synced ## the unit tier (no network)
	$(PYTEST) tests/unit

integration: $(VENV)/.synced ## the integration tier (the local cloud through real boto3 clients)
	$(PYTEST) tests/integration

template: $(VENV)/.synced $(SAM) $(CHECKOV) ## the template tier (cfn-lint, sam validate, checkov, builds, wiring)
	$(PYTEST) tests/template

e2e: $(VENV)/.synced ## the end-to-end tier (the whole pipeline)
	$(PYTEST) tests/e2e

# Every tier in one pytest run, so its closing line counts them all, under coverage: branch
# coverage of functions/ and layers/, subprocesses included (the Lambda workers and the
# extension under the sandbox start coverage through its `patch = subprocess`; pyproject.toml).
test: lint lock-check $(SAM) $(CHECKOV) ## lint, lock check, every test tier, branch coverage of functions/ and layers/
	rm -f .coverage .coverage.*
	$(PY) -m coverage run -m pytest tests/unit tests/integration tests/template tests/e2e
	$(MAKE) --no-print-directory coverage-report

coverage-report: $(VENV)/.synced ## combine and print the coverage of the last `make test` (each folder >= 90 %)
	if ls .coverage.* >/dev/null 2>&1; then $(PY) -m coverage combine -q; fi
	$(PY) -m coverage report --fail-under=0
	@for part in functions layers; do \
	  echo "$$part/: $$($(PY) -m coverage report --include="$$part/*" --format=total --fail-under=0) % of lines and branches"; \
	  $(PY) -m coverage report --include="$$part/*" --fail-under=90 >/dev/null \
	    || { echo "$$part/ is under 90 % branch coverage" >&2; exit 1; }; \
	done

# The fuzz tier for as long as asked: rounds of the `fuzz` tests, each with a new seed, more
# examples and larger inputs than `make test` runs, until FUZZ_SECONDS have passed.
FUZZ_SECONDS ?= 600
FUZZ_EXAMPLES ?= 2000
FUZZ_SCALE ?= 200000
.PHONY: fuzz
fuzz: $(VENV)/.synced ## the validator's fuzz tier for FUZZ_SECONDS (default 600), a new seed each round
	end=$$((SECONDS + $(FUZZ_SECONDS))); round=0; \
	while [ $$SECONDS -lt $$end ]; do \
	  round=$$((round + 1)); seed=$$RANDOM$$RANDOM; echo "fuzz round $$round, seed $$seed"; \
	  HYPOTHESIS_PROFILE=explore FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SCALE=$(FUZZ_SCALE) \
	    $(PYTEST) -q -m fuzz tests/unit --hypothesis-seed=$$seed; \
	done

# --- the feature file -----------------------------------------------------------------------
# `make validate FILE=path`: the validator Lambda's own checks, as `path:line:column: message`.
FILE ?= feature-file.yml
.PHONY: validate
validate: $(VENV)/.synced ## the validator's checks on FILE (default feature-file.yml), as path:line:column
	PYTHONPATH=functions/validator $(PY) -m feature_validator $(FILE)

# --- benchmarks -----------------------------------------------------------------------------
.PHONY: bench
bench: $(VENV)/.synced ## benchmarks beside their baselines -> bench-results.json
	$(PY) -m bench

# --- the local cloud --------------------------------------------------------------------------
.PHONY: demo
demo: $(VENV)/.synced ## the whole pipeline on this machine, narrated (no AWS account)
	$(PY) -m localcloud.demo

# The same local cloud as the demo, kept running on 127.0.0.1 until Ctrl-C (moto on port 5000,
# AppConfig + AppConfigData on 4780): upload with any S3 client and the pipeline runs. Prints the
# `export AWS_ENDPOINT_URL_...` lines. TIME_SCALE (default 60) speeds up deployment strategies.
# HOLD=1: the deploy function gets nothing; its events go to .localcloud/events/ for `sam local invoke`.
TIME_SCALE ?= 60
.PHONY: local-up
local-up: $(VENV)/.synced ## the demo's local cloud, kept running for hands-on use (TIME_SCALE=60, HOLD=1)
	$(PY) -m localcloud up --time-scale $(TIME_SCALE)$(if $(HOLD), --hold)

# Against a running `make local-up`: the deployments and what the flags API returns.
.PHONY: local-status
local-status: $(VENV)/.synced ## against a running local-up: deployments and the flags API's answer
	$(PY) -m localcloud status
