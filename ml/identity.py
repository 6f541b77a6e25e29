"""Identity resolution in plain Python: Splink deduplication of CRM and cashier-typed store records, and its
quality against a ground truth.

The deterministic links and the connected components are dbt models (models/intermediate/identity); this
module adds the probabilistic pairs they cannot find (the same person as two CRM records, typed with typos)
and measures the resolved graph. Functions take a DuckDB connection or data frames and return frames or
plain values; nothing here knows about Dagster.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ml.io import sql_string

logger = logging.getLogger(__name__)

# Record types as they appear in int_identity_links / int_person_map.
CRM = "crm_customer"
POS = "pos_receipt"

# The columns of identity.splink_matches (the dbt source reads them by name).
MATCH_COLUMNS = {
    "record_type_l": "varchar",
    "record_key_l": "varchar",
    "record_type_r": "varchar",
    "record_key_r": "varchar",
    "match_probability": "double",
    "match_weight": "double",
    "is_match": "boolean",
    "match_threshold": "double",
    "evidence": "varchar",
    "model_id": "varchar",
    "scored_at": "timestamp",
}


@dataclasses.dataclass(frozen=True)
class SplinkSettings:
    """Parameters of the probabilistic deduplication; the defaults are the ones the pipeline runs with."""

    # A pair links two records when its match probability is at least this.
    match_threshold: float = 0.95
    # Pairs scored below this are not written at all (those in between are kept for review).
    review_floor: float = 0.5
    # Seed of the random sampling that estimates the u probabilities (EM itself is deterministic).
    seed: int = 42
    # Record pairs sampled to estimate u; every pair when the data have fewer.
    max_pairs_for_u: float = 2e6
    # Assumed recall of the deterministic rules that estimate the prior (probability two records match).
    deterministic_recall: float = 0.7
    # An EM session needs at least this many CRM pairs in its block (pairs sharing a phone, or an e-mail);
    # with no session possible the model is not trained and nothing is linked probabilistically.
    min_training_pairs: int = 5

    def validate(self) -> None:
        if not 0.0 < self.match_threshold < 1.0:
            raise ValueError(f"match_threshold must be within (0, 1), got {self.match_threshold}")
        if not 0.0 <= self.review_floor <= self.match_threshold:
            raise ValueError("review_floor must be within [0, match_threshold]")


# -- input ---------------------------------------------------------------------------------------------------

# CRM customers (current version) and the cashier-typed identities of store receipts: a name together with a
# phone, one record per distinct (phone, name, store city), keyed by its first receipt. Staging hashes names,
# e-mails and phones, which allows only equality: the whole name in any word order, either name part, the
# e-mail's match hash (domain misspellings corrected: "...@qq.con" is "...@qq.com"). Typos need the clear
# values, so for CRM records the step reads the landed row behind each staged version (joined on its
# lineage: file and line) for the name, e-mail and birth date. Those clear values exist only in this step's
# frames and its in-memory Splink database: identity.splink_matches keeps keys, scores and level labels.
# The name normalisation repeats dbt's normalise_name macro (lower case, runs of non-letters to one space).
_CLEAR_NAME = "nullif(trim(regexp_replace(lower({}), '[^\\p{{L}}]+', ' ', 'g')), '')"

SPLINK_INPUT_SQL = f"""
with crm as (

    select
        customers.*,
        {_CLEAR_NAME.format("landed.first_name")} as clear_first_name,
        {_CLEAR_NAME.format("landed.last_name")} as clear_last_name,
        nullif(lower(trim(landed.email)), '') as clear_email,
        try_cast(landed.birth_date as date) as birth_date
    from staging.stg_crm__customers as customers
    left join raw.crm_customers as landed
        on customers._source_file = landed._source_file and customers._line_number = landed._line_number

)

select
    '{CRM}:' || customer_id as unique_id,
    '{CRM}' as record_type,
    customer_id as record_key,
    name_key,
    first_name_hash,
    last_name_hash,
    clear_first_name as first_name,
    clear_last_name as last_name,
    email_match_hash as email_hash,
    clear_email as email,
    phone_hash,
    nullif(lower(trim(city)), '') as city,
    birth_year,
    birth_date
from crm

union all

