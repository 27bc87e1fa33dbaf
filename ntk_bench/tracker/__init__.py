"""Experiment tracking behind one seam (``tracker=none``, ``tracker=wandb`` or ``tracker=mlflow``).

Experiments return an :class:`ExperimentOutput`; the runner hands it to the tracker :func:`make_tracker`
builds from the ``tracker`` config group. The W&B and MLflow SDKs are imported only when a run starts;
the tracker's settings are checked here, before the experiment runs (a bad one is a ``ConfigError``).
"""

from collections.abc import Mapping
from typing import Any

from ntk_bench.tracker.base import ExperimentOutput, NullTracker, Tracker
from ntk_bench.tracker.config import TRACKERS, MlflowConfig, TrackerConfig, WandbConfig, parse_config
from ntk_bench.tracker.context import JobContext, job_context_from_hydra


def make_tracker(cfg: Mapping[str, Any] | TrackerConfig, job: JobContext | None = None) -> Tracker:
    """The tracker named by ``cfg.name`` (the ``tracker`` config group, validated here once by
    :func:`~ntk_bench.tracker.config.parse_config`); ``job`` places its run in a sweep."""
    settings = cfg if isinstance(cfg, TrackerConfig) else parse_config(cfg)
    if isinstance(settings, MlflowConfig):
        from ntk_bench.tracker.mlflow_tracker import MlflowTracker

        return MlflowTracker(settings, job)
    if isinstance(settings, WandbConfig):
        from ntk_bench.tracker.wandb_tracker import WandbTracker

        return WandbTracker(settings, job)
    return NullTracker()


__all__ = [
    "TRACKERS",
    "ExperimentOutput",
    "JobContext",
    "NullTracker",
    "Tracker",
    "TrackerConfig",
    "job_context_from_hydra",
    "make_tracker",
    "parse_config",
]
