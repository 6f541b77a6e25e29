"""Erasure and consent on a small world built through Dagster.

Erasure: `voc360 erase --email ...` of a person with texts, orders and tickets removes them from every schema of
the build and serving databases and from the embedding cache, takes exactly their rows from the person-grain
tables, and re-landing the same files does not bring them back (the suppression list). Consent: a revocation
landed for a later day unlinks a social account on the next build, and with it the account's posts from the
customer's timeline, profile, text insights and topic exposure."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import BIN, PROJECT_ROOT, dagster_instance, generate_world, run_build, world_env
from support.erasure_checks import choose_person, occurrences, truth

from ml.embeddings import EmbeddingCache
from voc360.landing import load_days
from voc360.registry import load_registry, parse_registry

pytestmark = pytest.mark.e2e

START, CUSTOMERS, DAYS, SEED = "2026-01-01", 200, 10, 7
# Tables with one row per person, text, order, touch or snapshot: an erasure takes exactly the person's rows.
PERSON_GRAIN = [
    "intermediate.int_person_map", "intermediate.int_feedback_texts", "intermediate.int_interactions",
    "features.feat_churn_snapshots", "ml.text_insights", "marts.customer_360", "marts.fct_orders",
    "marts.fct_interactions",
]


def test_identifier_columns_must_exist_and_a_social_account_needs_its_platform():
    def registry(identifiers: str) -> str:
        return (
            "landing_root: landing\nsources:\n  posts:\n    description: d\n    owner: o\n"
            "    path: posts/{date}/*.csv\n    format: csv\n    primary_key: [post_id]\n    event_time: at\n"
            f"    identifiers: {identifiers}\n    columns:\n      post_id: {{type: varchar}}\n"
            "      handle: {type: varchar}\n      at: {type: timestamp}\n"
        )

    with pytest.raises(ValueError, match="undeclared columns"):
        parse_registry(registry("{email: email_hash}"))
    with pytest.raises(ValueError, match="needs a platform column"):
        parse_registry(registry("{handle: social_account}"))
    assert parse_registry(registry("{post_id: review}")).sources["posts"].identifiers == {"post_id": "review"}


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of every table and view (a mart may be a view of the build, e.g. marts.fct_interactions)."""
    names = [r[0] for r in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_type in ('BASE TABLE', 'VIEW')"
    ).fetchall()]
    return {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in names}


def test_the_rebuild_after_an_erasure_refreshes_every_dbt_step_and_refits_the_text_and_churn_models():
    """The text step otherwise keeps its registry and sentiment model between weekly refits, the churn step its
    model between retrainings; they were fitted with the erased person's texts and snapshots. Every dbt step of
    the rebuild, whichever copy of its layer's op it is, reads the erasure tag of the run and refreshes in full."""
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.partitions import DbtWindowConfig, dbt_refresh_args
    from voc360.erasure import rebuild_run_config
    from voc360.settings import BUILD_TAG, ERASURE_TAG

    config = dg.validate_run_config(defs.resolve_job_def("voc360_transform"), rebuild_run_config())["ops"]
    assert config["ml_text_insights"]["config"]["refit"] is True
    assert config["ml__churn_scores"]["config"]["retrain"] is True
    assert dbt_refresh_args(DbtWindowConfig(), {BUILD_TAG: "e1", ERASURE_TAG: "e1"}) == ["--full-refresh"]
    assert dbt_refresh_args(DbtWindowConfig(), {BUILD_TAG: "b1"}) == []


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("erasure_world")
    env = world_env(root, START)
    generate_world(env, customers=CUSTOMERS, days=DAYS, seed=SEED)
    plant_posts_of_bound_accounts(root, env)
    built = run_build(env)
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    return root, env


# A world of a few days has few posts, and seldom one by an account bound in the app: each such account gets two.
PLANTED_POSTS = ("The parcel has been out for delivery for six days now.", "Support still has not answered my ticket.")


