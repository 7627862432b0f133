# ccstats: `make run` serves the demo, `make test` runs every test; both set everything up.
# constraints.txt pins every installed package (direct and transitive): regenerate it with
# `.venv/bin/pip freeze --exclude-editable > constraints.txt` after changing pyproject.toml.
VENV := .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test check run bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest

check: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

run: install
	$(BIN)/ccstats demo

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