select
    '{POS}:' || min(receipt_id),
    '{POS}',
    min(receipt_id),
    customer_name_key,
    null,
    null,
    null,
    null,
    null,
    null,
    phone_hash,
    nullif(lower(trim(store_city)), ''),
    null,
    null
from staging.stg_pos__receipts
where customer_name_key is not null and phone_hash is not null
group by customer_name_key, phone_hash, nullif(lower(trim(store_city)), '')
"""

INPUT_COLUMNS = {
    "unique_id": "varchar",
    "record_type": "varchar",
    "record_key": "varchar",
    "name_key": "varchar",
    "first_name_hash": "varchar",
    "last_name_hash": "varchar",
    "first_name": "varchar",
    "last_name": "varchar",
    "email_hash": "varchar",
    "email": "varchar",
    "phone_hash": "varchar",
    "city": "varchar",
    "birth_year": "integer",
    "birth_date": "date",
}


def splink_input(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The records to deduplicate, read from the staging models (and, for CRM rows, the landed rows behind them),
    in a stable order."""
    frame = con.execute(f"select * from ({SPLINK_INPUT_SQL}) as records order by unique_id").df()
    return frame.astype({"birth_year": "Int64"})


# -- model ---------------------------------------------------------------------------------------------------


def _one_typo(left: str, right: str, keep_digits: bool = False) -> str:
    """SQL: `left` and `right` differ by one inserted, dropped, changed or transposed letter after an equal first
    letter (people rarely mistype the first letter, and "Yang" / "Gang" are two names). With keep_digits the
    typo may not turn one digit into another: in an e-mail "rui_cao71" and "rui_cao78" are two people born in
    different years, while "andrewnelson395" and "andrewnelson359" are one. DuckDB's damerau_levenshtein is
    slow (u sampling scores a million pairs), so the cheap conditions decide most pairs before it runs."""
    digits = ""
    if keep_digits:
        d_l, d_r = (f"regexp_replace({side}, '[^0-9]', '', 'g')" for side in (left, right))
        digits = (
            f" and ({d_l} = {d_r} or length({d_l}) <> length({d_r}) "
            f"or list_sort(string_split({d_l}, '')) = list_sort(string_split({d_r}, '')))"
        )
    return (
        f"case when left({left}, 1) = left({right}, 1) and abs(length({left}) - length({right})) <= 1{digits} "
        f"then damerau_levenshtein({left}, {right}) = 1 else false end"
    )


def _name_one_typo() -> str:
    """SQL: one name part equal and the other one typo away, in either word order."""
    conditions = []
    for first_r, last_r in (("first_name_r", "last_name_r"), ("last_name_r", "first_name_r")):
        conditions.append(f"(first_name_l = {first_r} and {_one_typo('last_name_l', last_r)})")
        conditions.append(f"(last_name_l = {last_r} and {_one_typo('first_name_l', first_r)})")
    return " or ".join(conditions)


