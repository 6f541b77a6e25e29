"""An analyst in a separate process: reads the serving database read-only in a loop until told to stop.

Each observation records the build id it saw, whether every published table had exactly the row count
that the publication record states (a half-built mart would not), and how long opening the
database and the whole observation took. Pauses between observations (argument 3, default 0.05 s) and prints
one JSON summary at the end.
"""

import json
import sys
import time
from pathlib import Path

import duckdb


def observe(serving: Path) -> dict:
    started = time.perf_counter()
    with duckdb.connect(str(serving), read_only=True) as con:
        connected = time.perf_counter()
        build_id, tables = con.execute("select build_id, tables from voc360_meta.publications").fetchone()
        mismatched = [
            t["table_name"]
            for t in tables
            if con.execute(f'select count(*) from "{t["schema_name"]}"."{t["table_name"]}"').fetchone()[0]
            != t["row_count"]
        ]
    return {
        "build_id": build_id,
        "consistent": not mismatched,
        "mismatched": mismatched,
        "connect_seconds": connected - started,  # where a lock held by a writer would make the analyst wait
        "seconds": time.perf_counter() - started,
    }


def main(serving: Path, stop_file: Path, pause_seconds: float) -> None:
    observations, errors = [], []
    while not stop_file.exists():
        try:
            observations.append(observe(serving))
        except Exception as exc:  # any error on the analyst's side is what the test looks for
            errors.append(repr(exc))
        time.sleep(pause_seconds)
    observations.append(observe(serving))
    print(json.dumps({"observations": observations, "errors": errors}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.05)
