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
LAMBDA_PYTHON := $(shell for c in python$(LAMBDA_PYTHON_VERSION) $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(LAMBDA_PYTHON_VERSION)*/bin/python$(LAMBDA_PYTHON_VERSION) 2>/dev/null); do \
	$$c -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(LAMBDA_PYTHON_VERSION))))' >/dev/null 2>&1 && { echo $$c; break; }; done)

# install_requirements: the pinned wheels of requirements.txt for both architectures.
# --no-deps because each requirements.txt is a complete lock without the AWS SDK, which the
# Lambda runtime provides.
define install_requirements
	set -e; for platform in $(LAMBDA_PLATFORMS); do \
	  $(PIP) install --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: --no-compile \
	    --implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --platform $$platform \
	    --target "$(ARTIFACTS_DIR)/.wheels-$$platform" -r requirements.txt; \
	  cp -Rn "$(ARTIFACTS_DIR)/.wheels-$$platform/." "$(ARTIFACTS_DIR)/"; \
	  rm -rf "$(ARTIFACTS_DIR)/.wheels-$$platform"; \
	done
endef

# compile_bytecode: .pyc files that need no source timestamp check (the code never changes).
define compile_bytecode
	$(if $(LAMBDA_PYTHON),$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)",@echo "python$(LAMBDA_PYTHON_VERSION) not found: artifact ships without bytecode")
endef