def _settings():
    """Comparisons, blocking rules and starting m probabilities of the model (u and m are then estimated).

    Name: the whole name in any word order (hashed key, with term-frequency adjustment: "Wei Zhang" is
    common), else one part equal and the other one typo away (clear names, either word order), else either
    part. E-mail: its match hash, else one typo away that changes no digit, else the same local part when it
    holds a digit ("ye.jun968@gmail.com" and "ye.jun968@163.com"). A local part of letters alone is not
    compared: people with the same name often share it ("wei.zhang@..."), which violates the independence
    that the model assumes and produced false matches on the sample world. Phone. City (with term-frequency
    adjustment: a match in a small city says more). Birth: the same date, else the same year.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="Whole name (any word order), else one part equal and the other one typo away, "
        "else either part",
        comparison_levels=[
            cll.NullLevel("name_key"),
            cll.ExactMatchLevel("name_key", term_frequency_adjustments=True).configure(
                label_for_charts="exact", m_probability=0.5
            ),
            cll.CustomLevel(_name_one_typo(), label_for_charts="one_typo", base_dialect_str="duckdb").configure(
                m_probability=0.3
            ),
            cll.CustomLevel(
                "first_name_hash_l = first_name_hash_r or last_name_hash_l = last_name_hash_r "
                "or first_name_hash_l = last_name_hash_r or last_name_hash_l = first_name_hash_r",
                label_for_charts="one_part",
                base_dialect_str="duckdb",
            ).configure(m_probability=0.15),
            cll.ElseLevel().configure(label_for_charts="different", m_probability=0.05),
        ],
    )
    email = cl.CustomComparison(
        output_column_name="email_hash",
        comparison_description="E-mail match hash, else one typo from it, else the same local part with a digit",
        comparison_levels=[
            cll.NullLevel("email_hash"),
            cll.ExactMatchLevel("email_hash").configure(label_for_charts="exact", m_probability=0.4),
            cll.CustomLevel(
                _one_typo("email_l", "email_r", keep_digits=True), label_for_charts="one_typo", base_dialect_str="duckdb"
            ).configure(m_probability=0.15),
            cll.CustomLevel(
                "split_part(email_l, '@', 1) = split_part(email_r, '@', 1) "
                "and regexp_matches(split_part(email_l, '@', 1), '[0-9]')",
                label_for_charts="same_local_part",
                base_dialect_str="duckdb",
            ).configure(m_probability=0.1),
            cll.ElseLevel().configure(label_for_charts="different", m_probability=0.35),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_description="Birth date, else birth year",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_date").configure(label_for_charts="same_date", m_probability=0.9),
            cll.ExactMatchLevel("birth_year").configure(label_for_charts="same_year", m_probability=0.05),
            cll.ElseLevel().configure(label_for_charts="different", m_probability=0.05),
        ],
    )

    def exact(column: str, m_probability: float, tf: bool = False):
        return cl.CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                cll.ExactMatchLevel(column, term_frequency_adjustments=tf).configure(
                    label_for_charts="exact", m_probability=m_probability
                ),
                cll.ElseLevel().configure(label_for_charts="different", m_probability=1 - m_probability),
            ],
        )

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1e-4,
        comparisons=[name, email, exact("phone_hash", 0.9), exact("city", 0.85, tf=True), birth],
        # Every pair worth scoring agrees on at least one of these; together they compare a few pairs per record.
        blocking_rules_to_generate_predictions=_blocking_rules(),
        additional_columns_to_retain=["record_type", "record_key"],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        max_iterations=50,
        em_convergence=1e-4,
    )


def _blocking_rules() -> list:
    """Pairs to score: those that agree on a phone, an e-mail, the whole name, one name part together with the
    birth year, or one name part, the other's first letter and the city. Every pair with any real chance of
    matching agrees on one of these, and each compares only a few records per record (no rule on city or birth
    year alone).

    The city rules require the other name part's first letter because the name comparisons do too (a typo
    keeps the first letter, `_one_typo`): a name part and a city alone put every Wang of Shanghai in one
    block, and a block's pairs grow with the square of the customers. Over all rules, sample worlds of 20,000
    and 100,000 customers give 0.70 M and 17.3 M pairs without the letter, 0.20 M and 4.9 M with it, and the
    same links."""
    from splink import block_on

    return [
        block_on("phone_hash"),
        block_on("email_hash"),
        block_on("name_key"),
        block_on("first_name_hash", "birth_year"),
        block_on("last_name_hash", "birth_year"),
        block_on("first_name_hash", "city", "substr(last_name, 1, 1)"),
        block_on("last_name_hash", "city", "substr(first_name, 1, 1)"),
    ]


_EVIDENCE_NAMES = {"email_hash": "email", "phone_hash": "phone"}


def _level_labels(model: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """Comparison -> {comparison vector value (gamma): level label}. Splink numbers the non-null levels from
    the most similar (n-1) down to the else level (0); the null level is -1."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model.get("comparisons", []):
        levels = [lvl for lvl in comparison.get("comparison_levels", []) if not lvl.get("is_null_level")]
        values = {len(levels) - 1 - i: str(lvl.get("label_for_charts")) for i, lvl in enumerate(levels)}
        values[-1] = "missing"
        labels[comparison["output_column_name"]] = values
    return labels


def _evidence(row: Mapping[str, Any], labels: Mapping[str, Mapping[int, str]]) -> str:
    parts = []
    for column, values in labels.items():
        gamma = row.get(f"gamma_{column}")
        label = values.get(int(gamma), str(gamma)) if gamma is not None and not pd.isna(gamma) else "missing"
        parts.append(f"{_EVIDENCE_NAMES.get(column, column)}={label}")
    return "; ".join(parts)


