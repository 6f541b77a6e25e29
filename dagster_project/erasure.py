"""Erasure from the UI: job voc360_erase (one op around voc360.erasure.erase), then the rebuild that a sensor
launches when it succeeds: voc360_transform with every dbt layer fully refreshed, which republishes the
serving copy. `voc360 erase` does the same from the command line without storing the identifier in a run."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.jobs import transform_job
from voc360.settings import BUILD_TAG, ERASURE_TAG, get_settings

# voc360.erasure (which pulls in ml.steps: pandas, scipy, scikit-learn) is imported in the op and the sensor: the
# Dagster definitions load without it.


class ErasureConfig(dg.Config):
    """Exactly one of these. Dagster keeps a run's config in its history: prefer person_id (the marts'
    person_id) over a clear e-mail or phone here, or use `voc360 erase`, which records only hashes."""

    person_id: str = ""
    email: str = ""
    phone: str = ""
    customer_id: str = ""
    loyalty_card: str = ""
    app_user_id: str = ""
    social_handle: str = ""  # platform:handle


@dg.op(description="Purge a person from raw, rejects and the embedding cache, suppress their identifiers at "
       "landing and record the erasure in voc360_meta.erasures (voc360.erasure).")
def erase_person(context: dg.OpExecutionContext, config: ErasureConfig, warehouse: DuckDBResource) -> None:
    from voc360.erasure import ErasureError, ErasureRequest, create_key_functions, erase

    given = {kind: value for kind, value in config.model_dump().items() if value}
    if len(given) != 1:
        raise dg.Failure(f"give exactly one of {', '.join(ErasureConfig.model_fields)}")
    [(kind, value)] = given.items()
    try:
        request = ErasureRequest(kind, value)
        create_key_functions()
        with warehouse.get_connection() as con:
            result = erase(con, request, get_settings())
    except ErasureError as exc:
        raise dg.Failure(str(exc)) from exc
    context.instance.add_run_tags(context.run_id, {ERASURE_TAG: result.erasure_id})
    context.log.info(
        f"erasure {result.erasure_id} of {result.persons} person(s): {result.identifiers_suppressed} identifier(s) "
        f"suppressed; rows removed {result.rows_removed}; the rebuild follows (sensor voc360_erasure_rebuild)"
    )


@dg.job(name="voc360_erase", executor_def=dg.in_process_executor,
        description="Erase a person (right to be forgotten); voc360_transform then rebuilds and republishes.")
def erase_job():
    erase_person()


@dg.run_status_sensor(
    name="voc360_erasure_rebuild",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[erase_job],
    request_job=transform_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful voc360_erase run: voc360_transform with a full refresh, so every derived "
    "layer and the serving copy lose the erased person.",
)
def erasure_rebuild(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    from voc360.erasure import rebuild_run_config

    erasure_id = context.dagster_run.tags.get(ERASURE_TAG, context.dagster_run.run_id)
    return dg.RunRequest(
        run_key=context.dagster_run.run_id,
        run_config=rebuild_run_config(),
        tags={BUILD_TAG: erasure_id, ERASURE_TAG: erasure_id},
    )
