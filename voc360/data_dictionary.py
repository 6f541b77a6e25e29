"""The analysts' data dictionary of the marts, written from the dbt YAML that documents them.

`python -m voc360.data_dictionary` (`make dictionary`) rewrites docs/data_dictionary.md: one section per mart
with its description and every column's. The YAML stays the one place a column is described; the tests fail
when the Markdown is older than it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from voc360.settings import DBT_PROJECT_DIR, PROJECT_ROOT

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
DICTIONARY = PROJECT_ROOT / "docs" / "data_dictionary.md"
# dbt's time spine for MetricFlow: a calendar, not something analysts query
INTERNAL_MODELS = {"metricflow_time_spine"}


def mart_models(marts_dir: Path = MARTS_DIR) -> list[dict]:
    """Every documented mart model, by folder then name."""
    models = []
    for path in sorted(marts_dir.rglob("_*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            if model["name"] not in INTERNAL_MODELS:
                models.append({**model, "folder": path.parent.name})
    return sorted(models, key=lambda m: (m["folder"], m["name"]))


def cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def render(models: list[dict]) -> str:
    lines = [
        "# Data dictionary of the marts",
        "",
        "Generated from the dbt YAML under `dbt/models/marts/` by `make dictionary`; do not edit by hand. Every",
        "table is in schema `marts` of `warehouse/serving.duckdb`. `make docs` shows the same with column types",
        "and lineage.",
        "",
        "| mart | folder | columns |",
        "|---|---|---|",
        *(f"| [`{m['name']}`](#{m['name']}) | {m['folder']} | {len(m.get('columns', []))} |" for m in models),
    ]
    for model in models:
        lines += [
            "",
            f"## {model['name']}",
            "",
            cell(model.get("description")),
            "",
            "| column | description |",
            "|---|---|",
            *(f"| `{c['name']}` | {cell(c.get('description'))} |" for c in model.get("columns", [])),
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    DICTIONARY.parent.mkdir(exist_ok=True)
    DICTIONARY.write_text(render(mart_models()), encoding="utf-8")
    print(f"wrote {DICTIONARY.relative_to(PROJECT_ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
