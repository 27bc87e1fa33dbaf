"""``experiment=jacot2018_convergence``: the empirical NTK at init converges to the analytic NTK with width.

Jacot et al. (2018): Θ̂ → Θ as n → ∞ with fluctuations ~n^{-1/2}. For each width and seed the
Flax twin's empirical NTK at init (per output, averaged over the output axis; scalar output by default) is
compared with the stax analytic NTK of the same :class:`ModelSpec` on the training inputs:

- single draw: e_s(n) = ‖Θ̂_s − Θ‖_F/‖Θ‖_F for each seed; slope of log e against log n per seed, mean ± 95%
  t-interval over seeds. Expected ≈ −½ (the fluctuation);
- averaged: ‖mean_s Θ̂_s − Θ‖_F/‖Θ‖_F; the average cancels the fluctuation down to ~(nS)^{-1/2} and leaves the
  O(1/n) bias, so its slope lies between −½ and −1 (OLS interval over widths).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.analysis.slopes import loglog_fit, mean_ci, seed_slope_fit
from ntk_bench.data import load_dataset
from ntk_bench.dynamics.deviation import relative_frobenius
from ntk_bench.dynamics.training import init_seeds, unstack
from ntk_bench.experiment.checks import parse_experiment, width_grid
from ntk_bench.experiment.finite_width import (
    EmpiricalNTKConfig,
    analytic_ntk,
    build_model,
    empirical_ntk_for,
    model_summary,
    seeds_from,
)
from ntk_bench.progress import progress
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.schema import integer, setting

NAME = "jacot2018_convergence"


@dataclass(frozen=True)
class JacotConfig(EmpiricalNTKConfig):
    """The ``experiment`` group (each key documented in ``conf/experiment/jacot2018_convergence.yaml``)."""

    widths: tuple[int, ...] = setting(width_grid(), [64, 128, 256, 512, 1024, 2048])
    seeds: int = setting(integer(1), 4)
    out_dim: int = setting(integer(1), 1)


def run_jacot2018(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Relative Frobenius error of the empirical vs analytic NTK across widths."""
    settings = parse_experiment(JacotConfig, cfg["experiment"])
    widths, n_seeds, out_dim = settings.widths, settings.seeds, settings.out_dim
    data = load_dataset(cfg["data"])
    seeds = seeds_from(cfg, n_seeds)
    errors = np.full((len(widths), n_seeds), np.nan)
    averaged = np.full(len(widths), np.nan)
    analytic_norm, probes, analytic = [], [], None
    for wi in progress(range(len(widths)), len(widths), f"{NAME}: width"):
        model = build_model(cfg, data, width=widths[wi], out_dim=out_dim)
        if analytic is None or model.spec.parameterization == "standard":  # standard: Θ grows with width
            analytic = analytic_ntk(model, data, data.x_train)
        x = model.prepare(data.x_train)
        variables = init_seeds(model.init, seeds, x)
        ntk = empirical_ntk_for(model, settings)
        kernels = [ntk(unstack(variables, i), x) for i in range(n_seeds)]
        errors[wi] = [relative_frobenius(k, analytic) for k in kernels]
        averaged[wi] = relative_frobenius(np.mean(kernels, axis=0), analytic)
        analytic_norm.append(float(np.linalg.norm(analytic)))
        probes.extend(p.to_dict() for p in ntk.probes)

    single = seed_slope_fit(widths, errors.T)
    avg_fit = loglog_fit(widths, averaged)
    mean, half = mean_ci(errors, axis=1)
    results = Results(
        experiment=NAME,
        axis="width",
        series={
            "width": list(widths),
            "error_single_mean": mean.tolist(),
            "error_single_ci_half_width": half.tolist(),
            "error_averaged": averaged.tolist(),
            "analytic_ntk_frobenius": analytic_norm,
            **{f"error_seed_{int(s)}": errors[:, i].tolist() for i, s in enumerate(seeds)},
        },
        summary={
            "slope_single_draw": single.to_dict(),
            "slope_averaged": avg_fit.to_dict(),
            "claims": {  # read by ntk_bench.claims.jacot2018: the single-draw slope, mean over seeds
                "ntk_convergence_slope": single.slope,
                "ntk_convergence_slope_stderr": single.stderr,
            },
            "model": model_summary(model),
            "depth": model.spec.depth if model.spec else None,
            "out_dim": out_dim,
            "n_points": data.n_train,
            "seeds": [int(s) for s in seeds],
            "ntk_probes": probes,
        },
        arrays={"widths": np.asarray(widths), "errors": errors, "errors_averaged": averaged},
    )
    return ExperimentOutput(results=results)  # figure: ntk_bench.report.jacot2018, from stored results
