"""Experiments: each maps a resolved config to an :class:`ExperimentOutput` (results, figures)."""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ntk_bench.errors import require_choice
from ntk_bench.tracking import ExperimentOutput

Experiment = Callable[[Mapping[str, Any], Path], ExperimentOutput]


def _spectrum(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    from ntk_bench.experiments.spectrum import run_spectrum

    return run_spectrum(cfg, job_dir)


EXPERIMENTS: dict[str, Experiment] = {"spectrum": _spectrum}


def get_experiment(name: str) -> Experiment:
    """The experiment function registered under ``name``."""
    require_choice("experiment", name, EXPERIMENTS)
    return EXPERIMENTS[name]
