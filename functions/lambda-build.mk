# Shared recipe for the makefile builds of every Python function and layer (each folder links
# this file as lambda-build.mk, because SAM copies only the CodeUri folder before running make
# and follows links when it copies).
#
# Why a makefile build: it needs no Docker and no matching interpreter. Why both architectures:
# SAM gives make nothing but ARTIFACTS_DIR, and the Architecture parameter can change at deploy
# time, so an artifact must run on either. CPython names compiled modules per platform
# (`_yaml.cpython-313-aarch64-linux-gnu.so` beside `..._x86_64-linux-gnu.so`), so the wheels of
# both architectures sit side by side and the interpreter loads its own.
LAMBDA_PYTHON_VERSION := 3.13
comma := ,
LAMBDA_PLATFORMS := manylinux2014_aarch64 manylinux2014_x86_64
PIP ?= python3 -m pip

# Bytecode: Lambda's code directory is read-only, so a cold start without usable .pyc files
# compiles every module on every cold start (about 3x slower). Only an interpreter of the
# runtime's own version can write them, so they are added where one is found.
# python_for(3.13): an interpreter of exactly that version on this machine, or nothing.
python_for = $(shell for c in python$(1) $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(1)*/bin/python$(1) 2>/dev/null); do \
	$$c -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(1))))' >/dev/null 2>&1 && { echo $$c; break; }; done)
LAMBDA_PYTHON := $(call python_for,$(LAMBDA_PYTHON_VERSION))

# install_requirements: the pinned wheels of requirements.txt for both architectures.
# --no-deps because each requirements.txt is a complete lock without the AWS SDK, which the
# Lambda runtime provides. The second platform's files join the first's without replacing any
# (the pure-Python ones are the same): a copy that keeps what exists, written with find and
# test -e, because `cp -n` exits 1 whenever it skips a file on BSD and macOS (and in GNU
# coreutils 9.2-9.4), which under `set -e` fails the build.
define install_requirements
	set -e; for platform in $(LAMBDA_PLATFORMS); do \
	  $(PIP) install --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: --no-compile \
	    --implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --platform $$platform \
	    --target "$(ARTIFACTS_DIR)/.wheels-$$platform" -r requirements.txt; \
	  (cd "$(ARTIFACTS_DIR)/.wheels-$$platform" && \
	    find . -type d -exec sh -c 'for d do mkdir -p "$$0/$$d"; done' "$(ARTIFACTS_DIR)" {} + && \
	    find . ! -type d -exec sh -c 'for f do [ -e "$$0/$$f" ] || cp -p "$$f" "$$0/$$f"; done' "$(ARTIFACTS_DIR)" {} +); \
	  rm -rf "$(ARTIFACTS_DIR)/.wheels-$$platform"; \
	done
endef

# compile_bytecode: .pyc files that need no source timestamp check (the code never changes),
# for the functions' runtime.
define compile_bytecode
	$(if $(LAMBDA_PYTHON),$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)",@echo "python$(LAMBDA_PYTHON_VERSION) not found: artifact ships without bytecode")
endef

# compile_bytecode_for(3.12 3.13): the same for each of those versions (a layer serves several
# runtimes; CPython keeps one cpython-3XY.pyc per version side by side).
define compile_bytecode_for
	$(foreach v,$(1),$(if $(call python_for,$(v)),$(call python_for,$(v)) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)" && ,echo "python$(v) not found: no bytecode for python$(v)" && )) true
endef
