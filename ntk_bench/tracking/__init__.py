"""Experiment tracking behind one seam (``tracker=none`` or ``tracker=wandb``)."""

from collections.abc import Mapping
from typing import Any

from ntk_bench.errors import require_choice
from ntk_bench.tracking.base import ExperimentOutput, NullTracker, Tracker

TRACKERS = ("none",)


def make_tracker(cfg: Mapping[str, Any]) -> Tracker:
    """The tracker named by ``cfg.name`` (the ``tracker`` config group)."""
    name = cfg.get("name", "none")
    require_choice("tracker", name, TRACKERS)
    return NullTracker()


__all__ = ["TRACKERS", "ExperimentOutput", "NullTracker", "Tracker", "make_tracker"]
