"""Hydra callback: one sweep-level W&B run at the end of every multirun (enabled by tracker=wandb).

The run sits in the sweep's W&B group (``job_type`` ``sweep``, named after the sweep dir) and carries what no
single job can: the claims table evaluated over every completed job of the sweep (claims such as depth-scale
fits need several runs), the verdict counts (``claims/pass``, ``claims/fail``, …) and the number of jobs in
its summary, for nightly CI dashboards. It is logged through
:class:`~ntk_bench.tracker.wandb_tracker.WandbTracker` (same mode, project, entity, group rules), offline
into ``<sweep dir>/wandb/``. It never changes the outcome of the sweep: any error is one warning line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from ntk_bench.tracker.context import JobContext

SWEEP_EXPERIMENT = "sweep"  # job_type and name of the sweep-level run


def sweep_output(sweep_dir: Path) -> Any:
    """The sweep's ExperimentOutput: no series; claims table over all jobs; jobs and verdict counts."""
    from ntk_bench.claims import claims_table, evaluate_claims, tracker_summary
    from ntk_bench.results import ExperimentOutput, Results, load_runs

    runs = load_runs(sweep_dir)
    # As for a job's table (runner.attach_claims): leave out claims of experiments this sweep did not run.
    results = [r for r in evaluate_claims(runs) if r.verdict != "not-run" or r.runs]
    output = ExperimentOutput(
        results=Results(experiment=SWEEP_EXPERIMENT, axis="job", summary={"jobs": len(runs)}),
        tables={"claims": claims_table(results)},
        extra_summary=tracker_summary(results),
    )
    return output


def log_sweep_run(tracker_cfg: dict[str, Any], sweep_dir: Path, overrides: list[str]) -> None:
    """Log the sweep-level run of ``sweep_dir`` with the W&B settings ``tracker_cfg``."""
    from ntk_bench.schema import parse_section
    from ntk_bench.tracker.config import WandbConfig
    from ntk_bench.tracker.wandb_tracker import WandbTracker

    output = sweep_output(sweep_dir)
    job = JobContext(multirun=True, sweep_dir=sweep_dir, overrides=tuple(overrides))
    tracker = WandbTracker(parse_section(WandbConfig, tracker_cfg, "tracker"), job)
    config = {"experiment": {"name": SWEEP_EXPERIMENT}, "sweep_dir": str(sweep_dir), "overrides": overrides}
    tracker.start(config, {}, sweep_dir)
    try:
        tracker.log_output(output)
    except Exception:
        tracker.finish(1)
        raise
    tracker.finish(0)


class SweepRunCallback(Callback):
    """``on_multirun_end``: the sweep-level run, when the sweep's tracker is ``wandb``."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        tracker_cfg = OmegaConf.to_container(config.get("tracker") or {}, resolve=True)
        sweep_dir = OmegaConf.select(config, "hydra.sweep.dir")
        if not self.enabled or not isinstance(tracker_cfg, dict) or tracker_cfg.get("name") != "wandb":
            return
        try:
            overrides = [str(o) for o in OmegaConf.select(config, "hydra.overrides.task") or []]
            log_sweep_run(tracker_cfg, Path(sweep_dir), overrides)
        except Exception as err:  # the sweep's results are on disk; this run is a summary of them
            message = str(err).splitlines()[0] if str(err) else ""
            warning = f"ntk-bench: warning: sweep run not logged ({type(err).__name__}: {message})"
            print(warning, file=sys.stderr)
