"""The Dagster form of a Great Expectations validation: pass/fail, the failing expectations, the HTML report."""

from pathlib import Path

import dagster as dg

from voc360.quality import ValidationOutcome, render_html_report


def gx_check_result(check_name: str, outcome: ValidationOutcome, report_path: Path, **kwargs) -> dg.AssetCheckResult:
    report = render_html_report(outcome, report_path)
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            **{k: v for k, v in outcome.statistics.items() if isinstance(v, int | float)},
            "expectations": dg.MetadataValue.md(outcome.to_markdown()),
            "report": dg.MetadataValue.path(str(report)),
        },
        **kwargs,
    )