@dataclasses.dataclass
class SplinkResult:
    matches: pd.DataFrame  # MATCH_COLUMNS, pairs at or above the review floor
    model: dict[str, Any]  # the trained Splink model (settings with m and u probabilities)
    model_id: str
    records: int
    record_types: dict[str, int]
    pairs_scored: int
    training_pairs: dict[str, int] = dataclasses.field(default_factory=dict)
    note: str = ""

    @property
    def links(self) -> int:
        return int(self.matches["is_match"].sum()) if len(self.matches) else 0


def _model_id(model: Mapping[str, Any]) -> str:
    stable = {k: v for k, v in model.items() if k not in ("linker_uid",)}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()[:16]


def empty_matches() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in MATCH_COLUMNS})


def spark_session(master: str = "local[2]", driver_memory: str = "4g"):
    """A Spark session for Splink's Spark backend, with the similarity functions' jar that ships with Splink
    (nothing is downloaded). On a cluster, pass the cluster's session to deduplicate instead."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (
        SparkSession.builder.master(master)
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _spark_api(spark):
    from splink.backends.spark import SparkAPI

    # persist keeps Splink's intermediate tables (clear names) in the session, not in files
    return SparkAPI(spark_session=spark, break_lineage_method="persist")


def deduplicate(
    records: pd.DataFrame,
    config: SplinkSettings = SplinkSettings(),
    connection: duckdb.DuckDBPyConnection | None = None,
    scored_at: pd.Timestamp | None = None,
    spark=None,
) -> SplinkResult:
    """Train the Splink model on the CRM records of `records` (columns of INPUT_COLUMNS), then score the
    blocked pairs of all records (CRM and store identities) with it.

    Training, all on CRM records: the prior (probability that two records match) from the pairs that share an
    e-mail or a phone, divided by an assumed recall; u by seeded random sampling; m by two EM sessions, one on
    pairs sharing a phone (estimates name, e-mail, city and birth year) and one on pairs sharing an e-mail
    (estimates phone, and the others again). A session whose block has fewer than min_training_pairs pairs is
    skipped; with none left (a small or clean CRM) nothing is trained or linked, and `note` says so.

    Store identities are only scored: their names are typed by cashiers ("Ms Zhang") and they have neither
    e-mail nor birth date, so learning from them would teach the model about cashiers rather than about
    duplicate customers. Runs in its own in-memory DuckDB unless a
    connection is given, so Splink's working tables, which hold the clear names and e-mails of the input,
    never land in the warehouse. Deterministic for equal input: records are sorted, u sampling is seeded and EM
    has no randomness. With a SparkSession (`spark`, see spark_session) Splink runs on its Spark backend
    instead; the comparisons' DuckDB SQL is translated by Splink, and seeded sampling draws other pairs there.
    """
    from splink import DuckDBAPI, Linker, block_on

    config.validate()
    scored_at = scored_at if scored_at is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    frame = records[list(INPUT_COLUMNS)].sort_values("unique_id").reset_index(drop=True)
    record_types = {str(k): int(v) for k, v in sorted(Counter(frame["record_type"]).items())}
    crm = frame[frame["record_type"] == CRM].reset_index(drop=True)
    training_pairs = {
        column: int(_pairs(crm[column].dropna().value_counts())) for column in ("phone_hash", "email_hash")
    }
    sessions = [column for column, pairs in training_pairs.items() if pairs >= config.min_training_pairs]
    if not sessions:
        note = (
            f"not trained: fewer than {config.min_training_pairs} CRM pairs share a phone or an e-mail "
            f"({training_pairs}); no probabilistic links"
        )
        logger.warning(note)
        return SplinkResult(empty_matches(), {}, "", len(frame), record_types, 0, training_pairs, note)

    own_connection = connection is None and spark is None
    con = duckdb.connect() if own_connection else connection
    try:
        db_api = _spark_api(spark) if spark is not None else DuckDBAPI(con)
        trainer = Linker(db_api.register(crm, table_name="voc360_identity_crm"), _settings(), log_level=logging.ERROR)
        training = trainer.training
        training.estimate_probability_two_random_records_match(
            [block_on(column) for column in sessions], recall=config.deterministic_recall
        )
        training.estimate_u_using_random_sampling(max_pairs=config.max_pairs_for_u, seed=config.seed)
        for column in sessions:
            training.estimate_parameters_using_expectation_maximisation(
                block_on(column), estimate_without_term_frequencies=True
            )
        model = trainer.misc.save_model_to_json()
        scorer = Linker(db_api.register(frame, table_name="voc360_identity_records"), model, log_level=logging.ERROR)
        scored = scorer.inference.predict(
            threshold_match_probability=config.review_floor, warning_mode="never"
        ).as_pandas_dataframe()
    finally:
        if own_connection:
            con.close()

    model_id = _model_id(model)
    note = f"trained with EM on CRM pairs sharing: {', '.join(sessions)}"
    if not len(scored):
        return SplinkResult(empty_matches(), model, model_id, len(frame), record_types, 0, training_pairs, note)

    # Lower record id on the left, whatever order Splink put the pair in.
    left_first = scored["unique_id_l"] <= scored["unique_id_r"]
    out = pd.DataFrame(
        {
            "record_type_l": scored["record_type_l"].where(left_first, scored["record_type_r"]),
            "record_key_l": scored["record_key_l"].where(left_first, scored["record_key_r"]),
            "record_type_r": scored["record_type_r"].where(left_first, scored["record_type_l"]),
            "record_key_r": scored["record_key_r"].where(left_first, scored["record_key_l"]),
            "match_probability": scored["match_probability"].astype(float),
            "match_weight": scored["match_weight"].astype(float),
        }
    )
    out["is_match"] = out["match_probability"] >= config.match_threshold
    out["match_threshold"] = float(config.match_threshold)
    labels = _level_labels(model)
    out["evidence"] = [_evidence(row, labels) for row in scored.to_dict("records")]
    out["model_id"] = model_id
    out["scored_at"] = scored_at
    out = out.sort_values(["record_type_l", "record_key_l", "record_type_r", "record_key_r"]).reset_index(drop=True)
    return SplinkResult(
        out[list(MATCH_COLUMNS)], model, model_id, len(frame), record_types, len(scored), training_pairs, note
    )


def write_matches(con: duckdb.DuckDBPyConnection, matches: pd.DataFrame, table: str = "identity.splink_matches") -> int:
    """Replace `table` with `matches` in one transaction; returns the row count."""
    schema = table.split(".")[0]
    columns = ", ".join(f"{name} {kind}" for name, kind in MATCH_COLUMNS.items())
    frame = matches[list(MATCH_COLUMNS)] if len(matches) else empty_matches()
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create or replace table {table} ({columns})")
        if len(frame):
            con.register("voc360_identity_matches_frame", frame)
            con.execute(f"insert into {table} select {', '.join(MATCH_COLUMNS)} from voc360_identity_matches_frame")
            con.unregister("voc360_identity_matches_frame")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return int(con.execute(f"select count(*) from {table}").fetchone()[0])


def model_parameters(model: Mapping[str, Any]) -> pd.DataFrame:
    """m and u probability and match weight per comparison level of a trained model (for metadata)."""
    import math

    rows = []
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            rows.append(
                {
                    "comparison": comparison.get("output_column_name"),
                    "level": level.get("label_for_charts"),
                    "m_probability": m,
                    "u_probability": u,
                    "match_weight": weight,
                }
            )
    return pd.DataFrame(rows)


# -- quality against a ground truth --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PairwiseScores:
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    predicted_clusters: int
    true_clusters: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "records": self.records,
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "predicted_clusters": self.predicted_clusters,
            "true_clusters": self.true_clusters,
        }


def _pairs(sizes: np.ndarray) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _cluster_codes(labels: pd.Series) -> np.ndarray:
    """An integer cluster per record: records with equal labels share one; a record without a label (None or
    "") is a cluster of its own."""
    present = labels.notna() & (labels.astype(object) != "")
    codes, _ = pd.factorize(labels.where(present, None), use_na_sentinel=True)
    codes = codes.astype(np.int64)
    alone = codes < 0
    codes[alone] = -1 - np.arange(int(alone.sum()), dtype=np.int64)
    return codes


def _scores_of_labels(predicted: pd.Series, true: pd.Series) -> PairwiseScores:
    """Pairwise scores of aligned labels of the same records, counted by cluster sizes (arrays, no Python object
    per record: the person map of a large world has millions of records)."""
    pred, actual = _cluster_codes(predicted), _cluster_codes(true)
    pred_sizes = np.unique(pred, return_counts=True)[1]
    true_sizes = np.unique(actual, return_counts=True)[1]
    joint_sizes = pd.DataFrame({"pred": pred, "true": actual}).groupby(["pred", "true"]).size().to_numpy()
    return PairwiseScores(
        records=len(actual),
        true_pairs=_pairs(true_sizes),
        predicted_pairs=_pairs(pred_sizes),
        correct_pairs=_pairs(joint_sizes),
        predicted_clusters=len(pred_sizes),
        true_clusters=len(true_sizes),
    )


def pairwise_precision_recall(
    predicted: Mapping[Hashable, Hashable | None], truth: Mapping[Hashable, Hashable | None]
) -> PairwiseScores:
    """Pairwise precision and recall of "same person" over the records of `truth`.

    `predicted` maps record -> cluster (person_id), `truth` maps record -> true person. A record missing from
    `predicted` (or mapped to None) is a cluster of its own; a record whose true person is None or "" (nobody
    behind it) is its own true entity. Records in `predicted` but not in `truth` are ignored. Counting is by
    cluster sizes, so it costs O(records), not O(pairs).
    """
    records = list(truth)
    return _scores_of_labels(pd.Series([predicted.get(r) for r in records], dtype=object),
                             pd.Series([truth[r] for r in records], dtype=object))


# How the truth's (source, key_column) name the records of int_person_map.
TRUTH_RECORD_TYPES = {
    ("crm_customers", "customer_id"): CRM,
    ("orders", "order_id"): "order",
    ("pos_receipts", "receipt_id"): POS,
    ("web_events", "anonymous_id"): "web_visitor",
    ("app_events", "device_id"): "app_device",
    ("social_posts", "platform|handle"): "social_account",
    ("tickets", "ticket_id"): "ticket",
    ("surveys", "response_id"): "survey_response",
    ("reviews", "review_id"): "review",
}
_WHITESPACE = " || ".join(f"chr({c})" for c in (32, 9, 10, 11, 12, 13))


def truth_records_sql(truth_dir: Path) -> str:
    """SQL of the truth's records of the types the graph knows: identity_map.csv of a generated world (source,
    key_column, key, person_id; an empty person_id: nobody) as (record_type, record_key, true_person), the first
    row of a record when the file has several.

    DuckDB reads the file: at medium scale it has 4 M rows, which pandas took seconds to read and merge."""
    types = ", ".join(
        f"({sql_string(source)}, {sql_string(key_column)}, {sql_string(record_type)})"
        for (source, key_column), record_type in TRUTH_RECORD_TYPES.items()
    )
    path = sql_string(str(Path(truth_dir) / "identity_map.csv"))
    # the graph writes a social account as "platform:handle", the handle lower case without a leading "@"
    social_key = (
        "case when strpos(key, '|') > 0 then lower(split_part(key, '|', 1)) || ':' "
        f"|| ltrim(lower(trim(substr(key, strpos(key, '|') + 1), {_WHITESPACE})), '@') end"
    )
    return f"""
        select record_type, record_key, true_person
        from (
            select
                types.record_type,
                case when types.record_type = 'social_account' then {social_key} else truth.key end as record_key,
                nullif(truth.person_id, '') as true_person,
                truth.line
            from (
                select source, key_column, key, person_id, row_number() over () as line
                from read_csv({path}, header = true, all_varchar = true)
            ) as truth
            inner join (values {types}) as types (source, key_column, record_type)
                on truth.source = types.source and truth.key_column = types.key_column
        ) as renamed
        qualify row_number() over (partition by record_type, record_key order by line) = 1
    """


def crm_truth(truth_dir: Path) -> dict[str, str | None]:
    """True person of every CRM customer id of a generated world."""
    with duckdb.connect() as con:
        rows = con.execute(
            f"select record_key, true_person from ({truth_records_sql(truth_dir)}) where record_type = ?", [CRM]
        ).fetchall()
    return dict(rows)


_RESOLUTION_SQL = """
    create temp table identity_resolution as
    with mapped as (
        select record_type, record_key, any_value(person_id) as person_id
        from intermediate.int_person_map
        group by record_type, record_key
    )
    select truth.record_type, nullif(mapped.person_id, '') as person_id, truth.true_person,
        mapped.record_key is not null as in_map
    from ({truth}) as truth
    left join mapped on truth.record_type = mapped.record_type and truth.record_key = mapped.record_key