def plant_posts_of_bound_accounts(root: Path, env: dict[str, str]) -> None:
    """Two posts of every account bound in the app (and never revoked), landed on day 2 and added to the truth."""
    handles = truth(root, "social_handles.csv")
    bound = handles[(handles["ever_bound"] == "true") & (handles["ever_revoked"] == "false")
                    & (handles["published_member_id"] == "") & (handles["person_id"] != "")]
    day = dt.date.fromisoformat(START) + dt.timedelta(days=2)
    posts = [
        {"post_id": f"planted_{n}_{i}", "platform": account.platform, "handle": account.handle,
         "author_display_name": None, "author_bio": None, "is_brand_account": False,
         "posted_at": f"{day}T1{i}:00:00Z", "text": text, "language": "en", "like_count": 0, "share_count": 0,
         "reply_to_post_id": None}
        for n, account in enumerate(bound.itertuples()) for i, text in enumerate(PLANTED_POSTS)
    ]
    folder = Path(env["VOC360_LANDING_DIR"]) / "social_posts" / day.isoformat()
    pd.DataFrame(posts).to_json(folder / f"social_posts_{day}_planted.jsonl", orient="records", lines=True,
                                force_ascii=False)
    owners = dict(zip(bound["platform"] + "|" + bound["handle"], bound["person_id"], strict=True))
    truth_rows = pd.DataFrame({"source": "social_posts", "key_column": "post_id", "key": [p["post_id"] for p in posts],
                               "person_id": [owners[f"{p['platform']}|{p['handle']}"] for p in posts]})
    truth_rows.to_csv(root / "ground_truth" / "identity_map.csv", mode="a", header=False, index=False)


def raw_keys(con: duckdb.DuckDBPyConnection, source: str, identity: pd.DataFrame) -> dict[tuple[str, int], str]:
    """(file, line) -> the ground-truth key of each raw row of a source (identity_map.csv key_column)."""
    key_columns = identity.loc[identity["source"] == source, "key_column"]
    key = next((c for c in key_columns if "|" not in c), None)
    if key is None:  # a source of real data that the sample world does not write
        return {}
    rows = con.execute(f'select _source_file, _line_number, "{key}" from raw.{source}').fetchall()
    return {(file, line): value for file, line, value in rows}


def test_erasure_removes_the_person_everywhere_and_keeps_them_out(world):
    root, env = world
    warehouse, serving = root / "warehouse" / "voc360.duckdb", root / "warehouse" / "serving.duckdb"
    person = choose_person(root)
    identity = truth(root, "identity_map.csv")
    own_keys = identity[identity["person_id"] == person["person_id"]]
    customer_id = person["customer_ids"]

    with connect(warehouse) as con:
        person_ids = [r[0] for r in con.execute(
            "select distinct person_id from intermediate.int_person_map "
            "where record_type = 'crm_customer' and record_key = ?", [customer_id]).fetchall()]
        assert len(person_ids) == 1
        records = con.execute(
            "select record_type, record_key from intermediate.int_person_map where person_id = ?", person_ids
        ).fetchall()
        hashes = [r[0] for r in con.execute(
            "select distinct h from staging.stg_crm__customer_versions, unnest([email_hash, email_match_hash, "
            "phone_hash]) as u(h) where customer_id = ? and h is not null", [customer_id]).fetchall()]
        texts = con.execute("select masked_text from ml.text_insights where person_id = ?", person_ids).df()
        all_texts = con.execute("select masked_text, count(*) as n from ml.text_insights group by all").df()
        person_rows = {t: con.execute(f"select count(*) from {t} where person_id = ?", person_ids).fetchone()[0]
                       for t in PERSON_GRAIN}
        before = row_counts(con)
        raw_before = {s: raw_keys(con, s, identity) for s in load_registry().sources}
        model_ids = EmbeddingCache(root / "warehouse" / "embeddings").models()
    assert {"order", "ticket"} <= {t for t, _ in records} and len(texts) and len(hashes) >= 2
    assert all(person_rows[t] > 0 for t in ("marts.customer_360", "marts.fct_orders", "ml.text_insights"))
    # texts only this person wrote: the cache keeps the texts that others wrote too
    own_texts = sorted(set(texts["masked_text"]) & set(all_texts.loc[all_texts["n"] == 1, "masked_text"]))
    cache = EmbeddingCache(root / "warehouse" / "embeddings")
    assert own_texts and all(any((m, t) in cache for m in model_ids) for t in own_texts)
    clear = [person["email"], person["phone_e164"], person["loyalty_card"], customer_id, *person_ids, *hashes,
             *[k for t, k in records if t in ("order", "ticket", "pos_receipt", "survey_response", "review")]]
    clear = [v for v in clear if v]
    with connect(warehouse) as con:
        assert occurrences(con, clear), "the identifiers should be found before the erasure"

    erased = subprocess.run([str(BIN / "voc360"), "erase", "--email", person["email"].upper()],
                            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert erased.returncode == 0, erased.stdout[-4000:] + erased.stderr[-4000:]
    assert person["email"] not in erased.stdout + erased.stderr

    for database in (warehouse, serving):
        with connect(database) as con:
            assert occurrences(con, clear + own_texts) == [], database
    cache = EmbeddingCache(root / "warehouse" / "embeddings")
    assert not any((m, t) in cache for m in model_ids for t in own_texts)

    with connect(warehouse) as con:
        after = row_counts(con)
        for table, rows in person_rows.items():
            assert after[table] == before[table] - rows, table
        raw_after = {s: raw_keys(con, s, identity) for s in load_registry().sources}
        erasure = con.execute("select * from voc360_meta.erasures").df()
        suppressed_identifiers = con.execute("select count(*) from voc360_meta.suppression").fetchone()[0]
    with connect(serving) as con:
        published_build = con.execute("select build_id from voc360_meta.publications").fetchone()[0]
    assert len(erasure) == 1 and erasure["request_type"].iloc[0] == "email" and suppressed_identifiers > 0
    assert published_build == erasure["erasure_id"].iloc[0]
    # the raw rows removed are this person's own (ground truth); their orders and tickets went entirely
    owner = identity.drop_duplicates(["source", "key"]).set_index(["source", "key"])["person_id"]
    for source, rows in raw_before.items():
        removed = {line: key for line, key in rows.items() if line not in raw_after[source]}
        assert set(raw_after[source]) <= set(rows), source
        assert {owner.get((source, key), "") for key in removed.values()} <= {person["person_id"]}, source
        own = set(own_keys.loc[own_keys["source"] == source, "key"])
        if source in ("crm_customers", "orders", "order_items", "tickets", "ticket_messages"):
            assert own and not own & set(raw_after[source].values()), source

    # re-landing every day of every source: the suppression list keeps the person out, and the counts balance
    landed = [dt.date.fromisoformat(START) + dt.timedelta(days=i) for i in range(DAYS + 4)]
    with duckdb.connect(str(warehouse)) as con:
        for source in load_registry().sources.values():
            load_days(con, source, landed, Path(env["VOC360_LANDING_DIR"]))
        assert occurrences(con, clear) == []
        relanded = {s: raw_keys(con, s, identity) for s in load_registry().sources}
        read, loaded, rejected, suppressed = con.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_rejected), sum(rows_suppressed) from raw_audit.loads"
        ).fetchone()
    assert relanded == raw_after
    assert read == loaded + rejected + suppressed and suppressed > 0


