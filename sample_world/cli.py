"""Command line: `voc360-world` (or `python -m sample_world`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from voc360.settings import DEFAULT_CUSTOMERS, DEFAULT_DAYS, DEFAULT_START_DATE

from sample_world.config import Messiness, WorldConfig

_DEFAULTS = Messiness()


def _rate_option(name: str, field: str, what: str):
    return click.option(
        f"--{name}", field, type=click.FloatRange(0.0, 0.5), default=None,
        help=f"{what} (default {getattr(_DEFAULTS, field)} x --messiness).",
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--seed", type=click.IntRange(min=0), default=42, show_default=True, help="Random seed.")
@click.option("--customers", type=click.IntRange(min=1), default=DEFAULT_CUSTOMERS, show_default=True,
              help="Number of true persons (CRM customers).")
@click.option("--days", type=click.IntRange(min=1), default=DEFAULT_DAYS, show_default=True,
              help="Length of the history in days (one landing partition per day).")
@click.option("--start-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=DEFAULT_START_DATE.isoformat(),
              show_default=True, help="First partition day.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("landing"),
              show_default=True, help="Landing directory (its source folders are replaced).")
@click.option("--truth", "truth_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("ground_truth"),
              show_default=True, help="Ground-truth directory (never a landing source).")
@click.option("--messiness", type=click.FloatRange(0.0, 20.0), default=1.0, show_default=True,
              help="Multiplier on every messiness rate; 0 writes a clean world.")
@_rate_option("duplicate-rate", "duplicate_rate", "Share of records written twice in the same file")
@_rate_option("resend-rate", "resend_rate", "Share of records re-sent in a *_resend file (same or later day)")
@_rate_option("late-rate", "late_rate", "Share of records landing 1-3 days late")
@_rate_option("malformed-rate", "malformed_rate", "Share of records followed by a malformed copy")
@_rate_option("crm-duplicate-rate", "crm_duplicate_rate", "Share of persons with a second CRM record")
@_rate_option("mixed-timezone-rate", "mixed_timezone_rate", "Share of timestamps written in another UTC offset")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Extra processes for the clickstream sources (default: one per spare CPU, at most 2; "
                   "0 = single process). The output is the same either way.")
@click.option("--quiet", is_flag=True, help="No progress bars or summary.")
@click.option("--timings", "timings_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the seconds of each phase (population, simulation, files and each worker's share, "
                   "truth) as JSON to this file. They are kept out of the ground truth, which a seed fixes.")
def main(seed: int, customers: int, days: int, start_date: dt.datetime, out_dir: Path, truth_dir: Path,
         messiness: float, duplicate_rate, resend_rate, late_rate, malformed_rate, crm_duplicate_rate,
         mixed_timezone_rate, workers: int | None, quiet: bool, timings_path: Path | None) -> None:
    """Generate the voc360 sample world: daily landing files for every registered source, plus ground truth."""
    rates = _DEFAULTS.scaled(messiness)
    rates = Messiness(**{k: min(v, 0.5) for k, v in rates.as_dict().items()}).replace(
        duplicate_rate=duplicate_rate, resend_rate=resend_rate, late_rate=late_rate, malformed_rate=malformed_rate,
        crm_duplicate_rate=crm_duplicate_rate, mixed_timezone_rate=mixed_timezone_rate,
    )
    cfg = WorldConfig(seed=seed, customers=customers, days=days, start_date=start_date.date(), out_dir=out_dir,
                      truth_dir=truth_dir, messiness=rates, quiet=quiet, workers=workers)
    from sample_world.world import generate

    result = generate(cfg)
    if timings_path is not None:
        timings_path.parent.mkdir(parents=True, exist_ok=True)
        timings_path.write_text(json.dumps({"seconds": round(result.seconds, 3), "phases": result.timings}, indent=2))
    if quiet:
        return
    click.echo(f"wrote {result.total_rows:,} lines in {sum(result.files.values()):,} files to {out_dir} "
               f"in {result.seconds:.1f}s; ground truth in {truth_dir}")
    width = max(len(n) for n in result.rows)
    for name, n in result.rows.items():
        click.echo(f"  {name:<{width}}  {n:>10,} lines  {result.files[name]:>5} files")
    effects = result.summary["planted_effects"]
    click.echo(f"  churn: slow-service complainers {effects['churn_rate_slow_service_complainers']}, "
               f"others {effects['churn_rate_other_persons']}")


if __name__ == "__main__":  # pragma: no cover
    main()
