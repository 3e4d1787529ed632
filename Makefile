# `make demo` runs the example app, `make test` the whole test suite; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench bench-quick fixtures clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/wippy -C examples/compute run list
	$(VENV)/bin/wippy -C examples/compute run greet wippy
	$(VENV)/bin/wippy -C examples/compute check
	$(PY) examples/compute/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check wippy tests benchmarks tools examples

typecheck: $(STAMP)
	$(VENV)/bin/mypy wippy

pytest: $(STAMP)
	$(VENV)/bin/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	$(PY) -m benchmarks

bench-quick: $(STAMP)
	$(PY) -m benchmarks --quick

# Rebuilds the committed .wasm fixtures from their sources (needs the toolchains named in the script).
fixtures:
	bash tools/build-fixtures.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
