# `make demo` runs the example app, `make test` the whole test suite; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck fixture-pins pytest test-wasmer bench bench-quick bench-table \
	fixtures clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench,cluster]'
	touch $(STAMP)

# A tour of examples/compute, wasi, supervision, lua, actors (through the CLI) and cluster
# (about 40 s).
WIPPY := $(VENV)/bin/wippy
demo: $(STAMP)
	@echo "== compute: a core module and a component as commands, and as functions (examples/compute)"
	$(WIPPY) -C examples/compute check
	$(WIPPY) -C examples/compute run list
	$(WIPPY) -C examples/compute run greet wippy
	$(WIPPY) -C examples/compute run compute 6 7; echo "exit status: $$?"
	$(WIPPY) -C examples/compute run multiply 6 7; echo "exit status: $$?"
	$(PY) examples/compute/demo.py
	@echo "== wasi: args, env, a read-only and a writable mount (examples/wasi)"
	$(WIPPY) -C examples/wasi run list
	$(WIPPY) -C examples/wasi run hello Ann Bob
	WIPPY_GREETING=Howdy $(WIPPY) -C examples/wasi run info one "two words"
	$(WIPPY) -C examples/wasi run cat words.txt
	$(WIPPY) -C examples/wasi run note "wippy demo ran"
	$(WIPPY) -C examples/wasi run tamper
	$(WIPPY) -C examples/wasi run count 3
	@echo "== supervision: WASM workers crash, a supervisor restarts (examples/supervision)"
	$(WIPPY) -C examples/supervision start
	@echo "== lua: the seed's snippet, a Lua supervisor of WASM workers, a Lua function (examples/lua)"
	$(WIPPY) -C examples/lua check
	$(WIPPY) -C examples/lua run seed; echo "exit status: $$?"
	$(WIPPY) -C examples/lua run supervise 1 15
	$(WIPPY) -C examples/lua run cube 4; echo "exit status: $$?"
	@echo "== actors: WASM processes that receive, send and spawn (examples/actors, wippy:process)"
	$(WIPPY) -C examples/actors check
	$(WIPPY) -C examples/actors run ping 1000; echo "exit status: $$?"
	$(WIPPY) -C examples/actors run pool 4 16
	$(PY) examples/actors/demo.py
	@echo "== cluster: a supervisor on node 0, WASM workers on node 1 of a local Ray cluster; node 1 is killed (examples/cluster)"
	@if $(PY) -c 'import ray' >/dev/null 2>&1; then $(PY) examples/cluster/demo.py; \
	else echo "skipped: Ray is not installed (pip install 'wippy[cluster]')"; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check wippy tests benchmarks tools examples

typecheck: $(STAMP)
	$(VENV)/bin/mypy wippy

# Every committed .wasm must still have the sha256 pinned in tests/fixtures/manifest.sha256
# (tools/build-fixtures.sh rewrites the manifest); a changed binary fails here, named.
fixture-pins: $(STAMP)
	$(PY) tools/check-fixtures.py --manifest

pytest: $(STAMP)
	$(VENV)/bin/pytest -q

test: lint typecheck fixture-pins pytest test-wasmer

# The wasmer engine works on CPython 3.10 only: its half of the engine tests runs in .venv310,
# built with PYTHON310, else python3.10 on PATH, else pyenv's newest 3.10, when there is one.
VENV310 := .venv310
PYTHON310 ?=
test-wasmer:
	@py=; \
	for c in "$(PYTHON310)" "$$(command -v python3.10)" \
	    $$(command -v pyenv >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.10.*/bin/python \
	       2>/dev/null | sort -rV); do \
	    if [ -n "$$c" ] && "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' \
	        >/dev/null 2>&1; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	    echo "wasmer engine tests: skipped: no Python 3.10 on this machine (set PYTHON310=...)"; \
	    exit 0; \
	fi; \
	if [ ! -f $(VENV310)/.installed ] || [ setup.cfg -nt $(VENV310)/.installed ]; then \
	    echo "wasmer engine tests: setting up $(VENV310) with $$py"; \
	    test -x $(VENV310)/bin/python || "$$py" -m venv $(VENV310) || exit 1; \
	    $(VENV310)/bin/python -m pip install -q -e '.[wasmer]' 'pytest>=8' 'pytest-timeout>=2.3' \
	        || exit 1; \
	    touch $(VENV310)/.installed; \
	fi; \
	echo "wasmer engine tests on $$($(VENV310)/bin/python -V): tests/wasm -k wasmer"; \
	WIPPY_REQUIRE_WASMER=1 $(VENV310)/bin/pytest -q -p no:cacheprovider tests/wasm -k wasmer

# The benchmarks print a table (wippy next to raw wasmtime-py, raw Pykka and Erlang/OTP). `bench`
# writes the committed report benchmarks/results/full.{json,png} and renders README.md's table from
# it (bench-table); `bench-quick` writes the scratch benchmarks/results/latest.{json,png}. `bench`
# first installs Debian's erlang-base for the Erlang column when erl is missing and it runs as
# root with apt-get; otherwise that column is skipped.
bench: $(STAMP)
	@command -v erl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing erlang-base for the Erlang/OTP baseline"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-base >/dev/null 2>&1 \
	    || { apt-get update -qq >/dev/null 2>&1 && \
	         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-base >/dev/null 2>&1; } \
	    || echo "note: could not install erlang-base; the Erlang/OTP column is skipped"; \
	  else \
	    echo "note: erl not found (apt-get install erlang-base needs root); Erlang/OTP column skipped"; \
	  fi; }
	$(PY) -m benchmarks
	$(MAKE) bench-table

bench-quick: $(STAMP)
	$(PY) -m benchmarks --quick

# Rewrites the table between the bench-table markers in README.md from benchmarks/results/full.json.
bench-table: $(STAMP)
	$(PY) tools/render-bench-table.py

# Rebuilds the committed .wasm fixtures from their sources (needs the toolchains named in the script).
fixtures:
	bash tools/build-fixtures.sh

clean:
	rm -rf $(VENV) $(VENV310) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
