"""Customer tags: declared once in config/customer_tags.yml, materialised by dim_customer_tags on a generated
world; rules are checked against customer_360 and fct_orders recomputed in pandas."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from support.world_build import Build, dbt, shared_world
from voc360.settings import PROJECT_ROOT

TAGS_FILE = PROJECT_ROOT / "config" / "customer_tags.yml"
KEYS = ("name", "description", "owner", "rule", "reason")
# customer_360.tags carries these ten; config/customer_tags.yml declares them with the same rules
CUSTOMER_360_TAGS = {
    "app_user", "crm_records_merged", "detractor", "gift_buyer", "high_value", "member", "multichannel_buyer",
    "promoter", "recent_service_contact", "social_linked",
}


def declared() -> list[dict]:
    return yaml.safe_load(TAGS_FILE.read_text(encoding="utf-8"))["tags"]


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    return shared_world(tmp_path_factory)


@pytest.fixture(scope="module")
def tags(build: Build) -> pd.DataFrame:
    return build.df("select * from marts.dim_customer_tags")


def persons_with(tags: pd.DataFrame, tag: str) -> set[str]:
    return set(tags.loc[tags["tag"] == tag, "person_id"])


# -- the declarations ----------------------------------------------------------------------------------------
def test_every_declared_tag_has_a_name_description_owner_rule_and_reason():
    tags = declared()
    assert len(tags) >= 30
    for tag in tags:
        assert set(KEYS) <= set(tag), tag
        for key in KEYS:
            assert isinstance(tag[key], str) and tag[key].strip(), (tag.get("name"), key)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", tag["name"]), tag["name"]
    names = [t["name"] for t in tags]
    assert len(names) == len(set(names))
    assert CUSTOMER_360_TAGS <= set(names)


# -- the mart --------------------------------------------------------------------------------------------------
def test_dim_customer_tags_built_with_its_tests(build: Build):
    ours = [r for r in build.results if "dim_customer_tag" in r["unique_id"]]
    assert len(ours) >= 10
    assert all(r["status"] in ("success", "pass") for r in ours), ours


def test_at_least_thirty_tags_apply_one_row_per_person_and_tag(build: Build, tags: pd.DataFrame):
    assert tags["tag"].nunique() >= 30
    assert not tags.duplicated(["person_id", "tag"]).any()
    assert tags[["person_id", "tag", "reason", "owner", "as_of_date"]].notna().all().all()
    assert set(tags["tag"]) <= {t["name"] for t in declared()}
    owners = {t["name"]: t["owner"] for t in declared()}
    assert (tags["owner"] == tags["tag"].map(owners)).all()
    as_of = build.df("select distinct as_of_date from marts.customer_360")["as_of_date"]
    assert len(as_of) == 1 and (tags["as_of_date"] == as_of.iloc[0]).all()
    catalogue = build.df("select tag, owner, persons from marts.dim_customer_tag_definitions order by tag_order")
    assert catalogue["tag"].tolist() == [t["name"] for t in declared()]
    counts = tags["tag"].value_counts()
    assert (catalogue.set_index("tag")["persons"] == counts.reindex(catalogue["tag"]).fillna(0).values).all()


def test_rules_recomputed_from_customer_360_in_pandas(build: Build, tags: pd.DataFrame):
    people = build.df("select * from marts.customer_360").set_index("person_id")
    expected = {
        "high_value": people["rfm_monetary_score"] == 5,
        "web_browser_no_purchase": (people["web_sessions"] >= 3) & (people["completed_orders"] == 0),
        "lapsed_member": people["membership_status"] == "lapsed",
        "detractor": people["last_nps_score"].between(0, 6),
        "service_complainer": people["tickets"] >= 3,  # the part of the rule that needs no other feature
    }
    for tag, mask in expected.items():
        mask = mask.fillna(False).astype(bool)
        if tag == "service_complainer":
            assert set(people.index[mask]) <= persons_with(tags, tag)
        else:
            assert set(people.index[mask]) == persons_with(tags, tag), tag
        assert mask.any(), f"the world should hold persons tagged {tag}"
    # the reason names the person's own numbers
    high_value = tags[tags["tag"] == "high_value"].set_index("person_id")["reason"]
    for person_id, reason in high_value.head(20).items():
        amount = re.fullmatch(r"net revenue (\d+) USD, top 20% of buyers", reason)
        assert amount, reason
        assert abs(int(amount.group(1)) - people.loc[person_id, "net_revenue"]) <= 0.5


def test_price_sensitive_recomputed_from_fct_orders(build: Build, tags: pd.DataFrame):
    orders = build.df(
        "select person_id, discount_amount, gross_amount, coupon_code from marts.fct_orders "
        "where is_completed and order_source = 'shop' and person_id is not null"
    )
    orders["discount_amount"] = orders["discount_amount"].fillna(0)
    per_person = orders.groupby("person_id").agg(
        online_orders=("gross_amount", "size"),
        discount=("discount_amount", "sum"),
        gross=("gross_amount", "sum"),
        coupons=("coupon_code", "count"),
    )
    share = per_person["discount"] / per_person["gross"]
    mask = (per_person["online_orders"] >= 2) & (
        (share >= 0.15) | (per_person["coupons"] >= 0.5 * per_person["online_orders"])
    )
    assert mask.sum() > 0
    assert set(per_person.index[mask]) == persons_with(tags, "price_sensitive")


def test_tags_that_customer_360_also_carries_agree(build: Build, tags: pd.DataFrame):
    people = build.df("select person_id, tags from marts.customer_360")
    from_360 = {
        (row.person_id, tag)
        for row in people.itertuples()
        if isinstance(row.tags, str)
        for tag in row.tags.split(",")
        if tag in CUSTOMER_360_TAGS
    }
    ours = {(p, t) for p, t in tags[["person_id", "tag"]].itertuples(index=False) if t in CUSTOMER_360_TAGS}
    assert from_360 == ours


def test_a_tag_without_an_owner_stops_the_build(build: Build, tmp_path):
    broken = declared()[:2]
    del broken[1]["owner"]
    bad_file = tmp_path / "customer_tags.yml"
    bad_file.write_text(yaml.safe_dump({"tags": broken}), encoding="utf-8")
    completed, _ = dbt(
        build.env, tmp_path, "compile", "-s", "dim_customer_tags",
        "--vars", yaml.safe_dump({"customer_tags_file": str(bad_file)}, default_flow_style=True),
    )
    assert completed.returncode != 0
    assert "has no owner" in completed.stdout and broken[1]["name"] in completed.stdout