def consent_state(con: duckdb.DuckDBPyConnection, person_id: str, text_ids: list[str]) -> dict:
    """What the posts (their text ids) count for the person: owner of each text, timeline touches, profile
    counts (posts, accounts) and topic exposure."""
    return {
        "texts": con.execute(
            "select text_id, person_id from ml.text_insights where text_id = any(?)", [text_ids]).fetchall(),
        "touches": con.execute(
            "select count(*) from marts.fct_interactions where person_id = ? and text_id = any(?)",
            [person_id, text_ids]).fetchone()[0],
        "profile": con.execute(
            "select social_posts, social_accounts from marts.customer_360 where person_id = ?", [person_id]
        ).fetchone(),
        "exposure": con.execute(
            "select coalesce(sum(texts), 0) from features.feat_topic_exposure where person_id = ?", [person_id]
        ).fetchone()[0],
    }


def test_a_revoked_binding_stops_the_accounts_posts_counting_for_the_customer(world):
    """Runs on the world the erasure left: a revocation landed for a later day, then `voc360 build` of that day."""
    root, env = world
    warehouse = root / "warehouse" / "voc360.duckdb"
    with connect(warehouse) as con:
        # an account linked only by its consented binding, whose posts are texts of its owner
        binding = con.execute(
            """
            select links.record_key, links.linked_key, persons.person_id
            from intermediate.int_identity_links as links
            join intermediate.int_person_map as persons
                on persons.record_type = 'social_account' and persons.record_key = links.record_key
            where links.rule = 'social_binding_consent'
                and links.record_key not in (
                    select record_key from intermediate.int_identity_links where rule <> 'social_binding_consent'
                    union all select linked_key from intermediate.int_identity_links where rule = 'ticket_handle'
                )
                and persons.person_id in (select person_id from ml.text_insights where source = 'social_posts')
            order by links.record_key
            limit 1
            """
        ).fetchone()
        assert binding, "the world should have an account linked by its binding only, with posts"
        account, customer_id, person_id = binding
        posts = [r[0] for r in con.execute(
            "select 'social_posts:' || post_id || ':text' from staging.stg_social__posts "
            "where platform || ':' || handle = ?", [account]).fetchall()]
        before = consent_state(con, person_id, posts)
        exposure_from_account = con.execute(
            """select count(*) from features.feat_churn_snapshots as snapshots
            join ml.text_insights as texts
                on texts.person_id = snapshots.person_id and texts.created_at < snapshots.cutoff_date
            join ml.topics as topics on topics.topic_id = texts.topic_id and not topics.retired and topics.topic_id >= 0
            where snapshots.person_id = ? and texts.text_id = any(?)""", [person_id, posts]).fetchone()[0]
    texts = before["texts"]
    assert texts and {p for _, p in texts} == {person_id} and before["touches"] == len(texts)
    assert before["profile"][0] >= len(texts)

    platform, handle = account.split(":", 1)
    # the last export day of the world (every source has files that day, so its volume gates hold), long after
    # the bindings of day 0
    day = dt.date.fromisoformat(START) + dt.timedelta(days=DAYS - 1)
    folder = Path(env["VOC360_LANDING_DIR"]) / "account_bindings" / day.isoformat()
    columns = load_registry().sources["account_bindings"].column_names
    revocation = {"binding_event_id": "BREVOKE1", "customer_id": customer_id, "platform": platform, "handle": handle,
                  "action": "revoke", "consent": "false", "occurred_at": f"{day}T09:00:00Z"}
    pd.DataFrame([revocation])[columns].to_csv(folder / f"account_bindings_{day}_revocation.csv", index=False)
    built = run_build(env, "--start", day.isoformat(), "--end", day.isoformat())
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]

    with connect(warehouse) as con:
        links = con.execute(
            "select count(*) from intermediate.int_identity_links where record_key = ? or linked_key = ?",
            [account, account]).fetchone()[0]
        after = consent_state(con, person_id, posts)
    assert links == 0
    assert sorted(t for t, _ in after["texts"]) == sorted(t for t, _ in texts)
    assert {p for _, p in after["texts"]} == {None}
    assert after["touches"] == 0
    assert after["profile"] == (before["profile"][0] - len(texts), before["profile"][1] - 1)
    assert after["exposure"] == before["exposure"] - exposure_from_account


