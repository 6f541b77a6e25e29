"""Churn model (ml.churn): time-based validation and reasons on generated snapshots, the look-ahead guard,
and the same model on the public IBM Telco churn file (published 5-fold AUC about 0.84-0.85)."""

import pickle
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.churn import (
    ChurnFit,
    LookAheadError,
    assert_no_future_information,
    calibration_table,
    cross_validate_churn,
    train_churn,
)
from ml.steps import churn_scores

TELCO = Path(__file__).resolve().parents[2] / "shared" / "data" / "telco" / "telco_customer_churn_ibm.csv"
HORIZON = pd.Timedelta(days=90)


def make_events(customers: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Orders and complaints over two years; complaining customers stop buying sooner."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    rows = []
    for c in range(customers):
        rate = rng.gamma(2.0, 1 / 40)  # orders per day
        complainer = rng.random() < 0.3
        life = rng.exponential(250 if complainer else 700)
        t = rng.uniform(0, 60)
        while t < min(life, 730):
            rows.append((f"c{c:05d}", start + pd.Timedelta(days=float(t)), "order", float(rng.gamma(2, 30))))
            if complainer and rng.random() < 0.25:
                rows.append((f"c{c:05d}", start + pd.Timedelta(days=float(t) + 2), "complaint", 0.0))
            t += rng.exponential(1 / rate)
    return pd.DataFrame(rows, columns=["customer_id", "event_at", "kind", "value"])


def features_as_of(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Features from the events it is given (the guard passes only events before the cut-off)."""
    orders = events[events["kind"] == "order"]
    recent = orders[orders["event_at"] >= cutoff - pd.Timedelta(days=180)]
    g = orders.groupby("customer_id")
    out = pd.DataFrame({
        "orders_180d": recent.groupby("customer_id").size(),
        "spend_180d": recent.groupby("customer_id")["value"].sum(),
        "days_since_last_order": (cutoff - g["event_at"].max()).dt.days,
        "tenure_days": (cutoff - g["event_at"].min()).dt.days,
    })
    complaints = events[(events["kind"] == "complaint") & (events["event_at"] >= cutoff - pd.Timedelta(days=180))]
    out["complaints_180d"] = complaints.groupby("customer_id").size().reindex(out.index).fillna(0)
    out["max_event_at"] = events.groupby("customer_id")["event_at"].max().reindex(out.index)
    return out.fillna({"orders_180d": 0, "spend_180d": 0.0}).reset_index()


def build_snapshots(events: pd.DataFrame, cutoffs, feature_events=None) -> pd.DataFrame:
    """Active customers (an order in the 180 days before T) with features as of T and the churn label."""
    frames = []
    for cutoff in map(pd.Timestamp, cutoffs):
        source = events if feature_events is None else feature_events(events, cutoff)
        feats = features_as_of(source[source["event_at"] < cutoff] if feature_events is None else source, cutoff)
        feats = feats[feats["orders_180d"] > 0]
        orders = events[events["kind"] == "order"]
        after = orders[(orders["event_at"] >= cutoff) & (orders["event_at"] < cutoff + HORIZON)]["customer_id"]
        known = cutoff + HORIZON <= events["event_at"].max()
        feats["churned"] = (~feats["customer_id"].isin(set(after))).astype(float) if known else np.nan
        feats["cutoff_date"] = cutoff
        frames.append(feats.rename(columns={"max_event_at": "features_max_event_at"}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def events():
    return make_events()


@pytest.fixture(scope="module")
def snapshots(events):
    cutoffs = pd.date_range("2023-07-01", "2024-10-01", freq="QS")
    return build_snapshots(events, list(cutoffs) + [pd.Timestamp("2024-12-15")])


def test_train_churn_validates_on_the_latest_cutoff_and_explains_scores(snapshots):
    result = train_churn(snapshots, seed=0)
    m = result.metrics
    print(m)
    assert m["test_cutoff"] == "2024-10-01"
    assert all(pd.Timestamp(c) + HORIZON <= pd.Timestamp(m["test_cutoff"]) for c in m["train_cutoffs"])
    assert not m["label_window_overlap"]
    assert m["auc"] >= 0.7 and 0 < m["pr_auc"] <= 1 and 0 < m["base_rate"] < 1
    assert list(result.calibration["bin"]) == list(range(1, 11))
    assert result.calibration["observed_rate"].iloc[-3:].mean() > result.calibration["observed_rate"].iloc[:3].mean()
    assert set(result.top_features["feature"].head(3)) & {"days_since_last_order", "complaints_180d", "orders_180d"}
    # the rows without a label yet (the last cut-off) are the ones scored, with readable reasons
    unlabelled = snapshots[snapshots["churned"].isna()]
    assert len(result.scores) == len(unlabelled)
    assert set(result.scores["cutoff_date"].astype(str)) == {"2024-12-15"}
    assert result.scores["churn_score"].between(0, 1).all()
    assert result.scores["reason_1"].str.contains(r" = .* \((?:raises|lowers) risk\)$").all()
    worst = result.scores.sort_values("churn_score").iloc[-1]
    assert "raises risk" in worst["reason_1"]


def test_reasons_name_each_row_s_strongest_features_with_their_values(snapshots):
    result = train_churn(snapshots, seed=0)
    model = result.model
    rows = snapshots[snapshots["churned"].isna()].reset_index(drop=True)
    scored = model.score(rows, id_cols=["customer_id"])
    contributions = model.contributions(rows).drop(columns="_bias")
    for i in range(0, len(rows), max(1, len(rows) // 25)):
        ranked = contributions.iloc[i].sort_values(ascending=False, kind="stable")
        expected = [model._reason(f, rows.at[i, f], c) for f, c in ranked.head(3).items()]
        expected = [r if k == 0 or c > 0 else None for k, (r, c) in enumerate(zip(expected, ranked.head(3)))]
        reasons = scored.loc[i, ["reason_1", "reason_2", "reason_3"]]
        assert [None if pd.isna(r) else r for r in reasons] == expected


def test_train_churn_is_deterministic(snapshots):
    a = train_churn(snapshots, seed=5)
    b = train_churn(snapshots, seed=5)
    assert a.metrics == b.metrics
    pd.testing.assert_frame_equal(a.scores, b.scores)


def test_guard_accepts_point_in_time_snapshots(events, snapshots):
    checked = assert_no_future_information(snapshots, events, features_as_of, cutoffs=["2024-01-01", "2024-07-01"])
    assert checked["max_event_check"] and checked["recomputed_cutoffs"] == 2


def test_guard_catches_a_feature_computed_with_later_events(events):
    # a feature window that runs 30 days past the cut-off: the classic look-ahead
    def leaky(ev, cutoff):
        return ev[ev["event_at"] < cutoff + pd.Timedelta(days=30)]

    leaky_snapshots = build_snapshots(events, ["2024-01-01", "2024-04-01"], feature_events=leaky)
    with pytest.raises(LookAheadError, match="features_max_event_at"):
        assert_no_future_information(leaky_snapshots)
    without_marker = leaky_snapshots.drop(columns="features_max_event_at")
    with pytest.raises(LookAheadError, match="days_since_last_order|complaints_180d|orders_180d"):
        assert_no_future_information(without_marker, events, features_as_of)


def test_calibration_table_deciles():
    y = np.array([0] * 90 + [1] * 10)
    p = np.linspace(0, 1, 100)
    table = calibration_table(y, p)
    assert table["n"].tolist() == [10] * 10
    assert table["observed_rate"].iloc[-1] == 1.0 and table["observed_rate"].iloc[0] == 0.0


@pytest.fixture(scope="module")
def telco():
    if not TELCO.exists():
        pytest.skip(f"public Telco churn file not found at {TELCO} (shared/data is not part of a clone)")
    df = pd.read_csv(TELCO)
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"].str.strip().replace("", np.nan))  # 11 blanks
    return df


def test_telco_auc_matches_published_range(telco):
    assert telco["TotalCharges"].isna().sum() == 11
    label = telco["Churn"].eq("Yes").astype(int)
    result = cross_validate_churn(telco.drop(columns=["customerID", "Churn"]), label, folds=5, seed=0)
    print(f"Telco 5-fold: AUC {result['auc']}, PR-AUC {result['pr_auc']}")
    assert result["auc"] >= 0.84
    assert min(f["auc"] for f in result["folds"]) >= 0.8


def test_telco_through_train_churn_with_cutoffs(telco):
    """The snapshot trainer on the same real file, its rows spread over three cut-offs."""
    rng = np.random.default_rng(0)
    frame = telco.rename(columns={"customerID": "customer_id"}).copy()
    frame["churned"] = frame.pop("Churn").eq("Yes").astype(float)
    frame["cutoff_date"] = pd.to_datetime(rng.choice(["2024-01-01", "2024-04-01", "2024-07-01"], len(frame)))
    result = train_churn(frame, seed=0)
    assert result.metrics["auc"] >= 0.82
    assert result.top_features["feature"].iloc[0] in {"Contract", "tenure"}
    assert result.scores["reason_1"].notna().all()


def test_model_round_trips_through_a_file(snapshots, tmp_path):
    from ml.churn import ChurnModel

    result = train_churn(snapshots, seed=0)
    loaded = ChurnModel.load(result.model.save(tmp_path / "churn.pkl"))
    rows = snapshots[snapshots["churned"].isna()]
    assert np.allclose(loaded.predict(rows), result.model.predict(rows))


def _snapshot_warehouse(snapshots: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """The two feature tables ml.steps.churn_scores reads, from the generated snapshots."""
    con = duckdb.connect()
    con.execute("create schema features")
    frame = snapshots.rename(columns={"customer_id": "person_id"}).assign(
        is_scoring_cutoff=lambda d: d["churned"].isna(), is_lookback_complete=True)
    con.register("snapshots", frame)
    con.execute("create table features.feat_churn_snapshots as select * from snapshots")
    con.execute("create table features.feat_topic_exposure (person_id varchar, cutoff_date timestamp, "
                "topic_id integer, topic_label varchar, negative_texts integer, max_event_at timestamp)")
    return con


def _scores(con) -> pd.DataFrame:
    return con.execute("select * from ml.churn_scores order by person_id, scored_as_of").df()


def test_the_churn_step_retrains_only_when_the_data_has_moved_on(snapshots, tmp_path):
    con = _snapshot_warehouse(snapshots)
    model = tmp_path / "ml" / "churn_model.pkl"
    first = churn_scores(con, model)
    assert first["trained"] and first["training"] == "no saved model" and model.exists()
    scored = _scores(con)

    # the next day with the same snapshots: the saved model scores the same rows the same way
    again = churn_scores(con, model)
    assert not again["trained"] and again["auc"] == first["auc"]
    pd.testing.assert_frame_equal(_scores(con), scored)

    # a customer's features changed: scored anew by the saved model
    person = scored.sort_values("churn_score")["person_id"].iloc[0]
    con.execute("update features.feat_churn_snapshots set days_since_last_order = 400, orders_180d = 0 "
                "where person_id = ? and churned is null", [person])
    changed = churn_scores(con, model)
    assert not changed["trained"]
    after = _scores(con).set_index("person_id")["churn_score"]
    assert after[person] > scored.set_index("person_id")["churn_score"][person]

    # days pass: scored by the saved model for six days, retrained on the seventh
    con.execute("update features.feat_churn_snapshots set cutoff_date = cutoff_date + interval 6 day "
                "where churned is null")
    assert not churn_scores(con, model)["trained"]
    con.execute("update features.feat_churn_snapshots set cutoff_date = cutoff_date + interval 1 day "
                "where churned is null")
    assert churn_scores(con, model)["training"] == "7 days of data since the last training"

    # a topic column appears (texts on a topic): retrained
    con.execute("insert into features.feat_topic_exposure select person_id, cutoff_date, 3, 'late delivery', 1, "
                "cutoff_date - interval 1 day from features.feat_churn_snapshots where person_id = ?", [person])
    assert churn_scores(con, model)["training"] == "feature columns changed"

    # a cut-off's outcome becomes known: retrained with it
    con.execute("update features.feat_churn_snapshots set churned = case when orders_180d > 2 then 0 else 1 end "
                "where churned is null")
    assert churn_scores(con, model)["training"] == "labelled cut-offs changed"

    # an unreadable saved model stops the step; asked to retrain, the step does not read it
    model.write_bytes(b"not a model")
    with pytest.raises(pickle.UnpicklingError):
        churn_scores(con, model)
    assert churn_scores(con, model, retrain=True)["training"] == "asked"
    assert isinstance(ChurnFit.load(model), ChurnFit)
