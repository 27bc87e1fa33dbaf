"""Run one configured job: experiment → results store → tracker. Used by the Hydra CLI."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ntk_bench.experiment import get_experiment
from ntk_bench.plugins import register_plugin_experiments
from ntk_bench.results import ExperimentOutput, collect_provenance, load_run, write_results
from ntk_bench.results.resume import completed_result
from ntk_bench.tracker import JobContext, make_tracker

# Testing only: SIGKILL this process right after its k-th computed job has written results.json, to prove
# that an interrupted sweep resumes (tests/integration/test_suite.py). Unset in normal use.
CRASH_AFTER_ENV = "NTK_BENCH_CRASH_AFTER"
_computed_jobs = 0  # jobs this process computed (skipped ones not counted)


def attach_claims(output: ExperimentOutput, job_dir: Path) -> None:
    """Evaluate the claims this job measures and add their table and verdict counts for the tracker.

    Claims needing other experiments' runs (not-run because none are in this job) are left out of the table.
    """
    from ntk_bench.claims import claims_table, evaluate_claims, tracker_summary

    results = [r for r in evaluate_claims([load_run(job_dir)]) if r.verdict != "not-run" or r.runs]
    output.tables["claims"] = claims_table(results)
    output.extra_summary.update(tracker_summary(results))


def attach_figures(output: ExperimentOutput, job_dir: Path) -> None:
    """Draw the job's figures from its stored results (``report/figure_registry.py``) for the tracker.

    A figure that fails to draw costs a warning, not the results already written; ``ntk-bench-report
    --figures`` draws it again later.
    """
    from ntk_bench.report.figure_registry import render_figures

    try:
        output.figures.update(render_figures(load_run(job_dir), job_dir))
    except Exception as err:
        print(
            f"ntk-bench: warning: figures not drawn ({type(err).__name__}: {err}); results kept "
            f"(redraw: ntk-bench-report --figures {job_dir})",
            file=sys.stderr,
        )


def run_job(config: Mapping[str, Any], job_dir: Path, job: JobContext | None = None) -> Path:
    """Run the experiment of a resolved ``config`` and store its results in ``job_dir``.

    Resume: if ``job_dir`` already holds complete results of this config (same config hash, see
    :func:`~ntk_bench.results.resume.completed_result`) the job is skipped, unless ``config["force"]``.
    The ``force`` key itself is not part of the stored config or its hash.
    Results are written before anything is sent to the tracker; a tracker failure is reported on stderr and
    never loses the results. ``job`` (Hydra sweep dir, job number, overrides) lets the tracker group and name
    its run. Prints one line and returns the path of ``results.json``.
    """
    global _computed_jobs
    force = bool(config.get("force", False))
    config = {key: value for key, value in config.items() if key != "force"}
    done = None if force else completed_result(job_dir, config)
    if done is not None:
        print(f"ntk-bench: skipped (complete) {done}", flush=True)
        return done
    register_plugin_experiments()
    experiment = get_experiment(config["experiment"]["name"])
    tracker = make_tracker(config.get("tracker") or {"name": "none"}, job)
    start = time.perf_counter()
    output = experiment(config, job_dir)
    provenance = collect_provenance(dict(config), int(config.get("seed", 0)), time.perf_counter() - start)
    path = write_results(job_dir, output.results, config, provenance)
    print(f"ntk-bench: results written to {path}", flush=True)
    attach_figures(output, job_dir)
    _computed_jobs += 1
    if _computed_jobs == int(os.environ.get(CRASH_AFTER_ENV) or 0):
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        tracker.start(dict(config), provenance, job_dir)
        attach_claims(output, job_dir)
        tracker.log_output(output)
        tracker.finish(0)
    except Exception as err:  # the tracker is best effort: results are already safe on disk
        print(
            f"ntk-bench: warning: tracker failed ({type(err).__name__}: {err}); results kept", file=sys.stderr
        )
        with contextlib.suppress(Exception):  # already reported above
            tracker.finish(1)
    return path
