# Two commands on a fresh machine: `make run` (set up + default scenario), `make test`.
SHELL := /bin/bash
# python3.12 on PATH (pyenv reads .python-version), else pyenv's own copy of 3.12.
PYTHON ?= $(shell command -v python3.12 2>/dev/null \
	|| ls -1d $(HOME)/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/default.yaml

.PHONY: setup run test docs format clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: python3.12 not found (pyenv reads .python-version)" >&2; exit 2; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,app]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/idlib-sim run $(SCENARIO)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

docs: $(STAMP)
	$(BIN)/python -m sim.world.reference README.md

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info
