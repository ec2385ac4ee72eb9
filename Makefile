# The two commands a new user needs:  make build  and  make test  (see README.md).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RAW ?= data/raw
DEMO_CUSTOMERS ?= 20000
DBT := $(BIN)/dbt
DBT_FLAGS := --project-dir . --profiles-dir .

.PHONY: build test venv demo-data dbt-build summary lint benchmark clean

build: venv demo-data dbt-build summary  ## set up, generate demo data if needed, dbt build, summary

test: venv  ## set up and run the whole test suite
	$(BIN)/python -m pytest

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo-data: venv
	@if [ -z "$$(ls -A $(RAW) 2>/dev/null)" ]; then \
		echo "raw folder $(RAW) is empty: generating demo data ($(DEMO_CUSTOMERS) customers)"; \
		$(BIN)/audience generate --customers $(DEMO_CUSTOMERS) --seed 42 --out $(RAW); \
	else echo "using the raw files in $(RAW)"; fi

dbt-build: venv
	mkdir -p warehouse
	AUDIENCE_RAW_PATH=$(RAW) $(DBT) build $(DBT_FLAGS)

summary: venv
	$(BIN)/audience summary

lint: venv
	$(BIN)/ruff check audience tests python_models benchmarks

benchmark: venv  ## not part of make test: see docs/benchmarks.md
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal
