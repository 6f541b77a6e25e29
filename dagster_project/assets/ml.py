"""Text, churn and lifetime-value models between the dbt layers, as Dagster assets.

    intermediate (int_feedback_texts) -> ml/text_insights -> features (feat_churn_snapshots, feat_topic_exposure)
        -> ml/churn_scores -> marts (customer_360, topic_churn_lift, at_risk_interventions, ...)
    marts (fct_orders) -> ml/customer_clv -> marts (customer_360, at_risk_interventions)

Each asset is a thin wrapper around a plain function of `ml.steps` (`text_insights`, `churn_scores`,
`customer_clv`) that reads the warehouse through a DuckDB connection, calls `ml/`, writes its tables in schema
`ml` (dbt sources in models/features/_ml__sources.yml) and returns the metadata the asset reports.
"""

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import yaml
from dagster_duckdb import DuckDBResource

from dagster_project.assets.dbt import dbt_model_key
from dagster_project.assets.table_metadata import table_metadata
from dagster_project.tables import warehouse_tables
from voc360.settings import DBT_PROJECT_DIR, get_settings

# ml.* (pandas, scipy, scikit-learn, torch) is imported in the asset functions: the Dagster definitions load
# without it. (No `from __future__ import annotations` here: Dagster reads the config classes of the asset
# functions from their annotations, which must not be strings.)
if TYPE_CHECKING:
    import pandas as pd

    from ml.steps import TextSettings

TEXT_INSIGHTS = dg.AssetKey(["ml", "text_insights"])
TOPICS = dg.AssetKey(["ml", "topics"])
CHURN_SCORES = dg.AssetKey(["ml", "churn_scores"])
CUSTOMER_CLV = dg.AssetKey(["ml", "customer_clv"])


@functools.cache
def _column_descriptions() -> dict[str, dict[str, str]]:
    """Column descriptions of the ML tables, from their dbt source declaration (one place for both UIs)."""
    sources = yaml.safe_load((DBT_PROJECT_DIR / "models" / "features" / "_ml__sources.yml").read_text())["sources"]
    return {t["name"]: {c["name"]: c.get("description") for c in t.get("columns", [])}
            for source in sources if source["name"] == "ml" for t in source["tables"]}


def _table_metadata(con, table: str) -> dict:
    return table_metadata(con, f"ml.{table}", _column_descriptions().get(table))


def _md(frame: "pd.DataFrame") -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.to_markdown(index=False) if len(frame) else "_none_")


# -- text: masking, embeddings, topics, sentiment ---------------------------------------------------------------
class TextInsightsConfig(dg.Config):
    """Embedding model (a local sentence-transformers directory), encoder and seed of the text models.

    `embedding_encoder` is "transformer" (the model itself) or "static" (a token table distilled from it once
    per warehouse: about 100 times faster, for millions of texts). `refit` refits topics and sentiment on every
    text now, rather than when the corpus has moved on (ml.steps.REFIT_AFTER_DAYS)."""

    embedding_model: str = os.environ.get("VOC360_EMBEDDING_MODEL", "")
    embedding_encoder: str = os.environ.get("VOC360_EMBEDDING_ENCODER", "transformer")
    seed: int = 0
    refit: bool = False

    def settings(self) -> "TextSettings":
        from ml.embeddings import default_model_path
        from ml.steps import TextSettings

        s = get_settings()
        model = Path(self.embedding_model) if self.embedding_model else default_model_path()
        return TextSettings(s.warehouse_dir, s.ground_truth_dir, model, self.seed, self.embedding_encoder)


def _with_tables(metadata: dict) -> dict:
    import pandas as pd

    return {k: (_md(v) if isinstance(v, pd.DataFrame) else v) for k, v in metadata.items()}


