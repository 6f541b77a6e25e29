"""Generates one world: persons, their lives, the day files of every source, and the ground truth.

The life simulation runs first (it decides who buys, complains and churns when). Then every day's file of
every source is written; the two clickstream sources, by far the largest, are generated and written by
forked worker processes when more than one CPU is available. Output does not depend on the number of workers.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import shutil
import time
import traceback

from tqdm import tqdm

from voc360.registry import Registry, load_registry

from sample_world.bulk import AppEvents, OrderItems, PersonArrays, WebEvents
from sample_world.config import WorldConfig
from sample_world.export import Batch, Exporter
from sample_world.formats import Clock
from sample_world.people import make_population
from sample_world.rng import np_stream, py_stream
from sample_world.simulate import Simulator
from sample_world.sink import BULK_SOURCES, RECORD_SOURCES, Sink, Truth
from sample_world.text import TextFactory
from sample_world.truth import write_truth

PARALLEL_SOURCES = ("web_events", "app_events")


@dataclasses.dataclass
class Result:
    rows: dict[str, int]  # lines written per source (records plus planted duplicate/malformed/re-sent lines)
    files: dict[str, int]
    seconds: float
    summary: dict
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # seconds per phase

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _check_registry(registry: Registry) -> None:
    known = set(RECORD_SOURCES) | set(BULK_SOURCES)
    declared = set(registry.sample_world_sources)
    if declared != known:
        raise ValueError(f"the generator writes {sorted(known)} but the registry declares {sorted(declared)}")


def default_workers() -> int:
    return min(len(PARALLEL_SOURCES), (os.cpu_count() or 1) - 1)


def _run_source(days: int, generator, exporter: Exporter, progress=None) -> None:
    for day in range(days):
        exporter.day(day, generator.day(day))
        if progress is not None:
            progress.value = day + 1


def _worker(days: int, generator, exporter: Exporter, progress, conn) -> None:  # runs in a forked child
    try:
        started = time.perf_counter()
        _run_source(days, generator, exporter, progress)
        conn.send(("ok", exporter.truth, exporter.lines_written, exporter.files_written,
                   time.perf_counter() - started))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def generate(cfg: WorldConfig, registry: Registry | None = None) -> Result:
    t_start = time.perf_counter()
    registry = registry or load_registry()
    _check_registry(registry)
    seed = cfg.seed
    clock = Clock(cfg.start_date, cfg.days)
    truth = Truth()
    pop = make_population(cfg.customers, cfg.days, cfg.start_date, py_stream(seed, "people"),
                          TextFactory(py_stream(seed, "bios")))
    sink = Sink(cfg, clock, registry, truth, py_stream(seed, "zones"))
    try:
        sim = Simulator(cfg, clock, pop, sink, py_stream(seed, "life"), py_stream(seed, "ids"),
                        TextFactory(py_stream(seed, "text")), np_stream(seed, "public"))
        timings = {"population": time.perf_counter() - t_start}
        with tqdm(total=cfg.customers, desc="persons", unit="person", disable=cfg.quiet, leave=False) as bar:
            sim.run(progress=bar)
        timings["simulation"] = time.perf_counter() - t_start - sum(timings.values())

        out = cfg.out_dir
        out.mkdir(parents=True, exist_ok=True)
        for name in registry.sample_world_sources:  # imported real sources stay as they are
            shutil.rmtree(out / name, ignore_errors=True)
        day_names = [clock.day_str(d) for d in range(cfg.days)]
        exporters = {
            name: Exporter(src, cfg, out, np_stream(seed, "export", name), day_names)
            for name, src in registry.sample_world_sources.items()
        }
        persons = PersonArrays(pop, cfg)
        bulk = {
            "web_events": WebEvents(cfg, pop, sink, clock, persons),
            "app_events": AppEvents(cfg, pop, sink, clock, persons),
            "order_items": OrderItems(cfg, sink, clock),
        }
        workers = cfg.workers if cfg.workers is not None else default_workers()
        forked = _fork_workers(cfg, bulk, exporters, workers)

        own = [name for name in exporters if name not in forked]
        # Whether the parent (record sources) or a worker (one clickstream source) bounds the files phase.
        worker_seconds: dict[str, float] = {}
        with tqdm(total=cfg.days, desc="days", unit="day", disable=cfg.quiet) as bar:
            for day in range(cfg.days):
                for name in own:
                    exporter = exporters[name]
                    exporter.day(day, bulk[name].day(day) if name in bulk else Batch(sink.lines.take(name, day)))
                bar.n = min([day + 1] + [w["progress"].value for w in forked.values()])
                bar.refresh()
            for name, w in forked.items():
                while not w["conn"].poll(0.1):
                    bar.n = min(w2["progress"].value for w2 in forked.values())
                    bar.refresh()
                try:
                    message = w["conn"].recv()
                except EOFError:
                    message = ("error", f"the worker process exited with code {w['process'].exitcode}")
                w["process"].join()
                if message[0] != "ok":
                    for other in forked.values():
                        other["process"].kill()
                    raise RuntimeError(f"generating {name} failed:\n{message[1]}")
                exporter = exporters[name]
                _, exporter.truth, exporter.lines_written, exporter.files_written, worker_seconds[name] = message
            bar.n = cfg.days
            bar.refresh()
        timings["files"] = time.perf_counter() - t_start - sum(timings.values())

        for e in exporters.values():  # registry order, whoever wrote the files
            truth.malformed.extend(e.truth.malformed)
            truth.messiness.extend(e.truth.messiness)
            truth.files.extend(e.truth.files)
        rows = {name: e.lines_written for name, e in exporters.items()}
        files = {name: e.files_written for name, e in exporters.items()}
        counts = {name: {"lines": rows[name], "files": files[name]} for name in exporters}
        summary = write_truth(cfg, pop, truth, clock, counts)
        timings["truth"] = time.perf_counter() - t_start - sum(timings.values())
        return Result(rows=rows, files=files, seconds=time.perf_counter() - t_start, summary=summary,
                      timings={k: round(v, 3) for k, v in timings.items()}
                      | {f"files_worker_{name}": round(v, 3) for name, v in worker_seconds.items()})
    finally:
        sink.lines.close()


def _fork_workers(cfg: WorldConfig, bulk: dict, exporters: dict, workers: int) -> dict:
    """Start one forked process per parallel source (up to `workers`); {} where fork is unavailable."""
    if workers <= 0 or "fork" not in multiprocessing.get_all_start_methods():
        return {}
    ctx = multiprocessing.get_context("fork")
    gc.freeze()  # the children's garbage collector then leaves the inherited objects (and their pages) alone
    forked = {}
    for name in PARALLEL_SOURCES[:workers]:
        parent, child = ctx.Pipe(duplex=False)
        progress = ctx.Value("i", 0, lock=False)
        proc = ctx.Process(target=_worker, args=(cfg.days, bulk[name], exporters[name], progress, child),
                           name=f"voc360-world-{name}", daemon=True)
        proc.start()
        child.close()
        forked[name] = {"process": proc, "conn": parent, "progress": progress}
    gc.unfreeze()
    return forked
