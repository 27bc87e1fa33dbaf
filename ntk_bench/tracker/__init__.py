"""Experiment tracking behind one seam (``tracker=none``, ``tracker=wandb`` or ``tracker=mlflow``).

Experiments return an :class:`ExperimentOutput`; the runner hands it to the tracker :func:`make_tracker`
builds from the ``tracker`` config group. The W&B and MLflow SDKs are imported only when a run starts;
the tracker's settings are checked here, before the experiment runs (a bad one is a ``ConfigError``).
"""

from collections.abc import Mapping
from typing import Any

from ntk_bench.errors import require_choice
from ntk_bench.tracker.base import ExperimentOutput, NullTracker, Tracker
from ntk_bench.tracker.context import JobContext, job_context_from_hydra

TRACKERS = ("none", "wandb", "mlflow")


def make_tracker(cfg: Mapping[str, Any], job: JobContext | None = None) -> Tracker:
    """The tracker named by ``cfg.name`` (the ``tracker`` config group); ``job`` places its run in a sweep."""
    name = cfg.get("name", "none")
    require_choice("tracker", name, TRACKERS)
    if name == "none":
        return NullTracker()
    if name == "mlflow":
        from ntk_bench.tracker.mlflow_tracker import MlflowTracker

        return MlflowTracker(cfg, job)  # checks tracker.tracking_uri
    from ntk_bench.tracker.wandb_tracker import MODES, WandbTracker

    require_choice("tracker.mode", cfg.get("mode", "auto"), MODES)
    return WandbTracker(cfg, job)


__all__ = [
    "TRACKERS",
    "ExperimentOutput",
    "JobContext",
    "NullTracker",
    "Tracker",
    "job_context_from_hydra",
    "make_tracker",
]
