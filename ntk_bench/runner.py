"""Run one configured job: experiment → results store → tracker. Used by the Hydra CLI."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ntk_bench.experiments import get_experiment
from ntk_bench.results import collect_provenance, write_results
from ntk_bench.tracking import JobContext, make_tracker


def run_job(config: Mapping[str, Any], job_dir: Path, job: JobContext | None = None) -> Path:
    """Run the experiment of a resolved ``config`` and store its results in ``job_dir``.

    Results are written before anything is sent to the tracker; a tracker failure is reported on stderr and
    never loses the results. ``job`` (Hydra sweep dir, job number, overrides) lets the tracker group and name
    its run. Returns the path of ``results.json``.
    """
    experiment = get_experiment(config["experiment"]["name"])
    tracker = make_tracker(config.get("tracker") or {"name": "none"}, job)
    start = time.perf_counter()
    output = experiment(config, job_dir)
    provenance = collect_provenance(dict(config), int(config.get("seed", 0)), time.perf_counter() - start)
    path = write_results(job_dir, output.results, config, provenance)
    try:
        tracker.start(dict(config), provenance, job_dir)
        tracker.log_output(output)
        tracker.finish(0)
    except Exception as err:  # the tracker is best effort: results are already safe on disk
        print(
            f"ntk-bench: warning: tracker failed ({type(err).__name__}: {err}); results kept", file=sys.stderr
        )
        with contextlib.suppress(Exception):  # already reported above
            tracker.finish(1)
    return path
