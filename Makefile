# Two commands do all the set-up on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
SUB    ?= u-1
GROUPS ?=

.PHONY: install run test lint typecheck unit openapi token bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install  ## serve the API at http://127.0.0.1:$(PORT) on an embedded moto DynamoDB
	PORT=$(PORT) $(BIN)/python -m devstack.local_stack

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/xenon --max-absolute C --max-modules B --max-average A chalicelib app.py

typecheck: install
	$(BIN)/mypy

test: lint typecheck  ## install and run every check
	$(BIN)/python -m pytest -n 2

openapi: install  ## regenerate the committed OpenAPI document from the models
	$(BIN)/python -m chalicelib.api.openapi > chalicelib/api/openapi.json

token: install  ## make a local token: make token SUB=u-1 GROUPS=auditor
	@$(BIN)/python -m devstack.token --sub '$(SUB)' --groups '$(GROUPS)'

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
