"""Experiments: each maps a resolved config and a job directory to an :class:`ExperimentOutput`.

``EXPERIMENTS`` maps the ``experiment.name`` of ``conf/experiment/*.yaml`` to ``"module:function"``; the
module is imported only when that experiment runs, so heavy imports stay out of the others.
"""

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ntk_bench.errors import require_choice
from ntk_bench.tracker import ExperimentOutput

Experiment = Callable[[Mapping[str, Any], Path], ExperimentOutput]

EXPERIMENTS: dict[str, str] = {
    "spectrum": "ntk_bench.experiment.spectrum:run_spectrum",
    "xiao2020_fcn": "ntk_bench.experiment.xiao2020:run_xiao2020",
    "xiao2020_cnn": "ntk_bench.experiment.xiao2020:run_xiao2020",
    "xiao2020_pool_depth": "ntk_bench.experiment.xiao2020.pool_depth:run_pool_depth",
    "lee2019_linearization": "ntk_bench.experiment.lee2019:run_lee2019",
    "jacot2018_convergence": "ntk_bench.experiment.jacot2018:run_jacot2018",
    "hanin_nica_fluctuations": "ntk_bench.experiment.hanin_nica:run_hanin_nica",
    "lr_threshold": "ntk_bench.experiment.lr_threshold:run_lr_threshold",
    "phase_diagram": "ntk_bench.experiment.phase_diagram:run_phase_diagram",
    "schoenholz2017_trainability": "ntk_bench.experiment.trainability:run_trainability",
}


def get_experiment(name: str) -> Experiment:
    """The experiment function registered under ``name``."""
    require_choice("experiment", name, EXPERIMENTS)
    module, function = EXPERIMENTS[name].split(":")
    return getattr(importlib.import_module(module), function)
