# The two commands a new user needs:  make build  and  make test  (see README.md).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RAW ?= data/raw
DEMO_CUSTOMERS ?= 20000
REPORT ?= reports/audience_report.html
DBT := $(BIN)/dbt
DBT_FLAGS := --project-dir . --profiles-dir .
# seconds since `start` was set in the same recipe line
ELAPSED = $$(( $$(date +%s) - start ))

.PHONY: build test test-spark venv demo-data dbt-build report summary docs lint benchmark serve clean

build: venv demo-data dbt-build report summary  ## set up, generate demo data if needed, dbt build, report, summary
	@echo "==> make build done: warehouse, BI file, exports and summary above"

test: venv  ## set up and run the whole test suite
	$(BIN)/python -m pytest

# dbt build on local Spark (docs/engines.md): the spark extra (dbt-spark, pyspark), a Java
# runtime from the system packages when `java` is missing, then tests/python/test_spark.py and
# tests/python/test_spark_python_models.py (in their own temp folder, which concurrent pytest
# runs do not rotate away while it is read)
test-spark: venv  ## the project on local Spark: load a small generated dataset, dbt build, compare with DuckDB
	@command -v java >/dev/null 2>&1 || { \
		echo "==> installing a Java runtime (openjdk-17-jre-headless) for local Spark"; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo -n"; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; }
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	AUDIENCE_TEST_SPARK=1 $(BIN)/python -m pytest tests/python/test_spark.py tests/python/test_spark_python_models.py -m spark -q \
		--basetemp=$${TMPDIR:-/tmp}/audience-test-spark

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> [setup] creating $(VENV) and installing audience with dbt (first run only, a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,api]"
	touch $(STAMP)

demo-data: venv
	@echo "==> [1/4] raw data in $(RAW)"
	@if [ -z "$$(ls -A $(RAW) 2>/dev/null)" ]; then \
		echo "    $(RAW) is empty: generating demo data ($(DEMO_CUSTOMERS) customers)"; \
		$(BIN)/audience generate --customers $(DEMO_CUSTOMERS) --seed 42 --out $(RAW); \
	else echo "    using the raw files in $(RAW) (empty the folder to regenerate demo data)"; fi

dbt-build: venv
	@echo "==> [2/4] dbt build: land the raw files, then staging, profiles, clusters, scores, segments,"
	@echo "    exports and every test, one line per step; after a build without failures the BI file"
	@echo "    is published (README, Connect a BI tool)"
	@mkdir -p warehouse
	@start=$$(date +%s); \
	AUDIENCE_RAW_PATH=$(RAW) $(DBT) build $(DBT_FLAGS); rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "==> dbt build succeeded in $(ELAPSED)s"; \
	else echo "==> dbt build FAILED after $(ELAPSED)s: see the ERROR/FAIL lines above and logs/dbt.log;"; \
		echo "    BI readers keep the last complete build"; fi; \
	exit $$rc

report: venv  ## self-contained HTML report of the segments (opens offline)
	@echo "==> [3/4] HTML report: $(REPORT)"
	@$(BIN)/audience report --out $(REPORT)

summary: venv
	@echo "==> [4/4] summary"
	@$(BIN)/audience summary --report $(REPORT)

docs: venv  ## the dbt documentation site (needs a built warehouse)
	AUDIENCE_RAW_PATH=$(RAW) $(DBT) docs generate $(DBT_FLAGS)
	@echo "==> docs in target/index.html; browse: $(DBT) docs serve $(DBT_FLAGS)"

# sqlfluff's dbt templater compiles every model (no build, no raw files needed); its connection
# opens a scratch DuckDB file under target/, so linting leaves the warehouse alone
lint: venv  ## ruff for Python; sqlfluff (dbt templater, rules in .sqlfluff) for the models' SQL
	$(BIN)/ruff check audience tests python_models benchmarks
	@mkdir -p target
	AUDIENCE_RAW_PATH=$(RAW) AUDIENCE_DUCKDB_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff lint models

benchmark: venv  ## not part of make test: see docs/benchmarks.md (DuckDB memory_limit 5GB: 1M passed within 7.0 GiB, docs/benchmarks.md)
	AUDIENCE_MEMORY_LIMIT=$${AUDIENCE_MEMORY_LIMIT:-5GB} $(BIN)/python benchmarks/run_benchmarks.py

serve: venv  ## the read-only scoring API over the BI file (README, "Scoring API for a CRM")
	$(BIN)/audience serve --host $${API_HOST:-127.0.0.1} --port $${API_PORT:-8000}

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal warehouse/*.tmp
