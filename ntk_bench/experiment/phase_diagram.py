"""``experiment=phase_diagram``: the mean-field phase diagram of neural-tangents' ``phase_diagram.ipynb``.

For one activation of the registry (``experiment.activation``, null = the model group's), over a grid of
(σ_w², σ_b²): q*, χ_1, c*, χ_c*, ξ_1, ξ_* and the phase (Schoenholz et al. 2017; Xiao et al. 2020), all from
:func:`ntk_bench.theory.mean_field_summary` (float64 quadrature), and the critical line σ_w²(σ_b²) solving
χ_1 = 1 (:func:`ntk_bench.theory.critical_sigma_w2`) for every σ_b² of the grid.
A critical σ_w² outside the grid's σ_w² range is recorded as NaN (not plotted).

Bad input (one-line ConfigError, nothing written): σ_w² ≤ 0 or σ_b² < 0 anywhere in the grid, an unknown
activation, a grid axis with fewer than 2 points or max ≤ min, and an activation with no finite fixed point
q* somewhere in the grid (e.g. ReLU above σ_w² = 2: the variance diverges, so c*, ξ_* do not exist there).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.errors import require
from ntk_bench.progress import progress
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.theory import critical_sigma_w2, mean_field_summary
from ntk_bench.theory.mean_field import check_sigmas, resolve_activation

NAME = "phase_diagram"
PHASE_CODE = {"ordered": -1, "critical": 0, "chaotic": 1}
QUANTITIES = ("q_star", "chi_1", "c_star", "chi_c_star", "xi_1", "xi_star")


def grid_axis(
    exp: Mapping[str, Any], key: str, default: Mapping[str, float], *, strict_min: bool
) -> np.ndarray:
    """``experiment.<key> = {min, max, num}`` → ``linspace(min, max, num)``; σ_w² needs min > 0, σ_b² ≥ 0."""
    spec = exp.get(key) or default
    require(isinstance(spec, Mapping), f"experiment.{key}={spec!r} must be a mapping {{min, max, num}}")
    merged = {**default, **spec}
    lo, hi, num = merged["min"], merged["max"], merged["num"]
    for name, value in (("min", lo), ("max", hi)):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        require(ok, f"experiment.{key}.{name}={value!r} must be a finite number")
    if strict_min:
        require(lo > 0, f"experiment.{key}.min={lo!r}: σ_w² must be > 0")
    else:
        require(lo >= 0, f"experiment.{key}.min={lo!r}: σ_b² must be >= 0")
    require(hi > lo, f"experiment.{key}.max={hi!r} must be > min={lo!r}")
    ok = isinstance(num, numbers.Integral) and not isinstance(num, bool) and num >= 2
    require(ok, f"experiment.{key}.num={num!r} must be an integer >= 2")
    return np.linspace(float(lo), float(hi), int(num))


def grid_defaults() -> tuple[dict[str, float], dict[str, float]]:
    """Default (σ_w², σ_b²) axes when the config gives none (conf/experiment/phase_diagram.yaml's values)."""
    return {"min": 0.5, "max": 3.0, "num": 26}, {"min": 0.0, "max": 0.3, "num": 16}


def run_activation(cfg: Mapping[str, Any]) -> str:
    """The activation of the diagram: ``experiment.activation``, or the model group's when null."""
    exp = cfg["experiment"]
    return resolve_activation(exp.get("activation") or (cfg.get("model") or {}).get("activation")).name


def critical_line(activation: str, sigma_w2: np.ndarray, sigma_b2: np.ndarray) -> np.ndarray:
    """σ_w² with χ_1 = 1 at each σ_b² (critical_sigma_w2); NaN outside the grid's [min, max] of σ_w²."""
    out = np.array([critical_sigma_w2(activation, float(b)) for b in sigma_b2])
    inside = (out >= sigma_w2.min()) & (out <= sigma_w2.max())
    return np.where(inside, out, np.nan)


def run_phase_diagram(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Mean-field quantities on the (σ_w², σ_b²) grid and the critical line."""
    exp = cfg["experiment"]
    activation = run_activation(cfg)
    w_default, b_default = grid_defaults()
    sigma_w2 = grid_axis(exp, "sigma_w2", w_default, strict_min=True)
    sigma_b2 = grid_axis(exp, "sigma_b2", b_default, strict_min=False)
    for w in sigma_w2:
        for b in sigma_b2:
            check_sigmas(float(w), float(b))
    cells = [(float(w), float(b)) for b in sigma_b2 for w in sigma_w2]  # σ_b² rows, σ_w² columns
    values: dict[str, list[float]] = {q: [] for q in QUANTITIES}
    phases = []
    for i in progress(range(len(cells)), len(cells), f"{NAME}: cell"):
        w, b = cells[i]
        s = mean_field_summary(activation, w, b)
        require(
            math.isfinite(s.q_star),
            f"activation {activation!r} has no finite fixed point q* at σ_w²={w:g}, σ_b²={b:g} (the variance "
            "diverges); allowed: a grid where q* is finite (relu: σ_w² < 2)",
        )
        for q in QUANTITIES:
            values[q].append(float(getattr(s, q)))
        phases.append(PHASE_CODE[s.phase])
    line = critical_line(activation, sigma_w2, sigma_b2)
    shape = (len(sigma_b2), len(sigma_w2))
    results = Results(
        experiment=NAME,
        axis="cell",
        series={
            "cell": list(range(len(cells))),
            "sigma_w2": [c[0] for c in cells],
            "sigma_b2": [c[1] for c in cells],
            **values,
            "phase": phases,
        },
        summary={
            "activation": activation,
            "grid_shape": list(shape),
            "sigma_w2_axis": sigma_w2.tolist(),
            "sigma_b2_axis": sigma_b2.tolist(),
            # the plotted critical line: σ_w²(σ_b²) with χ_1 = 1 (NaN outside the grid's σ_w² range)
            "critical_line": {"sigma_b2": sigma_b2.tolist(), "sigma_w2": line.tolist()},
            "phase_code": PHASE_CODE,
            "cells_per_phase": {p: int(np.sum(np.array(phases) == c)) for p, c in PHASE_CODE.items()},
        },
        arrays={q: np.asarray(values[q]).reshape(shape) for q in QUANTITIES},
    )
    return ExperimentOutput(results=results)  # figure: ntk_bench.report.phase_diagram, from stored results
