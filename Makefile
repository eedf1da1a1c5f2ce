# partnersim: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test lint bench profile workshop notebooks system-deps clean

$(STAMP): pyproject.toml
	@echo "make: setting up $(VENV) (first time, or pyproject.toml changed): installing partnersim and its"
	@echo "      dependencies with pip (quiet); this takes one to two minutes"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,notebooks,dask]'
	touch $(STAMP)
	@echo "make: $(VENV) is ready: run the command as $(BIN)/partnersim, or 'source $(BIN)/activate' first"

install: $(STAMP)

## The main job: the bundled baseline scenario, 100 replications, summary table.
run: install
	$(BIN)/partnersim run scenarios/baseline.toml

## Debian packages the browser test needs (chromium); installed when running as root.
system-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: chromium not found and not root: the browser test will be skipped"; fi

## The whole test suite (ruff, unit, property, ensemble, notebook and browser tests).
test: install system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The workshop app (notebooks/workshop.ipynb, no code shown) at http://127.0.0.1:8866/
## PRESET=name-or-file.toml sets what A starts as (default baseline); PARTNERSIM_REPS the runs (40).
## A closed tab's kernel (and its worker processes) is shut down once it has had no connection and
## no activity for CULL_IDLE seconds (checked every CULL_INTERVAL s); an open tab's kernel is kept.
## PROGRESSIVE=False runs the app as the page is served (the default shows the page, then runs it).
PRESET ?= baseline
PORT ?= 8866
CULL_IDLE ?= 600
CULL_INTERVAL ?= 60
PROGRESSIVE ?= True
workshop: install
	PARTNERSIM_PRESET='$(if $(wildcard $(PRESET)),$(abspath $(PRESET)),$(PRESET))' \
	$(BIN)/voila notebooks/workshop.ipynb --Voila.ip=127.0.0.1 --port=$(PORT) --no-browser --progressive_rendering=$(PROGRESSIVE) \
		--MappingKernelManager.cull_idle_timeout=$(CULL_IDLE) --MappingKernelManager.cull_interval=$(CULL_INTERVAL) \
		--MappingKernelManager.cull_connected=False

## The notebooks in JupyterLab.
notebooks: install
	$(BIN)/jupyter lab notebooks/

lint: install
	$(BIN)/ruff check src tests benchmarks docs

## The benchmarks: every figure of the README's table in about 5 minutes on 2 cores, a progress line per
## round; BENCH_ARGS=--full for more rounds and a 100,000-run memory sweep (about 30 minutes).
BENCH_ARGS ?=
bench: install
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

## Where a model run's time goes (pyinstrument, sampling): call tree and own time per function.
profile: install
	$(BIN)/python benchmarks/profile.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
