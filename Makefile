# Two commands for a fresh machine: `make build` builds the warehouse into warehouse.duckdb,
# `make test` runs every check CI runs. Both create and fill .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONWARNINGS := ignore
export DBT_PROFILES_DIR := $(CURDIR)

CLIENTS ?= 200000
TRANSACTIONS ?= 10000000
SEED ?= 42
OUT ?= data/generated

.PHONY: install build test lint plots docs data clean

$(BIN)/dbt: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/dbt

install: $(BIN)/dbt

build: install
	$(BIN)/dbt build

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint

test: lint
	$(BIN)/pytest

# Plots of the scoring models (PNG, shown in the docs site) from the built warehouse.
plots: install
	$(BIN)/python -m customer_analytics.plots --warehouse warehouse.duckdb --out assets/plots

docs: plots
	$(BIN)/dbt docs generate

data: install
	$(BIN)/python -m customer_analytics.generator --seed $(SEED) --clients $(CLIENTS) \
		--transactions $(TRANSACTIONS) --out $(OUT)

clean:
	rm -rf target logs warehouse.duckdb
