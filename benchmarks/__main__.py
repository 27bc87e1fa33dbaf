"""``python -m benchmarks [NAME ...]``: run every benchmark (or the named ones), print a table, write JSON.

Each module ``benchmarks/bench_*.py`` defines ``run() -> list[BenchmarkResult]``. Results go to
``benchmarks/results/latest.json`` with provenance.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

import ntk_bench  # noqa: F401  (float64 before any array)
from ntk_bench.results import atomic_write_bytes, collect_provenance

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def format_row(result) -> str:
    """One table line: name, both timings, speedup and the target."""
    return (
        f"{result.name:<44} ours {result.ours_s:9.3f}s  {result.baseline:<34} {result.baseline_s:9.3f}s  "
        f"speedup {result.speedup:7.2f}x  {result.target}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {available()})")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(
            f"benchmarks: error: unknown benchmark {unknown[0]!r}; allowed: {', '.join(available())}",
            file=sys.stderr,
        )
        return 2
    results = []
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        for result in module.run():
            results.append(result)
            print(format_row(result), flush=True)
    document = {
        "results": [r.to_dict() for r in results],
        "provenance": collect_provenance({"benchmarks": names}, seed=0),
    }
    atomic_write_bytes(args.out, json.dumps(document, indent=1).encode())
    print(f"benchmarks: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