_FEEDBACK_TEXTS = dbt_model_key("int_feedback_texts")
_TEXT_SPEC = {"group_name": "ml", "kinds": {"python", "sentence-transformers", "duckdb"}, "owners": ["team:data-platform"]}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            TEXT_INSIGHTS,
            deps=[_FEEDBACK_TEXTS],
            description="One row per customer feedback text (int_feedback_texts), PII-masked, with its topic and "
            "sentiment: masked with mask_pii, embedded with a local sentence-transformers model or the static "
            "table distilled from it (VOC360_EMBEDDING_ENCODER; cached by text hash under <warehouse>/embeddings, "
            "so a text is embedded once ever; Chinese texts in a character n-gram space), clustered into topics, "
            "and classified for sentiment by a model learnt from the ratings and scores that come with texts. "
            "Topics and sentiment are refitted on every text weekly (or when asked: config refit); in between "
            "only new and changed texts are classified, by the registered topics. Table ml.text_insights.",
            metadata={"table": "ml.text_insights"},
            **_TEXT_SPEC,
        ),
        dg.AssetSpec(
            TOPICS,
            deps=[_FEEDBACK_TEXTS],
            description="The topic registry (<warehouse>/ml/topic_registry.json) as a table: ids stay stable "
            "across refits (clusters matched to registered topics by centroid similarity), labels from c-TF-IDF "
            "keywords, retired topics kept and flagged. Table ml.topics.",
            metadata={"table": "ml.topics"},
            **_TEXT_SPEC,
        ),
    ],
    name="ml_text_insights",
)
def text_insights_asset(config: TextInsightsConfig, warehouse: DuckDBResource):
    """Mask, embed, fit topics and sentiment; the metadata of the run goes on ml/text_insights."""
    from ml.steps import text_insights

    with warehouse_tables(warehouse) as con:
        metadata = text_insights(con, config.settings(), refit=config.refit)
        insights_table = _table_metadata(con, "text_insights")
        topics_table = _table_metadata(con, "topics")
    yield dg.MaterializeResult(asset_key=TEXT_INSIGHTS, metadata={**_with_tables(metadata), **insights_table})
    yield dg.MaterializeResult(
        asset_key=TOPICS,
        metadata={"topics": metadata["topics"], "registry_version": metadata["registry_version"],
                  "topic_table": _md(metadata["topic_table"]), **topics_table},
    )


# -- churn ----------------------------------------------------------------------------------------------------------
class ChurnConfig(dg.Config):
    """`retrain` trains and validates the model now, rather than when the data has moved on
    (ml.steps.CHURN_RETRAIN_AFTER_DAYS)."""

    seed: int = 0
    retrain: bool = False


@dg.asset(
    key=CHURN_SCORES,
    group_name="ml",
    kinds={"python", "lightgbm", "duckdb"},
    owners=["team:data-platform"],
    deps=[dbt_model_key("feat_churn_snapshots"), dbt_model_key("feat_topic_exposure")],
    description="Purchase churn in the next 90 days, by gradient boosting (LightGBM) on point-in-time snapshots "
    "(feat_churn_snapshots, topic exposure pivoted per topic). Refuses snapshots whose features used events at "
    "or after their cut-off. Validated on time: trained on earlier cut-offs, tested on the latest labelled one "
    "(AUC, PR-AUC, decile calibration in metadata); the final model scores the latest cut-off with the three "
    "features that raise each customer's risk most (TreeSHAP). Retrained when a cut-off's outcome becomes known, "
    "the features change, a week has passed, or when asked (config retrain); in between the saved model "
    "(<warehouse>/ml/churn_model.pkl) scores. Writes ml.churn_scores.",
    metadata={"table": "ml.churn_scores"},
)
def churn_scores_asset(config: ChurnConfig, warehouse: DuckDBResource) -> dg.MaterializeResult:
    from ml.steps import churn_model_path, churn_scores

    with warehouse_tables(warehouse) as con:
        model_path = churn_model_path(get_settings().warehouse_dir)
        metadata = churn_scores(con, model_path, seed=config.seed, retrain=config.retrain)
        metadata.update(_table_metadata(con, "churn_scores"))
    metadata.pop("scored_rows")
    metadata["look_ahead_check"] = dg.MetadataValue.json(metadata["look_ahead_check"])
    return dg.MaterializeResult(metadata=_with_tables(metadata))


# -- lifetime value -------------------------------------------------------------------------------------------------
@dg.asset(
    key=CUSTOMER_CLV,
    group_name="ml",
    kinds={"python", "scipy", "duckdb"},
    owners=["team:data-platform"],
    deps=[dbt_model_key("fct_orders")],
    description="Customer lifetime value over the next 12 months: BG/NBD (purchase rate and drop-out) and "
    "Gamma-Gamma (spend per purchase) fitted on completed orders (fct_orders, reporting currency) up to the "
    "last loaded day. Writes ml.customer_clv: probability alive, expected purchases and value, historical "
    "net revenue; fitted parameters in metadata.",
    metadata={"table": "ml.customer_clv"},
)
def customer_clv_asset(warehouse: DuckDBResource) -> dg.MaterializeResult:
    from ml.steps import customer_clv

    with warehouse_tables(warehouse) as con:
        metadata = customer_clv(con)
        metadata.update(_table_metadata(con, "customer_clv"))
    for key in ("bgnbd_params", "gamma_gamma_params"):
        if key in metadata:
            metadata[key] = dg.MetadataValue.json(metadata[key])
    return dg.MaterializeResult(metadata=metadata)


ml_assets = [text_insights_asset, churn_scores_asset, customer_clv_asset]
