"""Xiao, Pennington & Schoenholz (2020), "Disentangling Trainability and Generalization in Deep Neural
Networks" (ICML 2020), split by concept:

- :mod:`.config` — the ``experiment`` group's schema (the data draw is the ``data`` group's);
- :mod:`.inputs` — the data draw (stratified or not) and the label conventions (the transforms they use:
  :mod:`ntk_bench.data.transforms`);
- :mod:`.maps` — the analytic NTKs of every (σ_w², depth) cell and their kernel-regression outcome;
- :mod:`.analysis` — boundaries read off the maps and set against the depth scales;
- :mod:`.run` — ``experiment=xiao2020_fcn`` / ``xiao2020_cnn`` (the heat maps);
- :mod:`.pool_depth` — ``experiment=xiao2020_pool_depth`` (CNN-P's extra depth against ξ_*·ln d).

Figures: :mod:`ntk_bench.report.xiao2020`; verdicts: :mod:`ntk_bench.claims.xiao2020`.
"""

from ntk_bench.experiment.xiao2020.config import XiaoConfig, parse_experiment_config
from ntk_bench.experiment.xiao2020.inputs import load_data
from ntk_bench.experiment.xiao2020.run import run_xiao2020

__all__ = [
    "XiaoConfig",
    "load_data",
    "parse_experiment_config",
    "run_xiao2020",
]
