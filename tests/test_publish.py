"""Write-audit-publish: complete atomic copies, readers undisturbed, failures leave serving untouched."""

import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from voc360 import publish as publish_module
from voc360.publish import (
    PublishError,
    SparkBuild,
    current_parquet_dir,
    publish,
    read_publication,
    serving_checksum,
)

ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
        try:
            build = con.execute("select build_id from voc360_meta.publications").fetchone()[0]
            rows = con.execute("select count(*), sum(amount) from marts.orders_daily").fetchone()
            print("ok", build, rows[0], rows[1], flush=True)
        except Exception as exc:
            print("error", type(exc).__name__, str(exc).replace(chr(10), " "), flush=True)
    """
)


class Analyst:
    """A separate process holding a read-only connection to the serving database, as an analyst's client would."""

    def __init__(self, serving):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(serving)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready", self.proc.stderr.read()

    def query(self):
        self.proc.stdin.write("q\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)


@pytest.fixture
def paths(tmp_path):
    build = tmp_path / "warehouse" / "voc360.duckdb"
    build.parent.mkdir()
    with duckdb.connect(str(build)) as con:
        con.execute("create schema marts")
        con.execute("create schema staging")
        con.execute("create table marts.orders_daily as select range::int as day, range * 10.0 as amount from range(5)")
        con.execute("create table marts.customer_360 (person_id varchar, segment varchar, tags varchar[])")
        con.execute("insert into marts.customer_360 values ('P1', 'vip', ['gift']), ('P2', null, [])")
        con.execute("create view marts.vip as select * from marts.customer_360 where segment = 'vip'")
        con.execute("create table staging.stg_orders as select 1 as x")
    return build, tmp_path / "warehouse" / "serving.duckdb"


def add_orders(build, rows):
    with duckdb.connect(str(build)) as con:
        con.execute("insert into marts.orders_daily select 100 + range, 1.0 from range(?)", [rows])


def leftovers(serving):
    return sorted(p.name for p in serving.parent.iterdir() if p.name not in {"voc360.duckdb", "serving.duckdb", "serving.duckdb.lock"})


def test_publish_creates_serving_with_the_publication_record(paths):
    build, serving = paths
    result = publish(build, serving, ["marts"], "build-1", ["raw.orders", "dbt:not_null_orders"])

    assert [(t.name, t.row_count) for t in result.tables] == [
        ("marts.customer_360", 2), ("marts.orders_daily", 5), ("marts.vip", 1)
    ]
    record = read_publication(serving)
    assert record["build_id"] == "build-1"
    assert record["checks_passed"] == ["raw.orders", "dbt:not_null_orders"]
    assert {(t["schema_name"], t["table_name"], t["row_count"]) for t in record["tables"]} == {
        ("marts", "customer_360", 2), ("marts", "orders_daily", 5), ("marts", "vip", 1)
    }
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select tags from marts.customer_360 where person_id = 'P1'").fetchone() == (["gift"],)
        assert con.execute("select count(*) from marts.vip").fetchone() == (1,)  # the view, materialised
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
    assert schemas == {"marts", "voc360_meta"}  # staging is not published
    assert leftovers(serving) == []


def test_second_publish_swaps_atomically_while_an_analyst_keeps_reading(paths, monkeypatch):
    build, serving = paths
    publish(build, serving, ["marts"], "build-1", ["raw.orders"])
    analyst = Analyst(serving)
    try:
        assert analyst.query() == ["ok", "build-1", "5", "100.0"]

        add_orders(build, 3)
        during = []
        verify = publish_module.verify_copy

        def verify_and_ask_the_analyst(*args, **kwargs):
            during.append(analyst.query())
            return verify(*args, **kwargs)

        monkeypatch.setattr(publish_module, "verify_copy", verify_and_ask_the_analyst)
        publish(build, serving, ["marts"], "build-2", ["raw.orders"])

        assert during == [["ok", "build-1", "5", "100.0"]]
        # the open connection keeps reading the file it opened, without an error
        assert analyst.query() == ["ok", "build-1", "5", "100.0"]
        # a new connection sees the new build
        with duckdb.connect(str(serving), read_only=True) as con:
            assert con.execute("select build_id from voc360_meta.publications").fetchone() == ("build-2",)
            assert con.execute("select count(*) from marts.orders_daily").fetchone() == (8,)
        newcomer = Analyst(serving)
        assert newcomer.query() == ["ok", "build-2", "8", "103.0"]
        newcomer.close()
    finally:
        analyst.close()
    assert leftovers(serving) == []


def test_a_publish_failing_midway_leaves_serving_unchanged(paths, monkeypatch):
    build, serving = paths
    publish(build, serving, ["marts"], "build-1", ["raw.orders"])
    before = serving_checksum(serving, ["marts", "voc360_meta"])
    inode = os.stat(serving).st_ino
    add_orders(build, 7)

    def broken_verify(*args, **kwargs):
        raise PublishError("verification failed")

    monkeypatch.setattr(publish_module, "verify_copy", broken_verify)
    with pytest.raises(PublishError, match="verification failed"):
        publish(build, serving, ["marts"], "build-2", ["raw.orders"])

    assert serving_checksum(serving, ["marts", "voc360_meta"]) == before
    assert os.stat(serving).st_ino == inode
    assert read_publication(serving)["build_id"] == "build-1"
    assert leftovers(serving) == []


def test_unknown_schema_fails_and_leftovers_of_a_killed_publish_are_cleaned(paths):
    build, serving = paths
    publish(build, serving, ["marts"], "build-1", [])
    with pytest.raises(PublishError, match="no tables"):
        publish(build, serving, ["marts", "nope"], "build-2", [])
    assert read_publication(serving)["build_id"] == "build-1" and leftovers(serving) == []

    stale = serving.with_name(".serving.duckdb.publishing-build-x-dead")
    stale.write_bytes(b"half a file")
    stale.with_name(stale.name + ".wal").write_bytes(b"")
    publish(build, serving, ["marts"], "build-3", [])
    assert read_publication(serving)["build_id"] == "build-3" and leftovers(serving) == []

    with pytest.raises(ValueError, match="build_id"):
        publish(build, serving, ["marts"], "../evil", [])


def test_a_spark_build_is_published_from_the_files_of_its_tables(paths, tmp_path):
    """On Spark the marts are Parquet folders under Spark's warehouse directory (<schema>.db/<table>/, files
    split in parts); the serving copy is the same DuckDB file, with the same tables, as from a DuckDB build."""
    build, serving = paths
    spark = SparkBuild(tmp_path / "spark" / "warehouse", tmp_path / "parquet")
    with duckdb.connect(str(build), read_only=True) as con:
        for schema, table in (("marts", "orders_daily"), ("marts", "customer_360"), ("staging", "stg_orders")):
            folder = spark.warehouse_dir / f"{schema}.db" / table
            folder.mkdir(parents=True)
            for part in (0, 1):
                con.execute(f"copy (select * exclude (n) from (select *, row_number() over () as n from {schema}.{table}) "
                            f"where n % 2 = {part}) to '{folder}/part-{part:05}.parquet' (format parquet)")
    from_duckdb = tmp_path / "from_duckdb.duckdb"
    publish(build, from_duckdb, ["marts"], "build-1", [])

    result = publish(spark, serving, ["marts"], "build-1", ["dbt:not_null_orders"])

    assert [(t.name, t.row_count) for t in result.tables] == [("marts.customer_360", 2), ("marts.orders_daily", 5)]
    record = read_publication(serving)
    assert record["build_id"] == "build-1" and record["build_database"] == str(spark.warehouse_dir)
    with duckdb.connect(str(serving), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
        assert con.execute("select database_name from duckdb_databases() where not internal").fetchall() == [
            ("serving",)]  # the build's catalog is detached before the swap
    assert schemas == {"marts", "voc360_meta"}
    # the view marts.vip exists only in the DuckDB build; the tables match it row for row and type for type
    tables = ["marts.customer_360", "marts.orders_daily"]
    with duckdb.connect(str(serving), read_only=True) as con:
        con.execute(f"attach '{from_duckdb}' as reference (read_only)")
        for table in tables:
            assert con.execute(f"describe {table}").fetchall() == con.execute(f"describe reference.{table}").fetchall()
            assert con.execute(f"select * from {table} except all select * from reference.{table}").fetchall() == []
    assert leftovers(serving) == []


def test_checksum_changes_with_data_not_with_row_order(tmp_path):
    def db(name, rows):
        path = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute("create schema marts")
            con.execute("create table marts.t (id int, name varchar, score double)")
            con.executemany("insert into marts.t values (?, ?, ?)", rows)
            con.execute("create table marts.u as select 1 as k")
        return path

    rows = [(1, "a", 0.5), (2, None, 1.5), (3, "NULL", None), (3, "NULL", None)]
    base = serving_checksum(db("base", rows), ["marts"])
    assert serving_checksum(db("reordered", list(reversed(rows))), ["marts"]) == base
    assert serving_checksum(db("changed", [(1, "a", 0.5), (2, None, 1.5), (3, "NULL", 0.0), (3, "NULL", None)]), ["marts"]) != base
    assert serving_checksum(db("null_vs_text", [(1, "a", 0.5), (2, "NULL", 1.5), (3, "NULL", None), (3, "NULL", None)]), ["marts"]) != base
    assert serving_checksum(db("one_duplicate_less", rows[:3]), ["marts"]) != base
    assert serving_checksum(db("base_again", rows), ["marts"]) == base


def test_parquet_export_switches_the_current_pointer(paths):
    build, serving = paths
    parquet = serving.parent / "serving_parquet"
    first = publish(build, serving, ["marts"], "build-1", [], parquet_dir=parquet)
    assert first.parquet_dir == parquet / "build-1" and current_parquet_dir(parquet) == parquet / "build-1"
    add_orders(build, 2)
    publish(build, serving, ["marts"], "build-2", [], parquet_dir=parquet)
    current = current_parquet_dir(parquet)
    assert current == parquet / "build-2"
    with duckdb.connect() as con:
        path = str(current / "marts" / "orders_daily.parquet")
        assert con.execute("select count(*) from read_parquet(?)", [path]).fetchone() == (7,)
        record = str(current / "publication.parquet")
        assert con.execute("select build_id from read_parquet(?)", [record]).fetchone() == ("build-2",)
    assert sorted(p.name for p in parquet.iterdir()) == ["build-1", "build-2", "current"]
    for n in range(3, 6):
        publish(build, serving, ["marts"], f"build-{n}", [], parquet_dir=parquet, parquet_keep=2)
    assert sorted(p.name for p in parquet.iterdir()) == ["build-4", "build-5", "current"]


def test_every_connection_of_a_publication_is_bounded_by_the_memory_limit(paths, tmp_path, monkeypatch):
    build, serving = paths
    connect, limits = duckdb.connect, []

    def connect_and_read_the_limit(*args, **kwargs):
        con = connect(*args, **kwargs)
        limits.append(con.execute("select current_setting('memory_limit')").fetchone()[0])
        return con

    monkeypatch.setattr(publish_module.duckdb, "connect", connect_and_read_the_limit)
    publish(build, serving, ["marts"], "build-1", ["raw.orders"], parquet_dir=tmp_path / "parquet",
            memory_limit="1GiB")
    assert len(limits) == 3 and set(limits) == {"1.0 GiB"}  # the copy, its audit and its Parquet export
