"""Mean-field theory of deep fully connected networks at initialisation, for any elementwise φ.

Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep Information Propagation";
Xiao, Pennington & Schoenholz (2020), "Disentangling Trainability and Generalization in Deep Neural Networks".
Layers ``z^{l+1} = (σ_w/√n) W φ(z^l) + σ_b b`` (Schoenholz et al. 2017). Expectations are Gaussian quadrature
(:mod:`ntk_bench.theory.gaussian`, relative error ≲ 1e-12), float64 numpy/scipy only.

Conventions for the degenerate cases (all documented per function):

* ``q* = 0``: the signal collapses (e.g. erf or ReLU with σ_b² = 0 below the critical σ_w²); χ_1 and χ_c are
  then the q → 0⁺ limits (ReLU: σ_w²/2, not σ_w² φ'(0)²) and c* = 1.
* ``q* = inf``: the variance diverges (ReLU/GELU with σ_w² > 2, or σ_w² = 2 and σ_b² > 0). χ_1 is then the
  q → ∞ limit (exact for ReLU: σ_w²/2), so the phase is still defined; c*, χ_c*, ξ_c*, ξ_* and p* are nan.
* Phases are decided by ``|χ_1 − 1| ≤ tol`` (critical), ``χ_1 < 1`` (ordered), ``χ_1 > 1`` (chaotic).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import brentq

from ntk_bench.errors import ConfigError, require
from ntk_bench.model.activations import Activation, get_activation
from ntk_bench.theory.gaussian import gaussian_expectation_1d, gaussian_expectation_2d

Phase = Literal["ordered", "critical", "chaotic"]
ActivationLike = str | Activation

# |χ_1 − 1| ≤ 1e-8 is "critical". χ_1 is computed to ~1e-13 (quadrature, see gaussian.py), so the band is
# 1e5× the numerical noise; and it only relabels points whose depth scale ξ_1 = −1/ln χ_1 exceeds 1e8
# layers, indistinguishable from infinite in any experiment. critical_sigma_w2() lands well inside it.
DEFAULT_PHASE_TOL = 1e-8
# The variance-map search: q beyond Q_MAX counts as divergent (q* = inf); a downward search that reaches
# Q_MIN with the map still contracting returns q* = 0. Q_TINY stands in for q → 0⁺ when evaluating χ at
# q* = 0, Q_MAX for q → ∞ at q* = inf (exact for positively homogeneous φ such as ReLU).
Q_MAX = 1e16
Q_MIN = 1e-60
Q_TINY = 1e-200
SEARCH_FACTOR = 4.0
# |M(q_init) − q_init| ≤ FIXED_RTOL·q_init: q_init is already fixed (e.g. ReLU at σ_w² = 2, σ_b² = 0, where
# every q is). 1e-12 is ~10× the quadrature error of the map.
FIXED_RTOL = 1e-12
# Correlations scanned (ascending) to bracket the chaotic-phase c*; 1 − 2^-30 keeps |c_map(c) − c| above the
# quadrature noise for χ_1 − 1 ≳ 1e-4.
C_GRID = (-1.0, -0.5, 0.0, *(1.0 - 2.0**-k for k in range(1, 31)))
CRITICAL_SEARCH_RANGE = (1e-8, 1e8)
_BRENT = {"xtol": 1e-300, "rtol": 4.0 * np.finfo(float).eps, "maxiter": 500}


# --------------------------------------------------------------------------------------------- inputs


def resolve_activation(activation: ActivationLike) -> Activation:
    """An :class:`Activation` from itself or its registry name; anything else is a one-line ConfigError."""
    if isinstance(activation, Activation):
        return activation
    require(isinstance(activation, str), f"activation={activation!r} must be a name or an Activation")
    return get_activation(activation)


def _finite_float(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={value!r} must be a number") from None
    require(math.isfinite(number), f"{name}={value!r} must be finite")
    return number


def check_sigmas(sigma_w2: float, sigma_b2: float) -> tuple[float, float]:
    """Validate (σ_w², σ_b²): σ_w² > 0 and σ_b² ≥ 0, finite; returns them as floats."""
    w2 = _finite_float("model.sigma_w2", sigma_w2)
    b2 = _finite_float("model.sigma_b2", sigma_b2)
    require(w2 > 0, f"model.sigma_w2={sigma_w2!r} must be > 0")
    require(b2 >= 0, f"model.sigma_b2={sigma_b2!r} must be >= 0")
    return w2, b2


def _check_tol(tol: float) -> float:
    tol = _finite_float("tol", tol)
    require(0 < tol < 1, f"tol={tol!r} must be in (0, 1)")
    return tol


# ------------------------------------------------------------------------------- maps (resolved inputs)


def _q_map(act: Activation, w2: float, b2: float, q: float) -> float:
    return w2 * gaussian_expectation_1d(lambda u: np.square(act.fn(u)), q) + b2


def _c_map(act: Activation, w2: float, b2: float, q: float, c: float) -> float:
    return (w2 * gaussian_expectation_2d(act.fn, act.fn, q, c) + b2) / q


def _chi(act: Activation, w2: float, q: float, c: float) -> float:
    """σ_w² E[φ'(u1) φ'(u2)] at variance q, correlation c; q = 0 / inf mean the limits q → 0⁺ / ∞."""
    q = min(max(q, Q_TINY), Q_MAX)
    if c == 1.0:
        return w2 * gaussian_expectation_1d(lambda u: np.square(act.derivative(u)), q)
    return w2 * gaussian_expectation_2d(act.derivative, act.derivative, q, c)


def _bracketed_root(f: Callable[[float], float], lo: float, hi: float) -> float:
    return float(brentq(f, lo, hi, **_BRENT))


def _q_star(act: Activation, w2: float, b2: float, q_init: float) -> float:
    """Fixed point of the variance map reached from ``q_init`` (see :func:`q_star`).

    A gap M(q) − q within ±FIXED_RTOL·q is numerically zero (quadrature error): the search only stops at a
    gap of the opposite sign beyond that band, so a map that runs parallel to the diagonal (ReLU at σ_w² = 2,
    σ_b² > 0: gap = σ_b² while the noise grows like 1e-16·q) is reported as divergent, not as a spurious root.
    """

    def gap(q: float) -> float:
        return _q_map(act, w2, b2, q) - q

    g0 = gap(q_init)
    if abs(g0) <= FIXED_RTOL * q_init:
        return q_init
    direction = 1.0 if g0 > 0 else -1.0  # the iterates move up (+) or down (−)
    last_same_sign, q = q_init, q_init
    while True:
        q = q * SEARCH_FACTOR if direction > 0 else q / SEARCH_FACTOR
        if q > Q_MAX:
            return math.inf
        if q < Q_MIN:
            return 0.0
        g = gap(q)
        if direction * g < -FIXED_RTOL * q:  # clearly crossed the diagonal
            return _bracketed_root(gap, *sorted((last_same_sign, q)))
        if direction * g > 0:
            last_same_sign = q


def phase_from_chi_1(chi_1_value: float, tol: float = DEFAULT_PHASE_TOL) -> Phase:
    """``"critical"`` if |χ_1 − 1| ≤ tol, else ``"ordered"`` (χ_1 < 1) or ``"chaotic"`` (χ_1 > 1)."""
    if abs(chi_1_value - 1.0) <= tol:
        return "critical"
    return "ordered" if chi_1_value < 1.0 else "chaotic"


def _c_star(act: Activation, w2: float, b2: float, q: float, phase_label: Phase) -> float:
    """Stable fixed point of the correlation map (see :func:`c_star`)."""
    if math.isinf(q):
        return math.nan
    if phase_label != "chaotic" or q == 0.0:
        return 1.0

    def gap(c: float) -> float:
        return _c_map(act, w2, b2, q, c) - c

    last_nonnegative = None
    for c in C_GRID:  # ascending: the first + → − sign change is the attracting fixed point below 1
        if gap(c) >= 0:
            last_nonnegative = c
        elif last_nonnegative is not None:
            return _bracketed_root(gap, last_nonnegative, c)
    return 1.0  # no sign change resolvable above quadrature noise: c* is within ~1e-9 of 1


def depth_scale(chi: float) -> float:
    """``ξ = −1/ln χ`` for 0 ≤ χ < 1 (0 at χ = 0), inf for χ ≥ 1, nan for nan (Schoenholz et al. 2017)."""
    if math.isnan(chi):
        return math.nan
    if chi >= 1.0:
        return math.inf
    return 0.0 if chi <= 0.0 else -1.0 / math.log(chi)


def _xi_1(chi_1_value: float, phase_label: Phase) -> float:
    if phase_label != "ordered":
        return math.inf if phase_label == "critical" else math.nan
    return depth_scale(chi_1_value)


def _xi_c_star(chi_c: float, phase_label: Phase) -> float:
    if math.isnan(chi_c):
        return math.nan
    return math.inf if phase_label == "critical" else depth_scale(chi_c)


def _xi_star(chi_1_value: float, chi_c: float, phase_label: Phase) -> float:
    if phase_label != "chaotic":
        return math.inf if phase_label == "critical" else math.nan
    if math.isnan(chi_c):
        return math.nan
    if chi_c <= 0.0:
        return 0.0
    return 1.0 / (math.log(chi_1_value) - math.log(chi_c))


def _p_star(q: float, chi_1_value: float, phase_label: Phase) -> float:
    if phase_label != "ordered":
        return math.inf if phase_label == "critical" else math.nan
    return math.nan if math.isinf(q) else q / (1.0 - chi_1_value)


# ----------------------------------------------------------------------------------------- public API


def q_map(activation: ActivationLike, sigma_w2: float, sigma_b2: float, q: float) -> float:
    """Variance map ``q ↦ σ_w² E[φ(√q z)²] + σ_b²``, z ~ N(0, 1) (Schoenholz et al. 2017, eq. 3)."""
    act, (w2, b2) = resolve_activation(activation), check_sigmas(sigma_w2, sigma_b2)
    return _q_map(act, w2, b2, _finite_float("q", q))


def q_star(activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, q_init: float = 1.0) -> float:
    """Fixed point q* of ``q = σ_w² E[φ(√q z)²] + σ_b²`` (Schoenholz et al. 2017, eq. 3).

    Defined as the limit of the iterates from ``q_init`` (the first-layer variance; default 1): a bracket is
    grown geometrically from q_init in the direction of ``M(q_init) − q_init`` and refined by brentq, which is
    that limit when the map is nondecreasing in q (true for every registered activation). Returns ``math.inf``
    when q keeps growing past 1e16 (ReLU with σ_w² > 2, or σ_w² = 2 and σ_b² > 0), ``0.0`` when it contracts
    past 1e-60 (φ(0) = 0, σ_b² = 0, σ_w² ≤ critical), and q_init itself when it is already fixed (ReLU at
    σ_w² = 2, σ_b² = 0, where every q is). Gaps |M(q) − q| ≤ 1e-12·q count as numerically zero, so a fixed
    point is resolved when the map crosses the diagonal by more than that (ReLU: σ_w² < 2 − 2e-12).
    """
    act, (w2, b2) = resolve_activation(activation), check_sigmas(sigma_w2, sigma_b2)
    q_init = _finite_float("q_init", q_init)
    require(q_init > 0, f"q_init={q_init!r} must be > 0")
    return _q_star(act, w2, b2, q_init)


def c_map(activation: ActivationLike, sigma_w2: float, sigma_b2: float, c: float) -> float:
    """Correlation map at q*: ``c ↦ (σ_w² E[φ(u1) φ(u2)] + σ_b²)/q*``, u1 = √q* z1,
    u2 = √q* (c z1 + √(1−c²) z2) (Schoenholz et al. 2017, eq. 5). nan if q* is 0 or inf.
    """
    act, (w2, b2) = resolve_activation(activation), check_sigmas(sigma_w2, sigma_b2)
    c = _finite_float("c", c)
    require(-1.0 <= c <= 1.0, f"c={c!r} must be in [-1, 1]")
    q = _q_star(act, w2, b2, 1.0)
    return math.nan if q == 0.0 or math.isinf(q) else _c_map(act, w2, b2, q, c)


def chi_1(activation: ActivationLike, sigma_w2: float, sigma_b2: float) -> float:
    """``χ_1 = σ_w² E[φ'(√q* z)²]`` (Schoenholz et al. 2017, eq. 7): the slope of the correlation map at c = 1
    and the per-layer growth of squared gradients. At q* = 0 or inf, the q → 0⁺ / q → ∞ limit.
    """
    act, (w2, b2) = resolve_activation(activation), check_sigmas(sigma_w2, sigma_b2)
    return _chi(act, w2, _q_star(act, w2, b2, 1.0), 1.0)


def phase(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> Phase:
    """``"ordered"`` (χ_1 < 1 − tol, c* = 1 stable), ``"chaotic"`` (χ_1 > 1 + tol, a stable c* < 1) or
    ``"critical"`` (|χ_1 − 1| ≤ tol) (Schoenholz et al. 2017, §3). Default tol 1e-8: see DEFAULT_PHASE_TOL.
    """
    return phase_from_chi_1(chi_1(activation, sigma_w2, sigma_b2), _check_tol(tol))


def c_star(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> float:
    """Stable fixed point c* of the correlation map (Schoenholz et al. 2017, eq. 5).

    1 in the ordered and critical phases (and when q* = 0); in the chaotic phase the fixed point below 1 that
    attracts correlations starting near 1: the first + → − sign change of ``c_map(c) − c`` on an ascending
    grid of [−1, 1) (it is ≥ 0 at c = −1 by Cauchy-Schwarz), refined by brentq. nan if q* = inf.
    """
    return mean_field_summary(activation, sigma_w2, sigma_b2, tol=tol).c_star


def chi_c_star(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> float:
    """``χ_c* = σ_w² E[φ'(u1) φ'(u2)]`` at q*, c* (Schoenholz et al. 2017, eq. 9); = χ_1 when c* = 1."""
    return mean_field_summary(activation, sigma_w2, sigma_b2, tol=tol).chi_c_star


def xi_1(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> float:
    """``ξ_1 = −1/ln χ_1``: depth over which c = 1 attracts (Xiao et al. 2020, ordered phase).

    inf at criticality; nan in the chaotic phase (c = 1 repels there: use ξ_c* and ξ_*).
    """
    return mean_field_summary(activation, sigma_w2, sigma_b2, tol=tol).xi_1


def xi_c_star(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> float:
    """``ξ_c* = −1/ln χ_c*``: depth over which correlations reach c* (Schoenholz et al. 2017, eq. 9).

    Equals ξ_1 in the ordered phase; inf at criticality; nan if q* = inf.
    """
    return mean_field_summary(activation, sigma_w2, sigma_b2, tol=tol).xi_c_star


def xi_star(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> float:
    """``ξ_* = 1/(ln χ_1 − ln χ_c*)``: depth over which the chaotic-phase NTK's mean predictor decays
    (Xiao et al. 2020). Only meaningful in the chaotic phase: inf at criticality, nan in the ordered phase.
    """
    return mean_field_summary(activation, sigma_w2, sigma_b2, tol=tol).xi_star


def p_star(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> float:
    """``p* = q*/(1 − χ_1)``: the ordered-phase limit Θ^l → p* 11ᵀ of the NTK (Xiao et al. 2020, §4).

    inf at criticality (Θ grows without bound); nan in the chaotic phase (no constant limit).
    """
    return mean_field_summary(activation, sigma_w2, sigma_b2, tol=tol).p_star


def critical_sigma_w2(activation: ActivationLike, sigma_b2: float) -> float:
    """The σ_w² on the critical line: ``χ_1(σ_w², σ_b²) = 1`` (Schoenholz et al. 2017, Fig. 1).

    Brackets the root by doubling/halving σ_w² from 1 within [1e-8, 1e8], then brentq. ReLU: 2 for every σ_b²
    (χ_1 = σ_w²/2). erf at σ_b² = 0: π/4; there χ_1 − 1 ≈ ε²/3 above the root (σ_w² = π/4 (1 + ε)), so the
    root is resolved only to ~1e-7 relative; with σ_b² > 0 the crossing is linear and the root is exact to
    ~1e-13.
    """
    act = resolve_activation(activation)
    _, b2 = check_sigmas(1.0, sigma_b2)

    def excess(w2: float) -> float:
        return _chi(act, w2, _q_star(act, w2, b2, 1.0), 1.0) - 1.0

    lo_limit, hi_limit = CRITICAL_SEARCH_RANGE
    lo = hi = 1.0
    if excess(1.0) > 0:
        while excess(lo) > 0:
            lo, hi = lo / 2.0, lo
            require(lo >= lo_limit, f"no critical sigma_w2 >= {lo_limit:g} for activation {act.name!r}")
    else:
        while excess(hi) < 0:
            lo, hi = hi, hi * 2.0
            require(hi <= hi_limit, f"no critical sigma_w2 <= {hi_limit:g} for activation {act.name!r}")
    return _bracketed_root(excess, lo, hi) if lo < hi else 1.0


@dataclass(frozen=True)
class MeanFieldSummary:
    """All mean-field quantities at one (activation, σ_w², σ_b²); inf/nan conventions: see the module doc."""

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float
    c_star: float
    chi_1: float
    chi_c_star: float
    xi_1: float
    xi_c_star: float
    xi_star: float
    p_star: float
    phase: Phase

    def to_dict(self) -> dict[str, str | float]:
        """Plain dict of Python floats/str (inf and nan stay float inf/nan; ``json.dumps`` writes them)."""
        return {k: (v if isinstance(v, str) else float(v)) for k, v in asdict(self).items()}


def mean_field_summary(
    activation: ActivationLike, sigma_w2: float, sigma_b2: float, *, tol: float = DEFAULT_PHASE_TOL
) -> MeanFieldSummary:
    """q*, c*, χ_1, χ_c*, ξ_1, ξ_c*, ξ_*, p* and the phase (Schoenholz et al. 2017; Xiao et al. 2020).

    q* is iterated from q_init = 1; each quantity follows the conventions of its own function in this module.
    """
    act, (w2, b2) = resolve_activation(activation), check_sigmas(sigma_w2, sigma_b2)
    tol = _check_tol(tol)
    q = _q_star(act, w2, b2, 1.0)
    chi1 = _chi(act, w2, q, 1.0)
    label = phase_from_chi_1(chi1, tol)
    c = _c_star(act, w2, b2, q, label)
    chic = math.nan if math.isnan(c) else chi1 if c == 1.0 else _chi(act, w2, q, c)
    diverged = math.isinf(q)  # no fixed point: the fixed-point quantities are nan (module doc)
    return MeanFieldSummary(
        activation=act.name,
        sigma_w2=w2,
        sigma_b2=b2,
        q_star=q,
        c_star=c,
        chi_1=chi1,
        chi_c_star=chic,
        xi_1=_xi_1(chi1, label),
        xi_c_star=_xi_c_star(chic, label),
        xi_star=math.nan if diverged else _xi_star(chi1, chic, label),
        p_star=math.nan if diverged else _p_star(q, chi1, label),
        phase=label,
    )


COLUMN_FIELDS = ("q_star", "c_star", "chi_1", "chi_c_star", "xi_1", "xi_c_star", "xi_star")


def mean_field_columns(
    activation: ActivationLike, sigma_w2: Sequence[float], sigma_b2: float, *, workers: int = 1
) -> dict[str, Any]:
    """:func:`mean_field_summary` over a grid of σ_w² at one σ_b² (the columns of a heat map): a float64
    array per quantity of :data:`COLUMN_FIELDS`, ``phase`` (one label per column) and
    ``critical_sigma_w2`` (the column where χ_1 = 1), computed on ``workers`` threads."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        summaries = list(pool.map(lambda w2: mean_field_summary(activation, w2, sigma_b2), sigma_w2))
    columns: dict[str, Any] = {
        key: np.array([getattr(m, key) for m in summaries], dtype=np.float64) for key in COLUMN_FIELDS
    }
    columns["phase"] = [m.phase for m in summaries]
    columns["critical_sigma_w2"] = critical_sigma_w2(activation, sigma_b2)
    return columns
