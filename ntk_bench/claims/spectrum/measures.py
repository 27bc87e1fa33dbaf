"""The estimators the spectrum claims share: χ_1 from trace increments, κ growth (ordered), the chaotic
depth scale and mean-predictor decay, critical-line slopes, and each phase's asymptotic rate. Each returns
``(value, detail)`` or a string saying why it cannot be measured on this run
(:func:`~ntk_bench.claims.core.check_measured` turns either into a result)."""

from __future__ import annotations

import math
from functools import lru_cache

from ntk_bench.analysis.spectrum_rates import (
    critical_slopes,
    kappa_growth_rate,
    mean_predictor_decay_rate,
    trace_increment_ratio,
)
from ntk_bench.claims.spectrum.runs import (
    SpectrumRun,
    chaotic_domain,
    critical_conditions,
    ordered_domain,
)


@lru_cache(maxsize=256)
def _q_rate(activation: str, sigma_w2: float, sigma_b2: float, q: float) -> float:
    """Slope of the variance map at q: the rate at which q^l → q* (central difference)."""
    from ntk_bench.theory import q_map

    h = 1e-5
    return (
        q_map(activation, sigma_w2, sigma_b2, q * (1 + h))
        - q_map(activation, sigma_w2, sigma_b2, q * (1 - h))
    ) / (2 * q * h)


@lru_cache(maxsize=256)
def _q_constant(activation: str, sigma_w2: float, sigma_b2: float) -> bool:
    """Whether the first pre-activation variance σ_w² + σ_b² (inputs with ‖x‖² = D) is already fixed."""
    from ntk_bench.theory import q_map

    q1 = sigma_w2 + sigma_b2
    return abs(q_map(activation, sigma_w2, sigma_b2, q1) - q1) <= 1e-12 * q1


def chi_hat(v: SpectrumRun) -> tuple[float, str] | str:
    """χ_1 measured from the trace: ratio of successive increments ``Δ_l = tr Θ^{l+1} − tr Θ^l``.

    The diagonal recursion Θ_aa^{l+1} = q^{l+1} + χ(q^l)·Θ_aa^l gives Δ_{l+1}/Δ_l = χ_1 exactly once q^l = q*;
    q^l converges at the variance map's slope r_q, so the ratio's error shrinks like (r_q/χ_1)^l. The
    measurement uses the first depth l ≥ l_min with (r_q/χ_1)^{l_min} ≤ 1e-6 whose increments are resolvable
    (|Δ| ≥ 1e-8·tr), as shallow as possible: deep chaotic kernels lose precision (see the claim).
    """
    trace = v.get("trace")
    if trace is None:
        return "run has no ntk/trace series"
    if _q_constant(v.activation, v.sigma_w2, v.sigma_b2):
        l_min = 1
    else:
        r_q = _q_rate(v.activation, v.sigma_w2, v.sigma_b2, v.q_star)
        if not r_q < v.chi_1 * (1.0 - 1e-3):  # (r_q/χ_1)^l would need > 10⁴ layers to reach 1e-6
            return (
                f"q^l converges no faster than the increments (r_q = {r_q:.4g} ≥ χ_1): "
                "the ratio approaches χ_1 only like 1/l"
            )
        l_min = max(1, math.ceil(math.log(1e-6) / math.log(r_q / v.chi_1)))
    measured = trace_increment_ratio(v.depths, trace, l_min)
    if isinstance(measured, str):
        return measured
    ratio, depth = measured
    return ratio, f"increments at depths {depth}-{depth + 2}"


def kappa_growth(v: SpectrumRun) -> tuple[float, str] | str:
    """Fitted d/dl ln(l·κ_bulk) over the asymptotic, resolvable window (ordered phase)."""
    lam_max, lam_bulk, kappa = v.get("lambda_max"), v.get("lambda_bulk"), v.get("kappa_bulk")
    if lam_max is None or lam_bulk is None or kappa is None:
        return "run lacks ntk/lambda_max, lambda_bulk or kappa_bulk"
    return kappa_growth_rate(v.depths, lam_max, lam_bulk, kappa, float(v.theory.xi_1), v.L)


def chaotic_scale(v: SpectrumRun) -> float:
    """ξ_κ = 1/(ln χ_1 − max(0, ln χ_c*)): the depth scale of Θ_ab/Θ_aa in the chaotic phase."""
    chi_c = float(v.theory.chi_c_star)
    return 1.0 / (math.log(v.chi_1) - max(0.0, math.log(chi_c)))


def mean_predictor_rate(v: SpectrumRun) -> tuple[float, str] | str:
    """Fitted d/dl ln(rms P(Θ^l)Y / l) over depths ≥ L/2 where the predictor is resolvable (chaotic)."""
    rms = v.get("mean_predictor_rms")
    if rms is None:
        return "run has no ntk/mean_predictor_rms (experiment.mean_predictor=false?)"
    return mean_predictor_decay_rate(v.depths, rms, v.chi_1, float(v.theory.xi_star), v.L)


def slopes_on_critical_line(v: SpectrumRun) -> tuple[float, float, str]:
    """Least-squares slopes of λ_max and λ_bulk against l over depths [L/2, L]."""
    lam_max, lam_bulk = v.get("lambda_max"), v.get("lambda_bulk")
    assert lam_max is not None and lam_bulk is not None
    return critical_slopes(v.depths, lam_max, lam_bulk, v.L)


def phase_rate(v: SpectrumRun) -> tuple[float, str] | str:
    """The phase's data-independent asymptotic rate: κ growth (ordered), diagonal growth χ̂_1 (chaotic),
    κ_∞ (critical)."""
    if v.phase == "ordered":
        if not ordered_domain(v):
            return "ordered phase but not a smooth φ with q* > 0"
        return kappa_growth(v)
    if v.phase == "chaotic":
        if not chaotic_domain(v):
            return "q* diverges"
        measured = chi_hat(v)
        return measured if isinstance(measured, str) else (measured[0], f"χ̂_1 from trace {measured[1]}")
    if critical_conditions(v) is None:
        slope_max, slope_bulk, detail = slopes_on_critical_line(v)
        return slope_max / slope_bulk, f"κ_∞ from {detail}"
    return "critical run outside the erf/σ_b² > 0 asymptotics"
