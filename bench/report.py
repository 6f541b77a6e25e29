"""The Markdown table of a benchmark result (medians over repetitions), with the issue's targets."""

from __future__ import annotations

GIB = 2**30
PHASE_NAMES = {"full_build": "full build", "incremental": "incremental day"}

# label, median key, scale factor for display, unit, target (operator, bound) or None
SUMMARY = (
    ("generation (world incl. the extra day)", "generation.seconds", 1, "s", None),
    ("generator lines written per second", "generation.lines_per_second", 1, "lines/s", (">=", 1_000_000)),
    ("generator event lines (web+app) per second", "generation.event_lines_per_second", 1, "lines/s", None),
    ("full build (`voc360 build`, wall)", "full_build.seconds", 1, "s", None),
    ("  landing run", "full_build.runs.voc360_land.seconds", 1, "s", None),
    ("  transform run", "full_build.runs.voc360_transform.seconds", 1, "s", None),
    ("engine floor (compiled SQL + ML steps, one connection)", "floor.seconds", 1, "s", None),
    ("  floor: dbt models", "floor.dbt_seconds", 1, "s", None),
    ("  floor: Python steps", "floor.python_seconds", 1, "s", None),
    ("transform / floor", "ratios.transform_over_floor", 1, "x", None),
    ("transform / floor, both excluding embedding calls", "ratios.transform_excl_embeddings_over_floor_excl_embeddings",
     1, "x", None),
    ("transform / floor, both excluding embeddings (calls and the static table's distillation)",
     "ratios.transform_excl_embeddings_and_distillation_over_floor", 1, "x", ("<=", 1.5)),
    ("incremental day (`voc360 build` of one new day, wall)", "incremental.seconds", 1, "s", None),
    ("incremental day / full build", "ratios.incremental_over_full_build", 100, "%", ("<", 5)),
    ("embedding, full build: texts", "full_build.embedding.texts", 1, "", None),
    ("embedding, full build: newly embedded", "full_build.embedding.embedded_new", 1, "", None),
    ("embedding, full build: texts/s (new)", "full_build.embedding.embedding_texts_per_second", 1, "texts/s", None),
    ("embedding, incremental day: newly embedded", "incremental.embedding.embedded_new", 1, "", None),
    ("embedding, incremental day: from cache", "incremental.embedding.embedded_from_cache", 1, "", None),
    ("embedding, incremental day: texts/s (mostly cached)", "incremental.embedding.embedding_texts_per_second",
     1, "texts/s", None),
    ("embedding, floor re-run of the same texts: newly embedded", "floor.embedded_new", 1, "", ("==", 0)),
    ("embedding outside the pipeline: transformer, cold cache", "bare.transformer_texts_per_second", 1, "texts/s",
     None),
    ("embedding outside the pipeline: static table", "bare.static_texts_per_second", 1, "texts/s", (">=", 20_000)),
    ("pipeline embedding speed / bare transformer", "bare.pipeline_over_bare", 1, "x", None),
    ("peak RSS, generation", "generation.peak_rss_bytes", 1 / GIB, "GiB", ("<", 6)),
    ("peak RSS, full build (process tree)", "full_build.peak_rss_bytes", 1 / GIB, "GiB", ("<", 6)),
    ("peak RSS, floor", "floor.peak_rss_bytes", 1 / GIB, "GiB", None),
    ("peak RSS, incremental day", "incremental.peak_rss_bytes", 1 / GIB, "GiB", ("<", 6)),
    ("warehouse on disk after the full build", "warehouse_bytes.total", 1 / GIB, "GiB", None),
    ("  build database voc360.duckdb", "warehouse_bytes.voc360.duckdb", 1 / GIB, "GiB", None),
    ("  serving.duckdb (published copy)", "warehouse_bytes.serving.duckdb", 1 / GIB, "GiB", None),
    ("definitions load (import incl. dbt manifest)", "definitions_load.import_seconds", 1, "s", ("<", 3)),
    ("definitions load (fresh process, wall)", "definitions_load.process_seconds", 1, "s", None),
)

_OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b, "==": lambda a, b: a == b}


def _fmt(value: float) -> str:
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _target(value: float | None, target) -> str:
    if target is None:
        return ""
    op, bound = target
    verdict = "" if value is None else (" met" if _OPS[op](value, bound) else " **missed**")
    return f"{op} {_fmt(bound)}{verdict}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(r) + " |" for r in rows)]


def _per_name(median: dict, prefix: str) -> dict[str, float]:
    return {k[len(prefix):]: v for k, v in median.items() if k.startswith(prefix)}


def render_markdown(result: dict) -> str:
    median, machine = dict(result.get("median", {})), result["machine"]
    bare = result.get("bare_embedding") or {}
    if "transformer_texts_per_second" in bare:
        median["bare.transformer_texts_per_second"] = bare["transformer_texts_per_second"]
        median["bare.static_texts_per_second"] = bare["static_texts_per_second"]
        pipeline = median.get("full_build.embedding.embedding_texts_per_second")
        if pipeline:
            median["bare.pipeline_over_bare"] = round(pipeline / bare["transformer_texts_per_second"], 3)
    reps = result["repetitions"]
    lines = [
        f"# Benchmark `{result['scale']}`: {result['customers']:,} customers, {result['days']} days",
        "",
        f"- command: `{result['command']}`, started {result['started_at']}, status **{result.get('status')}**, "
        f"{len(reps)} repetition(s), medians below",
        f"- machine: {machine['cpu_model']}, {machine['logical_cores']} logical cores, {machine['ram_gib']} GiB RAM "
        f"(load average at start {machine['load_average_at_start']}, at the end {machine.get('load_average_last')}"
        + ("; the cores are shared with other work, so times are upper bounds)"
           if max(machine["load_average_at_start"]) > machine["logical_cores"] else ")"),
        f"- text encoder: {result.get('embedding_encoder', 'transformer')} (VOC360_EMBEDDING_ENCODER)",
        f"- code: commit {result['git']['commit'][:10]} ({result['git'].get('subject', '')[:80]}), "
        + (f"working tree with {result['git']['dirty_files']} uncommitted files" if result.get("code") == "worktree"
           else "exported from git (uncommitted changes not measured)"),
    ]
    for rep in reps:
        if "note" in rep:
            lines.append(f"- repetition {rep['repetition']}: {rep['note']}")
        for key in ("stopped", "failed"):
            if key in rep:
                message = rep[key].strip().splitlines()
                lines.append(f"- repetition {rep['repetition']} {key} in phase {message[0]} ... {message[-1]}"
                             if len(message) > 1 else f"- repetition {rep['repetition']} {key} in phase {message[0]}")
    if median.get("incremental.incremental_models") == 0:
        lines.append("- the dbt project has no incremental models yet: the incremental day lands one partition and "
                     "then rebuilds every model downstream in full")
    lines += ["", *_table(["measure", "median", "target"], [
        [label, f"{_fmt(median[key] * scale)} {unit}".strip(), _target(median[key] * scale, target)]
        for label, key, scale, unit, target in SUMMARY if key in median])]

    generated = _per_name(median, "generation.lines.")
    raw = {k.rsplit(".", 1)[0] for k in _per_name(median, "raw_rows.")}
    if generated or raw:
        lines += ["", "Rows per source (generated lines include the extra day; raw counts are the full build's history):",
                  "", *_table(["source", "generated lines", "raw read", "raw loaded", "raw rejected"], [
                      [s, _fmt(generated.get(s, 0)), *(_fmt(median[f"raw_rows.{s}.{k}"]) if f"raw_rows.{s}.{k}" in median
                                                       else "" for k in ("read", "loaded", "rejected"))]
                      for s in sorted(set(generated) | raw)])]

    generation_phases = _per_name(median, "generation.phase_seconds.")
    if generation_phases:
        lines += ["", "Generation, seconds per phase (the workers write the clickstream sources during \"files\", "
                  "beside the parent, which writes the rest): "
                  + ", ".join(f"{k} {_fmt(v)} s" for k, v in generation_phases.items())]

    steps, peaks = {}, {}
    for phase in ("full_build", "incremental"):
        for job in ("voc360_land", "voc360_transform"):
            for step, seconds in _per_name(median, f"{phase}.runs.{job}.steps.").items():
                steps.setdefault(step, {})[phase] = seconds
            for step, rss in _per_name(median, f"{phase}.runs.{job}.step_peak_rss_bytes.").items():
                peaks.setdefault(phase, {})[step] = rss / GIB
    floor_steps = _per_name(median, "floor.steps.")
    if steps:
        # Results measured before steps had their own peak have no such columns rather than empty ones.
        peak_phases = [phase for phase in ("full_build", "incremental") if phase in peaks]
        header = ["step", "full build", "incremental day"] + [f"peak RSS, {PHASE_NAMES[p]} (GiB)" for p in peak_phases]
        caption = "Dagster steps (seconds from step start to success in the run's event log" + (
            "; peak RSS: the highest RSS of the build's process tree sampled between the two" if peak_phases else "")
        lines += ["", caption + "):", "",
                  *_table(header, [
                      [s, _fmt(t.get("full_build", 0)), _fmt(t["incremental"]) if "incremental" in t else "",
                       *(_fmt(peaks[p][s]) if s in peaks[p] else "" for p in peak_phases)]
                      for s, t in sorted(steps.items(), key=lambda kv: -kv[1].get("full_build", 0))])]
        if peak_phases:
            highest = {p: max(peaks[p], key=peaks[p].get) for p in peak_phases}
            lines += ["", "Step with the highest peak RSS: " + "; ".join(
                f"{PHASE_NAMES[p]} `{step}` {_fmt(peaks[p][step])} GiB" for p, step in highest.items())]
    models = _per_name(median, "full_build.dbt_models.")
    if models:
        incremental = _per_name(median, "incremental.dbt_models.")
        lines += ["", "dbt models (execution time from run_results.json; the floor runs the same compiled SQL):", "",
                  *_table(["model", "full build", "floor", "incremental day"], [
                      [m, _fmt(t), _fmt(floor_steps[m]) if m in floor_steps else "",
                       _fmt(incremental[m]) if m in incremental else ""]
                      for m, t in sorted(models.items(), key=lambda kv: -kv[1])])]
        tests = _per_name(median, "full_build.dbt_tests_seconds_by_step.")
        if tests:
            lines += ["", "dbt tests, summed execution time per dbt step (full build): "
                      + ", ".join(f"{step} {_fmt(s)} s" for step, s in sorted(tests.items()))]
    python_steps = {k: v for k, v in floor_steps.items() if "/" in k}
    if python_steps:
        lines += ["", "Floor, Python steps: " + ", ".join(f"{k} {_fmt(v)} s" for k, v in python_steps.items())]
    text_phases = {"full build": _per_name(median, "full_build.embedding.phase_seconds."),
                   "floor": _per_name(median, "floor.text_phase_seconds."),
                   "incremental day": _per_name(median, "incremental.embedding.phase_seconds.")}
    text_phases = {k: v for k, v in text_phases.items() if v}
    if text_phases:
        names = list(dict.fromkeys(p for phases in text_phases.values() for p in phases))
        lines += ["", "Text step, seconds per phase (metadata phase_seconds of ml/text_insights; \"encoder\" "
                  "distils the static table the first time):", "",
                  *_table(["phase", *text_phases], [[p, *(_fmt(v[p]) if p in v else "" for v in text_phases.values())]
                                                     for p in names])]
    return "\n".join(lines) + "\n"