def test_the_erase_job_runs_from_dagster_and_its_sensor_requests_a_full_rebuild(world):
    """voc360_erase as the UI launches it (run config naming a person id), on the world the tests above left; the
    rebuild its sensor requests is a valid voc360_transform run whose erasure tag makes every dbt step refresh
    in full, with the text models refitted and the churn model retrained."""
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.erasure import erasure_rebuild
    from dagster_project.partitions import DbtWindowConfig, dbt_refresh_args
    from voc360.settings import ERASURE_TAG

    root, env = world
    warehouse = root / "warehouse" / "voc360.duckdb"
    with connect(warehouse) as con:
        person_id, customer_id = con.execute(
            "select person_id, record_key from intermediate.int_person_map where record_type = 'crm_customer' "
            "and record_key in (select customer_id from raw.crm_customers) order by person_id limit 1").fetchone()
        crm_rows = con.execute("select count(*) from raw.crm_customers where customer_id = ?", [customer_id]).fetchone()[0]
    assert crm_rows > 0
    config = root / "erase_run_config.json"  # JSON is YAML
    config.write_text(json.dumps({"ops": {"erase_person": {"config": {"person_id": person_id}}}}))
    launched = subprocess.run(
        [sys.executable, "-m", "dagster", "job", "execute", "-m", "dagster_project.definitions", "-j", "voc360_erase",
         "--config", str(config)], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert launched.returncode == 0, launched.stdout[-4000:] + launched.stderr[-4000:]
    with connect(warehouse) as con:
        assert con.execute("select count(*) from raw.crm_customers where customer_id = ?", [customer_id]).fetchone()[0] == 0
        erasure_id, request_type, identifier_hash = con.execute(
            "select erasure_id, request_type, identifier_hash from voc360_meta.erasures order by requested_at desc limit 1"
        ).fetchone()
    assert request_type == "person_id" and person_id not in identifier_hash

    instance = dagster_instance(env)
    [run] = instance.get_runs(dg.RunsFilter(job_name="voc360_erase"), limit=1)
    assert run.status == dg.DagsterRunStatus.SUCCESS and run.tags[ERASURE_TAG] == erasure_id
    [success] = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records
    request = erasure_rebuild(dg.build_run_status_sensor_context(
        sensor_name="voc360_erasure_rebuild", dagster_event=success.event_log_entry.dagster_event,
        dagster_instance=instance, dagster_run=run))
    transform = defs.resolve_job_def("voc360_transform")
    assert dg.validate_run_config(transform, request.run_config)
    ops = request.run_config["ops"]
    assert set(ops) == {"ml_text_insights", "ml__churn_scores"}
    assert ops["ml_text_insights"]["config"]["refit"] is True
    assert ops["ml__churn_scores"]["config"]["retrain"] is True
    assert request.tags[ERASURE_TAG] == erasure_id
    assert "--full-refresh" in dbt_refresh_args(DbtWindowConfig(), request.tags)
