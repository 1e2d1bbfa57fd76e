# Two commands do all the set-up on a fresh machine with Python 3.11: `make run` and `make test`.
# Installs come from uv.lock (every package pinned and hashed); uv itself comes from PyPI into the virtualenv.
PYTHON     ?= python3.11
VENV       ?= .venv
BIN        := $(VENV)/bin
UV_VERSION := 0.13.9
UV         := $(BIN)/uv
PORT       ?= 8000
SUB        ?= u-1
GROUPS     ?=
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS    := never

.PHONY: help install lock requirements run lint typecheck chromium test openapi token package bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.uv-$(UV_VERSION): | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	touch $@

$(VENV)/.installed: pyproject.toml uv.lock $(VENV)/.uv-$(UV_VERSION)
	$(UV) sync --frozen --extra dev --quiet
	touch $@

install: $(VENV)/.installed  ## install exactly what uv.lock pins (again whenever uv.lock or pyproject.toml changes)

lock: $(VENV)/.uv-$(UV_VERSION)  ## re-resolve uv.lock after editing pyproject.toml, then re-export requirements.txt
	$(UV) lock
	$(MAKE) requirements

requirements: $(VENV)/.uv-$(UV_VERSION)  ## regenerate requirements.txt (what Lambda installs) from uv.lock
	$(BIN)/python -m tools.requirements

run: install  ## serve the API at http://127.0.0.1:$(PORT) on an embedded moto DynamoDB
	PORT=$(PORT) $(BIN)/python -m devstack.local_stack

lint: install  ## ruff (lint and format check) and the xenon complexity gate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/xenon --max-absolute C --max-modules B --max-average A chalicelib app.py

typecheck: install  ## mypy --strict on chalicelib/ and app.py
	$(BIN)/mypy

chromium:  ## headless Chromium for the report test: Debian's chromium package, installed where it is missing
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "installing Debian's chromium (the export report's browser test needs it)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	} || echo "could not install chromium: the report's browser test will fail"

test: lint typecheck chromium  ## install and run every check (the package test downloads Lambda wheels once)
	$(BIN)/python -m pytest -n 2

openapi: install  ## regenerate the committed OpenAPI document from the models
	$(BIN)/python -m chalicelib.api.openapi > chalicelib/api/openapi.json

token: install  ## make a local token: make token SUB=u-1 GROUPS=auditor
	@$(BIN)/python -m devstack.token --sub '$(SUB)' --groups '$(GROUPS)'

package: install  ## build build/package/{deployment.zip,sam.json} with `chalice package`, offline, from the lock
	$(BIN)/python -m tools.package

bench: package  ## print the benchmark figures, the deployment package's size among them
	$(BIN)/python bench/run.py
	$(BIN)/python bench/moderation.py

clean:  ## remove the virtualenv, caches, the wheelhouse and chalice's package cache
	rm -rf $(VENV) .mypy_cache .ruff_cache build .chalice/deployments
