# One venv, made on demand; every target depends on it so a fresh clone needs only `make <target>`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test lint bench bench-backtest bench-wave clean

# Tests, linters and every extra: what lint, test and bench need.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# What running needs: alerthub with every extra (Apprise, GA4, PostgreSQL), no test tools.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all]'
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	mkdir -p data
	$(BIN)/alerthub serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

test: lint
	$(BIN)/pytest -q -n auto --maxprocesses=4

# The PostgreSQL pass runs where this server answers (CI's and the dev machine's); elsewhere it says so.
bench: $(STAMP)
	ALERTHUB_BENCH_POSTGRES_URL=$${ALERTHUB_BENCH_POSTGRES_URL-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/python bench/run.py

# `alerthub backtest` over a week of 100,000 logged signals (bench/backtest.py); apart from `bench`, which it would lengthen.
bench-backtest: $(STAMP)
	$(BIN)/python bench/backtest.py

# The storm's flush waves in one process, without HTTP (bench/wave.py): the dispatcher's cost per wave, quiet
# enough to compare two commits.
bench-wave: $(STAMP)
	$(BIN)/python bench/wave.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
