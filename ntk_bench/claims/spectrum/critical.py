"""Critical-line spectrum claims (erf, σ_b² > 0, χ_1 = 1): linear growth of λ_max and λ_bulk, κ → m/2."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

from ntk_bench.claims.core import ClaimResult, check_measured, claim
from ntk_bench.claims.papers import XIAO2020
from ntk_bench.claims.spectrum.measures import slopes_on_critical_line
from ntk_bench.claims.spectrum.runs import EXPERIMENT, SpectrumRun, critical_conditions, spectrum_runs
from ntk_bench.results import Run

_CRITICAL_CONDITIONS = (
    "model fcn or cnn_flatten, erf, σ_b² > 0, on the critical line (|χ_1 − 1|·L ≤ 0.01), L ≥ 20; slopes "
    "fitted over depths [L/2, L]"
)
_CRITICAL_DEPTH = (
    "finite depth: O(log l/l) corrections in the off-diagonals (c^l → 1 only polynomially); the fitted "
    "slopes measured within 2% of their asymptotes for L = 25-400 (erf σ_b² = 0.05, m = 32 and 64)"
)


def critical_measurements(
    runs: Sequence[Run], pick: Callable[[float, float], float]
) -> Iterator[tuple[SpectrumRun, tuple[float, str] | str]]:
    """(run, ``pick(dλ_max/dl, dλ_bulk/dl)`` with the fit's detail, or why not) for the critical-line runs."""
    for v in spectrum_runs(runs):
        reason = critical_conditions(v)
        if reason == "":  # not a critical-line run
            continue
        if reason:
            yield v, reason
            continue
        slope_max, slope_bulk, detail = slopes_on_critical_line(v)
        yield v, (pick(slope_max, slope_bulk), detail)


@claim(
    id="spectrum.critical.lambda_max_growth",
    paper=XIAO2020,
    statement="On the critical line (erf, σ_b² > 0) the NTK grows linearly in depth with λ_max ≈ m·q*·l/3.",
    experiment=EXPERIMENT,
    conditions=_CRITICAL_CONDITIONS,
    expected="dλ_max/dl = m·q*/3",
    tolerance="relative 2/m + 0.03",
    justification="2/m: finite m, since λ_max = Θ_aa + (m−1)·Θ_ab → (m+2)·q*·l/3; 0.03: "
    + _CRITICAL_DEPTH
    + ".",
)
def critical_lambda_max_growth(runs: Sequence[Run]) -> Iterator[ClaimResult]:
    for v, slope in critical_measurements(runs, lambda slope_max, _: slope_max):
        yield check_measured(v.label, slope, v.m * v.q_star / 3, 2 / v.m + 0.03, "rel", runs=[v.run])


@claim(
    id="spectrum.critical.lambda_bulk_growth",
    paper=XIAO2020,
    statement="On the critical line (erf, σ_b² > 0) the bulk grows linearly too, λ_bulk ≈ 2·q*·l/3.",
    experiment=EXPERIMENT,
    conditions=_CRITICAL_CONDITIONS,
    expected="dλ_bulk/dl = 2·q*/3",
    tolerance="relative 0.03",
    justification=_CRITICAL_DEPTH[0].upper() + _CRITICAL_DEPTH[1:] + " (bulk: 0.5-1.7%).",
)
def critical_lambda_bulk_growth(runs: Sequence[Run]) -> Iterator[ClaimResult]:
    for v, slope in critical_measurements(runs, lambda _, slope_bulk: slope_bulk):
        yield check_measured(v.label, slope, 2 * v.q_star / 3, 0.03, "rel", runs=[v.run])


@claim(
    id="spectrum.critical.kappa_limit",
    paper=XIAO2020,
    statement="On the critical line (erf, σ_b² > 0) the condition number tends to a depth-independent "
    "κ → m/2: critical networks stay trainable at any depth.",
    experiment=EXPERIMENT,
    conditions=_CRITICAL_CONDITIONS,
    expected="κ_∞ = (dλ_max/dl)/(dλ_bulk/dl) = m/2",
    tolerance="relative 2/m + 0.03",
    justification="The ratio of slopes removes the O(1) offsets that make κ_bulk(L) itself converge like "
    "log(L)/L (7% low at L = 100, m = 64); 2/m: finite m ((m+2)/2); 0.03: " + _CRITICAL_DEPTH + ".",
)
def critical_kappa_limit(runs: Sequence[Run]) -> Iterator[ClaimResult]:
    for v, ratio in critical_measurements(runs, lambda top, bulk: top / bulk if bulk != 0 else math.nan):
        kappa = v.get("kappa_bulk")
        note = "" if kappa is None else f"; κ_bulk(L) = {kappa[-1]:.4g}"
        yield check_measured(v.label, ratio, v.m / 2, 2 / v.m + 0.03, "rel", runs=[v.run], note=note)
