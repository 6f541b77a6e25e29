# voc360: one entry point for setting up, building and testing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1

# The sample world; VOC360_START_DATE must match the generator's start date (partitions begin there).
SEED ?= 42
CUSTOMERS ?= 2000
DAYS ?= 365
export VOC360_START_DATE ?= 2025-10-01
# dbt reads the build database path from the environment (parse only needs it set).
export VOC360_WAREHOUSE_PATH ?= $(CURDIR)/warehouse/voc360.duckdb

.PHONY: demo install world parse build summary test ui clean

## demo: install, generate the sample world, materialise every asset through Dagster, print a summary
demo: install world parse build

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

world: install
	$(BIN)/voc360-world --seed $(SEED) --customers $(CUSTOMERS) --days $(DAYS) --start-date $(VOC360_START_DATE)

## parse: write dbt's manifest, which the Dagster definitions load
parse: install
	$(BIN)/dbt parse --quiet --project-dir dbt --profiles-dir dbt

build: install
	$(BIN)/voc360 build

summary: install
	$(BIN)/voc360 summary

## test: install if needed and run the whole test suite
test: install parse
	$(BIN)/python -m pytest -n 2 --dist loadfile

## ui: the Dagster UI on this project, with the run history of `make demo`
ui: install parse
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf landing ground_truth warehouse .dagster_home dbt/target dbt/logs
