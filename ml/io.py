"""Where the ML and identity steps read their inputs and write their outputs, on either engine.

The steps query tables with SQL through a DuckDB connection and write their outputs as tables in it
(`ml.*`, `identity.*`). On DuckDB that connection is the build database itself. On Spark the dbt tables
are Parquet files in Spark's warehouse directory and the dbt sources are Parquet files that dbt declares
at the start of each run (macro register_file_sources): `spark_tables` gives the steps an in-memory
DuckDB whose views read those files, and writes the tables a step created back as Parquet, typed as the
dbt sources declare them.
"""

from __future__ import annotations

import os
import pickle
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import yaml

OUTPUT_SCHEMAS = ("ml", "identity")


def declared_columns(dbt_project_dir: Path) -> dict[str, dict[str, str]]:
    """Columns and types of every dbt source table, by "<schema>.<table>", from the sources' YAML."""
    declared: dict[str, dict[str, str]] = {}
    for path in sorted((dbt_project_dir / "models").rglob("*sources.yml")):
        for source in yaml.safe_load(path.read_text()).get("sources", []):
            schema = source.get("schema", source["name"])
            for table in source.get("tables", []):
                declared[f"{schema}.{table['name']}"] = {
                    column["name"]: column["data_type"] for column in table.get("columns", [])
                }
    return declared


def sql_string(value: str) -> str:
    """value as a SQL string literal (paths and names put into DuckDB statements that take no parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _parquet_glob(directory: Path) -> str:
    return sql_string(str(directory / "**" / "*.parquet"))


def attach_views(
    con: duckdb.DuckDBPyConnection, spark_warehouse_dir: Path, parquet_dir: Path, skip_schemas: tuple[str, ...] = ()
) -> list[str]:
    """Create a view <schema>.<table> for every table dbt built on Spark (<schema>.db/<table>/ under Spark's
    warehouse directory) and every source written as Parquet (<parquet_dir>/<schema>/<table>/), except those
    in skip_schemas; returns their names."""
    tables = {
        f"{schema_dir.name.removesuffix('.db')}.{table_dir.name}": table_dir
        for schema_dir in sorted(spark_warehouse_dir.glob("*.db"))
        for table_dir in sorted(schema_dir.iterdir())
        if table_dir.is_dir()
    }
    tables |= {
        f"{schema_dir.name}.{table_dir.name}": table_dir
        for schema_dir in sorted(parquet_dir.glob("*"))
        for table_dir in sorted(schema_dir.iterdir())
        if table_dir.is_dir()
    }
    for name, directory in tables.items():
        if name.split(".")[0] in skip_schemas or not any(directory.rglob("*.parquet")):
            continue
        schema, table = name.split(".")
        con.execute(f'create schema if not exists "{schema}"')
        con.execute(
            f'create or replace view "{schema}"."{table}" as select * from '
            f"read_parquet({_parquet_glob(directory)}, hive_partitioning = true, union_by_name = true)"
        )
    return sorted(name for name in tables if name.split(".")[0] not in skip_schemas)


@contextmanager
def spark_catalog(
    con: duckdb.DuckDBPyConnection, spark_warehouse_dir: Path, parquet_dir: Path, catalog: str = "spark",
    skip_schemas: tuple[str, ...] = (), search: bool = False,
) -> Iterator[list[str]]:
    """Spark's tables (see attach_views) as views in an in-memory catalog attached to con, yielding their names.
    With search, their schemas go on con's search path after its own, so that <schema>.<table> finds them
    where con has no such schema. Detached again on exit."""
    home = con.execute("select current_database()").fetchone()[0]
    search_path = con.execute("select current_setting('search_path')").fetchone()[0]
    con.execute(f"attach ':memory:' as \"{catalog}\" (read_only false)")  # also from a read-only con
    try:
        con.execute(f'use "{catalog}"')
        try:
            names = attach_views(con, spark_warehouse_dir, parquet_dir, skip_schemas)
        finally:
            con.execute(f'use "{home}"')
        if search:
            schemas = dict.fromkeys(name.split(".")[0] for name in names)
            con.execute("set search_path = ?", [",".join([f"{home}.main", *(f"{catalog}.{s}" for s in schemas)])])
        yield names
    finally:
        if search_path:
            con.execute("set search_path = ?", [search_path])
        else:
            con.execute("reset search_path")
        con.execute(f'detach "{catalog}"')


def write_parquet(con: duckdb.DuckDBPyConnection, name: str, parquet_dir: Path, columns: dict[str, str]) -> Path:
    """Replace <parquet_dir>/<schema>/<table>/ with table `name` of con, cast to the declared columns (a
    declared column the table lacks is NULL). The new files are written beside the old ones and swapped in."""
    schema, table = name.split(".")
    target = parquet_dir / schema / table
    staged = target.with_name(f".{table}.new")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    present = {row[0] for row in con.execute(f'describe "{schema}"."{table}"').fetchall()}
    values = {column: f'"{column}"' if column in present else "null" for column in columns}
    select = ", ".join(f'cast({values[column]} as {data_type}) as "{column}"' for column, data_type in columns.items())
    path = sql_string(str(staged / "part_0.parquet"))
    con.execute(f"copy (select {select} from \"{schema}\".\"{table}\") to {path} (format parquet)")
    shutil.rmtree(target, ignore_errors=True)
    staged.rename(target)
    return target


@contextmanager
def spark_tables(
    spark_warehouse_dir: Path, parquet_dir: Path, dbt_project_dir: Path, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB over the Spark warehouse's files. For a step (not read_only) the views leave out the
    steps' outputs (schemas ml and identity, which the steps write and never read), and on success every table
    the step created there is written to <parquet_dir> for dbt to read as a source."""
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        attach_views(con, spark_warehouse_dir, parquet_dir, skip_schemas=() if read_only else OUTPUT_SCHEMAS)
        yield con
        if read_only:
            return
        declared = declared_columns(dbt_project_dir)
        written = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and table_schema in {OUTPUT_SCHEMAS}"
        ).fetchall()
        for (name,) in written:
            if name not in declared:
                raise KeyError(f"{name} is written by an ML step but declared as no dbt source")
            write_parquet(con, name, parquet_dir, declared[name])
    finally:
        con.close()


def save_pickle(obj, path: str | Path) -> Path:
    """Pickle a fitted model to a temporary file beside `path`, then rename: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


def load_pickle(cls: type, path: str | Path):
    """A model that `save_pickle` wrote (load only files this project wrote), checked to be a `cls`."""
    with open(path, "rb") as f:
        obj = pickle.load(f)
    if not isinstance(obj, cls):
        raise TypeError(f"{path} does not hold a {cls.__name__}")
    return obj
