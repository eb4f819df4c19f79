# G6 — two commands for a fresh machine with Python 3.11:
#   make run    install into .venv and start the Dagster UI + daemon on http://127.0.0.1:3000
#   make test   install everything the tests need and run ruff, mypy and the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
PYTEST_ARGS ?=
PIP_VERSION := 26.3
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: run materialize test test-fast lint lock system-deps bench bench-latency soak clean

# every package comes from requirements.lock (`make lock` writes it from pyproject.toml)
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)

$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(VENV)/.installed $@

# after changing a dependency in pyproject.toml: resolve again and write requirements.lock
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/python scripts/lock.py

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

# one daemon per instance: refused (with how to stop the first) while DAGSTER_HOME has one, whatever the port
run: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/g6 config check
	@$(BIN)/python scripts/run-dagster.py $(HOST) $(PORT) -- $(BIN)/dagster dev --host $(HOST) --port $(PORT)

# seal days or fold them into the weekday master in the project's instance (.dagster_home), as the UI would:
#   make materialize SELECT=weekday_master RANGE=2026-11-02...2026-11-20
MATERIALIZE_USAGE := usage: make materialize SELECT=option_chain_daily|overview_daily|weekday_master|daily RANGE=YYYY-MM-DD[...YYYY-MM-DD]
materialize: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	@if [ -z "$(SELECT)" ] || [ -z "$(RANGE)" ]; then echo "$(MATERIALIZE_USAGE)"; \
	else $(BIN)/g6 materialize "$(SELECT)" "$(RANGE)"; fi

system-deps:
	@for script in scripts/install-*.sh; do bash "$$script" || exit 1; done

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy g6_pipeline g6_pipeline_tests

test: $(VENV)/.installed-dev system-deps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-dev lint
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	@for script in benchmarks/bench_*.py; do echo "== $$script"; PYTHONPATH=. $(BIN)/python "$$script" || exit 1; done

# sensor-launched minute runs under `dagster dev` as `make run` starts it, beside an empty-op project: latency
# percentiles, the quote-request spread, the run's overhead over the empty-op run (~22 minutes)
bench-latency: $(VENV)/.installed
	PYTHONPATH=. $(BIN)/python benchmarks/bench_minute_latency.py --runs 20

# the real daemon through a scripted bad day against the loopback Kite server (MINUTES + ~6 minutes)
MINUTES ?= 30
soak: $(VENV)/.installed-dev system-deps
	PYTHONPATH=. $(BIN)/python benchmarks/soak.py --minutes $(MINUTES)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
