"""Pure theory claims: checked on every report from the library's mean-field functions (no runs needed).

The library's ``critical_sigma_w2`` (composite Gauss-Legendre quadrature + brentq) is checked against
independent oracles: the erf and ReLU closed forms of :mod:`ntk_bench.theory.closed_forms`, and plain
Gauss-Hermite quadrature for tanh. Runs that sit on the critical line are checked by
``spectrum.critical_line_chi_1``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from scipy.optimize import brentq

from ntk_bench.claims.core import ClaimResult, check, claim
from ntk_bench.claims.papers import SCHOENHOLZ2017
from ntk_bench.results import Run

CRITICAL_LINE_SIGMA_B2 = (0.0, 0.05, 0.18)
HERMITE_POINTS = 300


def _fixed_point(q_map: Callable[[float], float], sigma_b2: float) -> float:
    """q* of a nondecreasing variance map with M(0) = σ_b² (0 when σ_b² = 0 and the map contracts)."""
    if sigma_b2 == 0.0:
        return 0.0
    hi = 1.0
    while q_map(hi) > hi:
        hi *= 2.0
    return float(brentq(lambda q: q_map(q) - q, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps))


def _oracle_chi_1(activation: str, sigma_w2: float, sigma_b2: float) -> float:
    """χ_1 at (σ_w², σ_b²) computed without the library's quadrature."""
    from ntk_bench.theory import closed_forms, hermite_expectation_1d

    if activation == "relu":
        return float(closed_forms.relu_chi_1(sigma_w2))
    if activation == "erf":
        q = _fixed_point(lambda q: float(closed_forms.erf_q_map(q, sigma_w2, sigma_b2)), sigma_b2)
        return float(closed_forms.erf_chi_1(q, sigma_w2))
    if activation == "tanh":

        def q_map(q: float) -> float:
            return sigma_w2 * hermite_expectation_1d(lambda u: np.tanh(u) ** 2, q, HERMITE_POINTS) + sigma_b2

        q = _fixed_point(q_map, sigma_b2)
        sech4 = hermite_expectation_1d(lambda u: np.cosh(u) ** -4, max(q, 0.0), HERMITE_POINTS)
        return float(sigma_w2 * sech4)
    raise ValueError(f"no oracle for activation {activation!r}")


@claim(
    id="mean_field.critical_line",
    paper=SCHOENHOLZ2017,
    statement="The order-to-chaos transition is the critical line χ_1(σ_w², σ_b²) = 1 (ReLU: σ_w² = 2; "
    "erf at "
    "σ_b² = 0: σ_w² = π/4; tanh at σ_b² = 0: σ_w² = 1).",
    experiment=None,
    conditions="theory check, no runs: erf, tanh and relu at σ_b² ∈ {0, 0.05, 0.18}",
    expected="χ_1 = 1 at critical_sigma_w2(φ, σ_b²), χ_1 computed by an independent oracle",
    tolerance="absolute 1e-6 (worst σ_b² per activation)",
    justification="Oracles: erf and ReLU closed forms (round-off only), tanh by 300-point Gauss-Hermite "
    "(≤ 7e-8 at q ≤ 3, ntk_bench.theory.gaussian); critical_sigma_w2 resolves the erf root at σ_b² = 0 only "
    "to ~1e-7 relative (measured |χ_1 − 1| = 1.8e-8 there; ≤ 1e-15 elsewhere).",
)
def critical_line(runs: Sequence[Run]) -> Iterator[ClaimResult]:
    from ntk_bench.theory import critical_sigma_w2

    for activation in ("erf", "tanh", "relu"):
        worst, where = -1.0, ""
        for sigma_b2 in CRITICAL_LINE_SIGMA_B2:
            w2 = critical_sigma_w2(activation, sigma_b2)
            error = abs(_oracle_chi_1(activation, w2, sigma_b2) - 1.0)
            if not math.isfinite(error) or error > worst:
                worst, where = (
                    error if math.isfinite(error) else math.inf,
                    f"σ_b² = {sigma_b2:g}, σ_w² = {w2:.10g}",
                )
        yield check(
            f"theory: {activation}",
            worst,
            0.0,
            1e-6,
            "abs",
            detail=f"max |χ_1 − 1| at {where}",
        )
