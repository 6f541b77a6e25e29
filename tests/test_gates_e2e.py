"""Quality gates through Dagster: a bad batch lands but stops everything downstream and leaves the serving
copy as it was; the next good run publishes, while an analyst reads the serving copy from another process."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import check_evaluations, dagster_instance, generate_world, materialized_keys, run_build, world_env

from voc360.publish import read_publication, serving_checksum
from voc360.settings import BUILD_TAG

pytestmark = pytest.mark.e2e

START = "2026-02-01"
BAD_DAY = "2026-02-05"


def orders_with_defects(n: int) -> str:
    lines = []
    for i in range(n):
        lines.append(json.dumps({
            "order_id": f"BAD-{i}", "customer_id": None if i % 5 < 2 else f"C-BAD-{i}",  # 40% null keys
            "channel": "web", "ordered_at": f"{BAD_DAY}T10:00:00Z", "status": "completed", "currency": "CNY",
            "gross_amount": -50.0, "discount_amount": 0, "shipping_amount": 0, "net_amount": -50.0,  # negative
            "is_gift": False, "gift_message": None, "shipping_city": "Hangzhou", "contact_email": None,
            "contact_phone": None, "coupon_code": None,
        }))
    return "\n".join(lines) + "\n"


def surveys_with_defects(n: int) -> str:
    header = "response_id,customer_id,survey_type,score,verbatim,channel,ticket_id,order_id,responded_at"
    rows = [f"SBAD-{i},,nps,11,off the scale,email,,,{BAD_DAY}T09:00:00Z" for i in range(n)]  # NPS 11
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("gated_world")
    env = world_env(root, START)
    generate_world(env, customers=80, days=6, seed=11)
    first = run_build(env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return root, env


def test_bad_batch_lands_fails_its_gate_and_leaves_serving_unchanged(world):
    root, env = world
    serving = root / "warehouse" / "serving.duckdb"
    before_checksum = serving_checksum(serving, ["marts"])
    before_build = read_publication(serving)["build_id"]
    landing = Path(env["VOC360_LANDING_DIR"])
    bad_files = [landing / "orders" / BAD_DAY / "orders_bad.jsonl", landing / "surveys" / BAD_DAY / "surveys_bad.csv"]
    bad_files[0].write_text(orders_with_defects(200))
    bad_files[1].write_text(surveys_with_defects(200))

    bad = run_build(env, "--start", BAD_DAY, "--end", BAD_DAY)

    assert bad.returncode != 0
    instance = dagster_instance(env)
    run = instance.get_runs(limit=1)[0]
    failed = {e.asset_key.to_user_string() for e in check_evaluations(instance, run.run_id) if not e.passed}
    assert {"raw/orders", "raw/surveys"} <= failed
    # The batch is in raw (landed, for inspection) ...
    with duckdb.connect(str(root / "warehouse" / "voc360.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.orders where order_id like 'BAD-%'").fetchone()[0] == 200
        assert con.execute("select count(*) from raw.surveys where score = '11'").fetchone()[0] == 200
    # ... but nothing downstream of the failed gates materialised, and analysts still see the last good build.
    materialized = materialized_keys(instance, run.run_id)
    assert materialized and all(key.startswith("raw/") for key in materialized)
    assert serving_checksum(serving, ["marts"]) == before_checksum
    assert read_publication(serving)["build_id"] == before_build

    for path in bad_files:
        path.unlink()


def test_good_run_publishes_while_an_analyst_reads_the_serving_copy(world, tmp_path):
    root, env = world
    serving = root / "warehouse" / "serving.duckdb"
    stop = tmp_path / "stop"
    analyst = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "support" / "analyst.py"), str(serving), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        good = run_build(env, "--start", BAD_DAY, "--end", BAD_DAY)
    finally:
        stop.touch()
        report = json.loads(analyst.communicate(timeout=60)[0])

    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    build_id = dagster_instance(env).get_runs(limit=1)[0].tags[BUILD_TAG]
    publication = read_publication(serving)
    assert publication["build_id"] == build_id
    assert any(check.endswith(":raw_quality") for check in publication["checks_passed"])
    # The analyst's process never failed and never saw a table whose rows disagree with its publication.
    assert report["errors"] == []
    assert len(report["observations"]) > 10
    assert all(o["consistent"] for o in report["observations"])
    assert report["observations"][-1]["build_id"] == build_id
