"""`voc360 build` runs the whole asset graph through Dagster over the landed days; `voc360 summary` reports."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import click
import duckdb

from voc360.importing import SourceImportError, import_file
from voc360.registry import load_registry
from voc360.settings import BUILD_TAG, ERASURE_TAG, PROJECT_ROOT, WINDOW_END_TAG, WINDOW_START_TAG, get_settings
from voc360.summary import render_summary

LAND_JOB, TRANSFORM_JOB = "voc360_land", "voc360_transform"


def landed_days(landing_dir: Path) -> list[dt.date]:
    """Every day folder present under any registered source."""
    days = set()
    for source in load_registry().sources.values():
        source_dir = landing_dir / source.path.split("/", 1)[0]
        if source_dir.is_dir():
            for child in source_dir.iterdir():
                try:
                    days.add(dt.date.fromisoformat(child.name))
                except ValueError:
                    continue
    return sorted(days)


def dagster_env() -> dict[str, str]:
    """The environment of a run: a persistent Dagster instance, so the UI shows the run history."""
    env = dict(os.environ)
    # A run over a range of days announces each asset once for the whole range rather than once per day: on
    # Dagster's SQLite storage every announcement is a write of tens of milliseconds, 7,300 of them (about two
    # minutes) before a year's landing run starts. Dagster's trade-off: when such a run fails, its days show as
    # missing in the UI rather than failed; the run itself shows the failure.
    env.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    home = Path(env.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return env


def run_job(job: str, tags: dict[str, str], run_config: dict | None = None) -> None:
    command = [
        sys.executable, "-m", "dagster", "job", "execute",
        "-m", "dagster_project.definitions", "-j", job, "--tags", json.dumps(tags),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        if run_config:
            config_file = Path(tmp) / "run_config.yaml"  # JSON is YAML
            config_file.write_text(json.dumps(run_config))
            command += ["--config", str(config_file)]
        result = subprocess.run(command, env=dagster_env(), cwd=PROJECT_ROOT)
    if result.returncode != 0:
        raise click.ClickException(f"the Dagster run of {job} failed (exit {result.returncode}); see the log above")


def transform_tags(build_id: str, window: tuple[dt.date, dt.date] | None) -> dict[str, str]:
    """Tags of the voc360_transform run of a build: with a landed window, every dbt step rebuilds the
    incremental models for that window only (DbtWindowConfig); without one, everything."""
    tags = {BUILD_TAG: build_id}
    if window:
        tags.update({WINDOW_START_TAG: window[0].isoformat(), WINDOW_END_TAG: window[1].isoformat()})
    return tags


@click.group()
def main() -> None:
    """voc360: customer-insight warehouse."""


@main.command()
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First partition day (default: first landed day).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last partition day (default: last landed day).")
def build(start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Materialise every asset through Dagster: the landing partitions of a range, then everything downstream.

    The two runs carry one build tag; the publish step counts the checks of both."""
    settings = get_settings()
    days = landed_days(settings.landing_dir)
    if not days and not (start and end):
        raise click.ClickException(f"nothing landed under {settings.landing_dir}: generate a world first")
    first = start.date() if start else days[0]
    last = end.date() if end else days[-1]
    if first < settings.start_date:
        raise click.ClickException(
            f"{first} is before the first partition {settings.start_date}: set VOC360_START_DATE"
        )
    build_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    window = {"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()}
    click.echo(f"Build {build_id}: landing {first}..{last}, then everything downstream, through Dagster")
    run_job(LAND_JOB, {**window, BUILD_TAG: build_id})
    run_job(TRANSFORM_JOB, transform_tags(build_id, (first, last) if start or end else None))
    click.echo(render_summary(settings))


@main.command("import")
@click.argument("source_name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--time-format", help="strptime format of the event time in FILE when it is not ISO 8601, "
              "e.g. '%a %b %d %H:%M:%S %z %Y'.")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Export day of a snapshot source (no event time).")
def import_(source_name: str, file: Path, time_format: str | None, day: dt.datetime | None) -> None:
    """Split a CSV export of a registered source into its landing day folders (see docs/adding_a_source.md)."""
    sources = load_registry().sources
    if source_name not in sources:
        raise click.ClickException(f"{source_name} is not in the registry (config/sources.yml)")
    settings = get_settings()
    try:
        written = import_file(sources[source_name], file, settings.landing_dir, time_format, day and day.date())
    except SourceImportError as exc:
        raise click.ClickException(str(exc)) from exc
    first, last = min(written), max(written)
    click.echo(f"{source_name}: {sum(written.values())} rows into {len(written)} day(s), {first}..{last}, "
               f"under {settings.landing_dir / source_name}")
    if first < settings.start_date:
        click.echo(f"The first day is before the first partition {settings.start_date}: "
                   f"set VOC360_START_DATE={first} to backfill it.")


@main.command()
@click.option("--person-id", help="A person id of the identity graph (person_id in the marts).")
@click.option("--email", help="An e-mail address (any writing: case, spaces and mistyped domains match).")
@click.option("--phone", help="A phone number with its country code (any writing of the same E.164 number).")
@click.option("--customer-id", help="A CRM customer id.")
@click.option("--loyalty-card", help="A loyalty card number.")
@click.option("--app-user-id", help="An app user id (the customer id signed in on the app).")
@click.option("--social-handle", help="A social account, as platform:handle (e.g. weibo:some_name).")
def erase(**identifiers: str | None) -> None:
    """Erase a person from every layer and suppress their identifiers at landing (the right to be forgotten).

    Purges raw, rejects and the embedding cache in the build database, then rebuilds everything downstream
    (voc360_transform, full refresh) and republishes the serving copy. Give exactly one identifier; it is
    hashed before it is recorded and never stored in the clear."""
    # imported here: erasure loads the ML libraries (for the embedding cache), which the other commands do not need
    from voc360.erasure import ErasureError, ErasureRequest, create_key_functions, rebuild_run_config
    from voc360.erasure import erase as erase_person

    given = {kind: value for kind, value in identifiers.items() if value}
    if len(given) != 1:
        raise click.ClickException("give exactly one of --person-id, --email, --phone, --customer-id, "
                                   "--loyalty-card, --app-user-id, --social-handle")
    [(kind, value)] = given.items()
    settings = get_settings()
    try:
        request = ErasureRequest(kind, value)
        create_key_functions()
        with duckdb.connect(str(settings.warehouse_path)) as con:
            result = erase_person(con, request, settings)
    except ErasureError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Erasure {result.erasure_id}: {result.persons} person(s), {result.identifiers_suppressed} "
               f"identifier(s) suppressed; removed {json.dumps(result.rows_removed)}")
    click.echo("Rebuilding everything downstream of raw without them (voc360_transform, full refresh)")
    run_job(TRANSFORM_JOB, {BUILD_TAG: result.erasure_id, ERASURE_TAG: result.erasure_id}, rebuild_run_config())


@main.command()
def summary() -> None:
    """Print row counts per layer and rejected rows per source."""
    click.echo(render_summary(get_settings()))


if __name__ == "__main__":
    main()
