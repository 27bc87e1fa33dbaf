"""``experiment=phase_diagram``: the mean-field phase diagram of neural-tangents' ``phase_diagram.ipynb``.

For the model group's activation (``model.activation``, any of the registry), over a grid of
(σ_w², σ_b²): q*, χ_1, c*, χ_c*, ξ_1, ξ_* and the phase (Schoenholz et al. 2017; Xiao et al. 2020), all from
:func:`ntk_bench.theory.mean_field_summary` (float64 quadrature), and the critical line σ_w²(σ_b²) solving
χ_1 = 1 (:func:`ntk_bench.theory.critical_sigma_w2`) for every σ_b² of the grid.
A critical σ_w² outside the grid's σ_w² range is recorded as NaN (not plotted).

Bad input (one-line ConfigError, nothing written): σ_w² ≤ 0 or σ_b² < 0 anywhere in the grid, an unknown
activation, a grid axis with fewer than 2 points or max ≤ min, ``experiment.activation`` (moved to
``model.activation``), and an activation with no finite fixed point
q* somewhere in the grid (e.g. ReLU above σ_w² = 2: the variance diverges, so c*, ξ_* do not exist there).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ntk_bench.errors import require
from ntk_bench.experiment.checks import parse_experiment
from ntk_bench.progress import progress
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.schema import integer, real, section, setting, text
from ntk_bench.theory import critical_sigma_w2, mean_field_summary
from ntk_bench.theory.mean_field import check_sigmas, resolve_activation

NAME = "phase_diagram"
PHASE_CODE = {"ordered": -1, "critical": 0, "chaotic": 1}
QUANTITIES = ("q_star", "chi_1", "c_star", "chi_c_star", "xi_1", "xi_star")


@dataclass(frozen=True)
class GridAxis:
    """``{min, max, num}`` → ``linspace(min, max, num)``."""

    KEY: ClassVar[str] = ""
    min: float
    max: float
    num: int

    def __post_init__(self):
        require(self.max > self.min, f"experiment.{self.KEY}.max={self.max!r} must be > min={self.min!r}")

    def values(self) -> np.ndarray:
        return np.linspace(self.min, self.max, self.num)


@dataclass(frozen=True)
class SigmaW2Axis(GridAxis):
    KEY: ClassVar[str] = "sigma_w2"
    min: float = setting(real(0, open_minimum=True), 0.5)
    max: float = setting(real(), 3.0)
    num: int = setting(integer(2), 26)


@dataclass(frozen=True)
class SigmaB2Axis(GridAxis):
    KEY: ClassVar[str] = "sigma_b2"
    min: float = setting(real(0), 0.0)
    max: float = setting(real(), 0.3)
    num: int = setting(integer(2), 16)


@dataclass(frozen=True)
class PhaseDiagramConfig:
    """The ``experiment`` group (each key documented in ``conf/experiment/phase_diagram.yaml``)."""

    name: str = setting(text())
    sigma_w2: SigmaW2Axis = section(SigmaW2Axis)
    sigma_b2: SigmaB2Axis = section(SigmaB2Axis)


def phase_diagram_grid(cfg: Mapping[str, Any]) -> tuple[str, np.ndarray, np.ndarray]:
    """(activation, σ_w² axis, σ_b² axis) of a config: ``model.activation`` and the experiment's grid."""
    settings = parse_experiment(PhaseDiagramConfig, cfg["experiment"])
    activation = resolve_activation((cfg.get("model") or {}).get("activation")).name
    return activation, settings.sigma_w2.values(), settings.sigma_b2.values()


def critical_line(activation: str, sigma_w2: np.ndarray, sigma_b2: np.ndarray) -> np.ndarray:
    """σ_w² with χ_1 = 1 at each σ_b² (critical_sigma_w2); NaN outside the grid's [min, max] of σ_w²."""
    out = np.array([critical_sigma_w2(activation, float(b)) for b in sigma_b2])
    inside = (out >= sigma_w2.min()) & (out <= sigma_w2.max())
    return np.where(inside, out, np.nan)


def run_phase_diagram(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Mean-field quantities on the (σ_w², σ_b²) grid and the critical line."""
    activation, sigma_w2, sigma_b2 = phase_diagram_grid(cfg)
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