"""

# Pairwise counts by cluster sizes: a record without a person (predicted or true) is a cluster of its own.
_SCORES_SQL = """
    with scope as (select person_id, true_person from identity_resolution where {where})
    select
        (select count(*) from scope),
        (select coalesce(sum(n * (n - 1) // 2), 0)
         from (select count(*) as n from scope where true_person is not null group by true_person)),
        (select coalesce(sum(n * (n - 1) // 2), 0)
         from (select count(*) as n from scope where person_id is not null group by person_id)),
        (select coalesce(sum(n * (n - 1) // 2), 0)
         from (select count(*) as n from scope where person_id is not null and true_person is not null
               group by person_id, true_person)),
        (select count(distinct person_id) + count(*) filter (where person_id is null) from scope),
        (select count(distinct true_person) + count(*) filter (where true_person is null) from scope)
"""


def _resolution_scores(con: duckdb.DuckDBPyConnection, where: str) -> PairwiseScores:
    counts = con.execute(_SCORES_SQL.format(where=where)).fetchone()
    return PairwiseScores(*(int(value) for value in counts))


def evaluate_splink_pairs(matches: pd.DataFrame, truth: Mapping[str, str | None]) -> PairwiseScores:
    """Pairwise scores over CRM records (`truth`: customer id -> true person, `crm_truth`) of the Splink links
    alone (is_match pairs, closed transitively)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if len(matches):
        linked = matches[matches["is_match"].astype(bool)]
        for tl, kl, tr, kr in linked[["record_type_l", "record_key_l", "record_type_r", "record_key_r"]].itertuples(
            index=False
        ):
            if tl == CRM and tr == CRM:
                a, b = find(kl), find(kr)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return pairwise_precision_recall({key: find(key) for key in truth}, truth)


def true_person_count(truth_dir: Path) -> int | None:
    """Number of true persons of a generated world (persons.csv), None when the file is absent."""
    path = Path(truth_dir) / "persons.csv"
    if not path.exists():
        return None
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@dataclasses.dataclass(frozen=True)
class QualityThresholds:
    """What `identity_quality` requires: pairwise precision over CRM records and over all linked records, and
    pairwise recall over both (the targets of DESIGN.md "Identity"). CRM recall is the hard one: a duplicate
    CRM record that shares no e-mail or phone and was never used afterwards carries only its name, city and
    birth date, with typos, for the probabilistic match to find it."""

    min_precision: float = 0.98
    min_recall: float = 0.95
    min_crm_recall: float = 0.95


def identity_quality(
    con: duckdb.DuckDBPyConnection, truth_dir: Path, thresholds: QualityThresholds = QualityThresholds()
) -> dict[str, Any]:
    """Scores of the resolved person map (intermediate.int_person_map) against the truth, plus the person
    counts: over CRM records (does the deduplication find the same person behind two customer ids), over all
    linked records, and over all records (anonymous ones included, reported only). `passed` applies
    `thresholds`."""
    con.execute(_RESOLUTION_SQL.format(truth=truth_records_sql(truth_dir)))
    try:
        crm = _resolution_scores(con, f"record_type = {sql_string(CRM)}")
        # the records the graph could link at all (those in the person map)
        linked = _resolution_scores(con, "in_map")
        # also the records that carry no identifier (anonymous receipts, browsers that never signed in, social
        # accounts never bound): they stay apart and lower recall
        everything = _resolution_scores(con, "true")
    finally:
        con.execute("drop table identity_resolution")
    persons = con.execute("select count(distinct person_id) from intermediate.int_person_map").fetchone()[0]
    true_persons = true_person_count(truth_dir)
    passed = (
        crm.precision >= thresholds.min_precision
        and linked.precision >= thresholds.min_precision
        and linked.recall >= thresholds.min_recall
        and crm.recall >= thresholds.min_crm_recall
    )
    return {
        "passed": passed,
        "crm": crm.as_dict(),
        "linked_records": linked.as_dict(),
        "all_records": everything.as_dict(),
        "persons": persons,
        "true_persons": true_persons,
        "thresholds": dataclasses.asdict(thresholds),
    }
