"""BG/NBD and Gamma-Gamma (ml.clv) against the published CDNOW parameters.

Fader, Hardie and Lee (2005) fit BG/NBD on the 2,357-customer CDNOW sample with the calibration period
ending 1997-09-30, in weeks: r = 0.2426, alpha = 4.4135, a = 0.7929, b = 2.4258. The Gamma-Gamma model on
the 946 repeat buyers' mean spend gives p = 6.25, q = 3.74, v = 15.45.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.clv import (
    BGNBDParams,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_clv,
    probability_alive,
    rfm_summary,
)

CDNOW = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdnow"
PUBLISHED_BGNBD = {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.45}


@pytest.fixture(scope="module")
def cdnow():
    path = CDNOW / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip(f"public CDNOW sample not found at {path} (shared/data is not part of a clone)")
    tx = pd.read_csv(path, sep=r"\s+", header=None, names=["master_id", "customer_id", "date", "cds", "value"])
    tx["date"] = pd.to_datetime(tx["date"].astype(str), format="%Y%m%d")
    return tx


@pytest.fixture(scope="module")
def summary(cdnow):
    return rfm_summary(cdnow, customer_col="customer_id", date_col="date", value_col="value",
                       calibration_end="1997-09-30", unit_days=7)


def test_summary_matches_the_published_weekly_summary(summary):
    published = pd.read_csv(CDNOW / "cdnow_customers_summary.csv").set_index("ID")
    assert len(summary) == 2357 and int((summary["frequency"] > 0).sum()) == 946
    joined = summary.join(published.add_suffix("_published"))
    assert (joined["frequency"] == joined["frequency_published"]).all()
    assert np.allclose(joined["recency"], joined["recency_published"], atol=0.005)  # published to 2 decimals
    assert np.allclose(joined["T"], joined["T_published"], atol=0.005)


def test_bgnbd_reproduces_published_parameters(summary):
    params = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    assert params.converged
    for name, value in PUBLISHED_BGNBD.items():
        assert getattr(params, name) == pytest.approx(value, rel=0.01), name


def test_fits_at_any_number_of_customers_give_the_same_parameters(summary):
    # 40 copies of CDNOW (94,280 customers, about the medium world) have the same maximum; the total
    # log-likelihood is 40 times as large, which a tolerance on the sum would not reach.
    copies = pd.concat([summary] * 40)
    one, many = (fit_bgnbd(s["frequency"], s["recency"], s["T"]) for s in (summary, copies))
    for name in PUBLISHED_BGNBD:
        assert getattr(many, name) == pytest.approx(getattr(one, name), rel=1e-4), name
    assert many.log_likelihood == pytest.approx(40 * one.log_likelihood, rel=1e-9)
    gg_one, gg_many = (fit_gamma_gamma(s["frequency"], s["monetary_value"]) for s in (summary, copies))
    for name in PUBLISHED_GG:
        assert getattr(gg_many, name) == pytest.approx(getattr(gg_one, name), rel=1e-4), name


def test_gamma_gamma_reproduces_published_parameters(summary):
    repeat = summary[summary["frequency"] > 0]
    params = fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])
    for name, value in PUBLISHED_GG.items():
        assert getattr(params, name) == pytest.approx(value, rel=0.02), name


def test_gamma_gamma_converges_on_the_ridge_of_spend_with_no_heterogeneity():
    # Every customer draws spend from the same Gamma(p, nu): q and v run off to infinity together with p v / q
    # near p / nu, a ridge along which the likelihood is flat to rounding.
    rng = np.random.default_rng(7)
    p, nu = 0.33, 1 / 3000
    frequency = rng.integers(1, 20, 1500).astype(float)
    monetary_value = np.array([rng.gamma(p, 1 / nu, int(k)).mean() for k in frequency])
    params = fit_gamma_gamma(frequency, monetary_value, initial=(1.0, 3.0, float(monetary_value.mean())))
    assert params.converged
    assert params.q > 100
    population_mean = params.p * params.v / (params.q - 1)
    assert population_mean == pytest.approx(monetary_value.mean(), rel=0.05)


def test_conditional_expectations_match_the_paper_example():
    # Fader, Hardie and Lee (2005), section 5: a customer with x = 2, t_x = 30.43, T = 38.86 weeks is
    # expected to make 1.226 purchases in the next 39 weeks under the published parameters.
    params = BGNBDParams(**PUBLISHED_BGNBD)
    x, t_x, T = np.array([2.0]), np.array([30.43]), np.array([38.86])
    assert expected_purchases(params, 39, x, t_x, T)[0] == pytest.approx(1.226, abs=0.001)
    assert 0 < probability_alive(params, x, t_x, T)[0] < 1
    assert probability_alive(params, np.array([0.0]), np.array([0.0]), np.array([38.86]))[0] == 1.0
    # more recent activity, same frequency: more likely alive
    assert probability_alive(params, x, np.array([38.0]), T)[0] > probability_alive(params, x, t_x, T)[0]


def test_predicted_twelve_month_value(summary):
    bgnbd = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[summary["frequency"] > 0]
    gg = fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])
    clv = predict_clv(summary, bgnbd, gg, horizon_days=365)
    assert len(clv) == len(summary)
    assert clv["probability_alive"].between(0, 1).all()
    assert (clv["predicted_value"] >= 0).all() and (clv["expected_purchases"] >= 0).all()
    assert clv["predicted_value"].idxmax() in summary["frequency"].nlargest(50).index
    discounted = predict_clv(summary, bgnbd, gg, horizon_days=365, annual_discount_rate=0.1)
    assert (discounted["predicted_value"] <= clv["predicted_value"] + 1e-9).all()


def test_summary_from_a_tiny_log():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "c"],
        "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-29", "2024-01-08", "2024-03-01"],
        "value": [10.0, 5.0, 20.0, 40.0, 7.0, 99.0],
    })
    s = rfm_summary(tx, calibration_end="2024-02-12", unit_days=7)
    assert list(s.index) == ["a", "b"]  # c bought after the calibration end
    assert s.loc["a"].tolist() == [2, 4.0, 6.0, 30.0]  # two repeat days, mean of 20 and 40
    assert s.loc["b"].tolist() == [0, 0.0, 5.0, 0.0]
