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
# Ports of `make dashboard` and `make docs`.
DASHBOARD_PORT ?= 8501
DOCS_PORT ?= 8080
# dbt reads the build database path from the environment (parse only needs it set).
export VOC360_WAREHOUSE_PATH ?= $(CURDIR)/warehouse/voc360.duckdb

.PHONY: demo install world parse build summary test ui dashboard docs dictionary chromium bench clean

## demo: install, generate the sample world, materialise every asset through Dagster, print a summary
demo: install world parse build

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,spark]"
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
test: install parse chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

## ui: the Dagster UI on this project, with the run history of `make demo`
ui: install parse
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml

## dashboard: the KPI dashboard on warehouse/serving.duckdb, at http://localhost:$(DASHBOARD_PORT)
dashboard: install
	$(BIN)/python -m dashboard --server.port $(DASHBOARD_PORT)

## docs: dbt's documentation site (models, columns, lineage, exposures) at http://localhost:$(DOCS_PORT).
## The catalog is read from the build database, so run it when no build is running.
docs: install
	$(BIN)/dbt docs generate --quiet --project-dir dbt --profiles-dir dbt
	$(BIN)/dbt docs serve --project-dir dbt --profiles-dir dbt --port $(DOCS_PORT) --no-browser

## dictionary: rewrite docs/data_dictionary.md from the dbt YAML of the marts
dictionary: install
	$(BIN)/python -m voc360.data_dictionary

## chromium: Debian's Chromium (and a CJK font) for the dashboard test; nothing happens when they are installed
chromium:
	@dpkg -s chromium fonts-wqy-zenhei >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; }

## bench: generate a world at SCALE (small, default, medium, large), build it through Dagster, write bench/results/
SCALE ?= small
REPEAT ?= 3
bench: install
	$(BIN)/python -m bench.run --scale $(SCALE) --repeat $(REPEAT)

clean:
	rm -rf landing ground_truth warehouse .dagster_home dbt/target dbt/logs test-artifacts
