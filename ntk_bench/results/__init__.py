"""Results store: atomic writes, provenance, and readers."""

from ntk_bench.results.output import ExperimentOutput
from ntk_bench.results.provenance import collect_provenance, config_hash
from ntk_bench.results.reader import Run, load_run, load_runs, runs_table
from ntk_bench.results.store import Results, atomic_write_bytes, write_results

__all__ = [
    "ExperimentOutput",
    "Results",
    "Run",
    "atomic_write_bytes",
    "collect_provenance",
    "config_hash",
    "load_run",
    "load_runs",
    "runs_table",
    "write_results",
]
