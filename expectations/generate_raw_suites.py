"""Write the raw-layer Great Expectations suites, expectations/raw/<source>.json, from config/sources.yml.

    python expectations/generate_raw_suites.py           # (re)write every suite
    python expectations/generate_raw_suites.py --check   # exit 1 if a suite file differs from the registry

The suites are generated, not hand-edited: change the registry (or voc360.quality.build_raw_suite for rules the
registry cannot express) and rerun this script. tests/test_quality.py fails when the files and the registry
drift apart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voc360.quality import RAW_SUITES_DIR, build_raw_suite, suite_json_text, write_raw_suites
from voc360.registry import load_registry


def stale_suites(suites_dir: Path = RAW_SUITES_DIR) -> list[str]:
    """Names of suite files that are missing, differ from what the registry generates, or have no source."""
    sources = load_registry().sources
    problems = []
    for name, source in sources.items():
        path = suites_dir / f"{name}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != suite_json_text(build_raw_suite(source)):
            problems.append(f"{name}.json")
    problems += [p.name for p in sorted(suites_dir.glob("*.json")) if p.stem not in sources]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--dir", type=Path, default=RAW_SUITES_DIR, help="suite folder (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_suites(args.dir)
        for name in problems:
            print(f"out of date: {args.dir / name}", file=sys.stderr)
        return 1 if problems else 0
    for path in write_raw_suites(args.dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
