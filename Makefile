# Palpa: two commands do everything (see README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared
PORT ?= 8000

.PHONY: run reports test lint bench examples clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

## run: set up, prepare the database with demo data if needed, and start the web API
run: $(STAMP)
	$(BIN)/palpa demo
	$(BIN)/palpa serve --host 127.0.0.1 --port $(PORT)

## reports: print clinician reports for the demo cases
reports: $(STAMP)
	@for f in examples/cases/*.json; do $(BIN)/palpa assess --format text $$f; done

## test: set up and run the whole suite (lint and type checks included)
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

examples: $(STAMP)
	$(BIN)/python $(SHARED)/contract/examples/check_examples.py --palpa $(BIN)/palpa

## bench: print the benchmark figures (engine and CLI, notes, bulk screening, API and CDS Hooks under load)
bench: $(STAMP)
	$(BIN)/python bench/assess.py
	$(BIN)/python bench/notes.py
	$(BIN)/python bench/bulk.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/cds.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
