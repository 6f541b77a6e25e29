"""Timing and memory of a child process tree, with a wall-clock deadline, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import threading
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

import psutil


class DeadlineExceeded(RuntimeError):
    """The benchmark's wall-clock budget ran out while a phase was running; the phase was stopped."""


@dataclass
class Measured:
    seconds: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str
    rss_timeline: list[tuple[float, int]]  # (epoch seconds, tree RSS bytes), see PeakMemory


def tree_rss(proc: psutil.Process) -> int:
    """Resident memory of a process and all its descendants (processes that exit meanwhile count as 0)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class PeakMemory:
    """Samples the RSS of a process tree in a thread (every `interval` seconds): the peak, and a timeline of
    (epoch seconds, bytes) to attribute memory to the Dagster steps, whose events carry epoch timestamps.

    The timeline keeps a sample only when it moves more than `resolution` bytes from the last one kept (long
    steps hold a level for minutes), plus the last sample before such a move, so that a step starting in a flat
    stretch still sees its level: any interval's peak is then that of every sample, to within `resolution`."""

    def __init__(self, pid: int, interval: float = 0.2, resolution: int = 8 * 2**20):
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.resolution = resolution
        self.peak = 0
        self.timeline: list[tuple[float, int]] = []
        self._unkept: tuple[float, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def record(self, at: float, rss: int) -> None:
        self.peak = max(self.peak, rss)
        if self.timeline and abs(rss - self.timeline[-1][1]) <= self.resolution:
            self._unkept = (at, rss)
            return
        if self._unkept is not None:
            self.timeline.append(self._unkept)
            self._unkept = None
        self.timeline.append((at, rss))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.record(time.time(), tree_rss(self.proc))
            except psutil.NoSuchProcess:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if self._unkept is not None:  # the timeline ends where the sampling did
            self.timeline.append(self._unkept)
            self._unkept = None


def peak_rss_by_step(timeline: list[tuple[float, int]],
                     intervals: dict[str, tuple[float, float]]) -> dict[str, int]:
    """Each step's peak tree RSS: the highest sample within its [start, end] (epoch seconds), or, when none
    falls within it (a step shorter than the sampling interval, or inside a stretch the timeline left out as
    unchanged), the last sample before it: the level the tree held. Steps before the first sample are left out."""
    times = [at for at, _ in timeline]
    peaks = {}
    for step, (start, end) in intervals.items():
        first, after = bisect_left(times, start), bisect_right(times, end)
        if first < after:
            peaks[step] = max(rss for _, rss in timeline[first:after])
        elif first > 0:
            peaks[step] = timeline[first - 1][1]
    return peaks


def run_measured(command: list[str], *, env: dict[str, str], cwd: Path, deadline: float | None) -> Measured:
    """Run a command to completion; its wall time and the peak RSS of its process tree.

    The child leads its own process group, so when the deadline (a time.monotonic() value) passes the whole
    tree it started is stopped, and DeadlineExceeded is raised."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    timeout = None if deadline is None else max(1.0, deadline - time.monotonic())
    with PeakMemory(proc.pid) as memory:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise DeadlineExceeded(f"stopped after {time.perf_counter() - started:.0f}s: {' '.join(command[:4])}")
    return Measured(time.perf_counter() - started, memory.peak, proc.returncode, stdout, stderr,
                    memory.timeline)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine() -> dict:
    mem = psutil.virtual_memory()
    return {
        "cpu_model": cpu_model(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(mem.total / 2**30, 1),
        "available_ram_gib_at_start": round(mem.available / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def directory_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0
