"""Mean-field theory (ntk_bench.theory) against closed forms, independent root-finding and neural-tangents.

Tolerances come from the measured quadrature error (ntk_bench/theory/gaussian.py docstring): worst relative
error 2e-13 in 1-D and 1.4e-12 in 2-D over q ∈ [1e-8, 1e3]; the tests allow ~10× that.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from ntk_bench.errors import ConfigError
from ntk_bench.model.activations import get_activation
from ntk_bench.theory import (
    c_map,
    c_star,
    chi_1,
    chi_c_star,
    critical_sigma_w2,
    mean_field_summary,
    p_star,
    phase,
    q_map,
    q_star,
    xi_1,
    xi_star,
)
from ntk_bench.theory import closed_forms as cf

TOL_1D = 2e-12  # measured worst 2e-13


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# ---------------------------------------------------------------------------------- fixed points, χ_1


def erf_q_star_closed(sigma_w2: float, sigma_b2: float) -> float:
    """Independent: brentq on the closed-form erf variance map (q* ∈ [σ_b², σ_w² + σ_b²] as |T| ≤ 1).

    At σ_b² = 0 the bracket starts at 1e-6 > 0 to skip the root q = 0 (unstable in the chaotic phase).
    """
    lo = sigma_b2 if sigma_b2 > 0 else 1e-6
    return brentq(lambda q: cf.erf_q_map(q, sigma_w2, sigma_b2) - q, lo, sigma_w2 + sigma_b2, xtol=1e-15)


SIGMAS = [(0.5, 0.05), (1.0, 0.18), (1.5, 0.05), (2.5, 0.18), (3.0, 1.0)]


@pytest.mark.parametrize(("sigma_w2", "sigma_b2"), SIGMAS)
def test_erf_q_star_and_chi_1_match_closed_forms(sigma_w2: float, sigma_b2: float) -> None:
    q = q_star("erf", sigma_w2, sigma_b2)
    assert rel(q, erf_q_star_closed(sigma_w2, sigma_b2)) < 1e-11
    assert rel(chi_1("erf", sigma_w2, sigma_b2), cf.erf_chi_1(q, sigma_w2)) < TOL_1D


@pytest.mark.parametrize(
    ("sigma_w2", "sigma_b2"), [(0.5, 0.05), (1.0, 0.18), (1.9, 0.05), (1.0, 0.0), (1.999, 1.0)]
)
def test_relu_q_star_and_chi_1_match_closed_forms(sigma_w2: float, sigma_b2: float) -> None:
    q, expected = q_star("relu", sigma_w2, sigma_b2), cf.relu_q_star(sigma_w2, sigma_b2)
    assert (q == expected == 0.0) or rel(q, expected) < 1e-11
    assert rel(chi_1("relu", sigma_w2, sigma_b2), cf.relu_chi_1(sigma_w2)) < 1e-14


@pytest.mark.parametrize("activation", ["erf", "relu", "tanh", "gelu", "sin"])
@pytest.mark.parametrize(("sigma_w2", "sigma_b2"), [(1.0, 0.18), (1.5, 0.05), (2.5, 0.3)])
def test_q_star_is_a_fixed_point(activation: str, sigma_w2: float, sigma_b2: float) -> None:
    q = q_star(activation, sigma_w2, sigma_b2)
    if math.isinf(q):  # only ReLU/GELU at σ_w² > 2: the map stays above the diagonal
        assert activation in ("relu", "gelu") and sigma_w2 > 2
        assert q_map(activation, sigma_w2, sigma_b2, 1e12) > 1e12
        return
    assert abs(q_map(activation, sigma_w2, sigma_b2, q) - q) <= 1e-12 * q
    assert abs(c_map(activation, sigma_w2, sigma_b2, 1.0) - 1.0) <= 1e-12


def test_degenerate_variance_limits() -> None:
    assert q_star("relu", 2.5, 0.1) == math.inf  # q grows geometrically
    assert q_star("relu", 2.0, 0.1) == math.inf  # q grows by σ_b² per layer
    assert q_star("relu", 2.0, 0.0, q_init=3.0) == 3.0  # every q is fixed
    assert q_star("erf", 0.7, 0.0) == 0.0  # below π/4 the signal collapses
    assert chi_1("relu", 1.5, 0.0) == pytest.approx(0.75, rel=1e-14)  # the q → 0⁺ limit, not σ_w² φ'(0)²
    assert chi_1("relu", 3.0, 0.2) == pytest.approx(1.5, rel=1e-14)  # the q → ∞ limit
    s = mean_field_summary("relu", 3.0, 0.2)
    assert s.phase == "chaotic" and all(math.isnan(v) for v in (s.c_star, s.chi_c_star, s.xi_star, s.p_star))


# ------------------------------------------------------------------------------------- critical line


def test_relu_critical_sigma_w2_is_two() -> None:
    assert abs(critical_sigma_w2("relu", 0.0) - 2.0) < 1e-12
    assert phase("relu", 2.0, 0.0) == "critical"


def erf_critical_closed(sigma_b2: float) -> float:
    """Independent: brentq on closed-form χ_1(q*(σ_w²), σ_w²) − 1, q* itself by brentq on the closed form."""
    return brentq(lambda w2: cf.erf_chi_1(erf_q_star_closed(w2, sigma_b2), w2) - 1.0, 0.5, 10.0, xtol=1e-15)


@pytest.mark.parametrize("sigma_b2", [0.05, 0.18, 1.0])
def test_erf_critical_line_matches_closed_form(sigma_b2: float) -> None:
    w2 = critical_sigma_w2("erf", sigma_b2)
    assert rel(w2, erf_critical_closed(sigma_b2)) < 1e-10
    assert phase("erf", w2, sigma_b2) == "critical"
    assert abs(chi_1("erf", w2, sigma_b2) - 1.0) < 1e-11


def test_erf_critical_point_at_zero_bias_is_pi_over_4() -> None:
    """q* = 0 below the root so χ_1 = σ_w²·4/π; above it χ_1 − 1 ≈ ε²/3 (σ_w² = π/4 (1+ε)): tangent, so the
    root is only resolved to ~√(1e-15) ≈ 3e-8 relative."""
    assert rel(critical_sigma_w2("erf", 0.0), cf.ERF_CRITICAL_SIGMA_W2_AT_ZERO_BIAS) < 1e-7
    eps = 1e-2
    expected = 1 + eps**2 / 3  # second order; third-order term is O(ε³)
    assert abs(chi_1("erf", math.pi / 4 * (1 + eps), 0.0) - expected) < eps**3


@pytest.mark.parametrize(
    ("activation", "sigma_b2"), [("erf", 0.18), ("erf", 0.0), ("relu", 0.0), ("tanh", 0.05)]
)
def test_phase_labels_on_both_sides_of_the_critical_line(activation: str, sigma_b2: float) -> None:
    w2 = critical_sigma_w2(activation, sigma_b2)
    assert phase(activation, w2 * (1 - 1e-3), sigma_b2) == "ordered"
    assert phase(activation, w2 * (1 + 1e-3), sigma_b2) == "chaotic"
    assert phase(activation, w2, sigma_b2) == "critical"


def test_xi_1_diverges_approaching_criticality() -> None:
    w2c = critical_sigma_w2("erf", 0.18)
    deltas = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
    xis = [xi_1("erf", w2c * (1 - d), 0.18) for d in deltas]
    assert all(b > 5 * a for a, b in itertools.pairwise(xis))
    for d, xi in zip(deltas[2:], xis[2:], strict=True):  # ξ_1 = −1/ln χ_1 ≈ 1/(1 − χ_1)
        assert xi * (1 - chi_1("erf", w2c * (1 - d), 0.18)) == pytest.approx(1.0, rel=1e-2)
    assert xi_1("erf", w2c, 0.18) == math.inf and xi_star("erf", w2c, 0.18) == math.inf
    assert p_star("erf", w2c, 0.18) == math.inf


# ------------------------------------------------------------------------------------------ correlation


def test_c_star_is_one_in_the_ordered_phase() -> None:
    s = mean_field_summary("erf", 1.0, 0.18)
    assert s.phase == "ordered" and s.c_star == 1.0 and s.chi_c_star == s.chi_1 and s.xi_c_star == s.xi_1
    assert math.isnan(s.xi_star)
    assert rel(s.p_star, s.q_star / (1 - s.chi_1)) < 1e-15


@pytest.mark.parametrize(("sigma_w2", "sigma_b2"), [(2.5, 0.18), (3.0, 0.05), (2.0, 0.0)])
def test_erf_chaotic_c_star_matches_closed_form(sigma_w2: float, sigma_b2: float) -> None:
    s = mean_field_summary("erf", sigma_w2, sigma_b2)
    assert s.phase == "chaotic" and s.c_star < 1.0
    q = erf_q_star_closed(sigma_w2, sigma_b2)
    c_closed = brentq(lambda c: cf.erf_c_map(c, q, sigma_w2, sigma_b2) - c, -0.5, 1 - 1e-6, xtol=1e-15)
    assert abs(s.c_star - c_closed) < 1e-10
    assert abs(c_map("erf", sigma_w2, sigma_b2, s.c_star) - s.c_star) < 1e-11
    assert rel(s.chi_c_star, cf.erf_chi_c(c_closed, q, sigma_w2)) < 1e-10
    assert s.chi_c_star < 1 < s.chi_1  # c* attracts, c = 1 repels
    assert s.xi_star == pytest.approx(1 / (math.log(s.chi_1) - math.log(s.chi_c_star)), rel=1e-14)
    assert math.isnan(s.xi_1) and math.isnan(s.p_star)


def test_chaotic_c_star_for_activations_without_closed_form() -> None:
    s = mean_field_summary("tanh", 2.5, 0.18)
    assert s.phase == "chaotic" and 0 < s.c_star < 1
    assert c_star("tanh", 2.5, 0.18) == s.c_star and chi_c_star("tanh", 2.5, 0.18) == s.chi_c_star
    assert abs(c_map("tanh", 2.5, 0.18, s.c_star) - s.c_star) < 1e-11
    assert mean_field_summary("tanh", 2.0, 0.0).c_star == pytest.approx(0.0, abs=1e-12)  # odd φ, σ_b² = 0


# -------------------------------------------------------------------------------- neural-tangents NNGP


def nngp_at_depth(sigma_w2: float, sigma_b2: float, depth: int, x: np.ndarray) -> np.ndarray:
    from neural_tangents import stax

    w, b = math.sqrt(sigma_w2), math.sqrt(sigma_b2)
    layers = [stax.Dense(1, W_std=w, b_std=b), stax.Erf()] * depth
    _, _, kernel_fn = stax.serial(*layers, stax.Dense(1, W_std=w, b_std=b))
    return np.asarray(kernel_fn(x, x, "nngp"))


def two_inputs(norms2: tuple[float, float], cos: float, d: int = 8) -> np.ndarray:
    """Two inputs with ||x_i||²/d = norms2[i] and cosine similarity ``cos``."""
    e1, e2 = np.eye(d)[0], np.eye(d)[1]
    x = np.stack([e1, cos * e1 + math.sqrt(1 - cos**2) * e2])
    return x * np.sqrt(np.asarray(norms2) * d)[:, None]


def test_neural_tangents_nngp_converges_to_q_star_and_c_star() -> None:
    """Input variances 0.25 and 4 (first-layer q = σ_w² s + σ_b² on both sides of q*) must both reach q*;
    correlations reach c* = 1 (ordered) at rate χ_1^L and c* < 1 (chaotic) at rate χ_c*^L. Depths are
    chosen so those rates are < 1e-6, below the tolerances used."""
    x = two_inputs((0.25, 4.0), cos=0.3)
    ordered = mean_field_summary("erf", 1.0, 0.18)
    k = nngp_at_depth(1.0, 0.18, 50, x)  # χ_1 = 0.725: 0.725^50 = 1e-7
    assert np.allclose(np.diag(k), ordered.q_star, rtol=1e-12, atol=0)  # measured 7e-16
    assert abs(k[0, 1] / math.sqrt(k[0, 0] * k[1, 1]) - 1.0) < 1e-6
    chaotic = mean_field_summary("erf", 3.0, 0.05)
    k = nngp_at_depth(3.0, 0.05, 120, x)  # χ_c* = 0.857: 0.857^120 = 1e-8
    assert np.allclose(np.diag(k), chaotic.q_star, rtol=1e-12, atol=0)
    assert abs(k[0, 1] / math.sqrt(k[0, 0] * k[1, 1]) - chaotic.c_star) < 1e-6


# ----------------------------------------------------------------------------------- summary & errors


def test_summary_to_dict_is_json_safe_and_complete() -> None:
    for args in [("erf", 1.0, 0.18), ("erf", 2.5, 0.18), ("relu", 2.5, 0.1), ("relu", 2.0, 0.0)]:
        d = mean_field_summary(*args).to_dict()
        assert set(d) == {
            "activation", "sigma_w2", "sigma_b2", "q_star", "c_star", "chi_1", "chi_c_star",
            "xi_1", "xi_c_star", "xi_star", "p_star", "phase",
        }  # fmt: skip
        assert all(type(v) in (str, float) for v in d.values())
        assert json.loads(json.dumps(d)).keys() == d.keys()
    assert mean_field_summary(get_activation("erf"), 1.0, 0.18) == mean_field_summary("erf", 1.0, 0.18)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: mean_field_summary("erf", -1.0, 0.1), "model.sigma_w2=-1.0 must be > 0"),
        (lambda: mean_field_summary("erf", 0.0, 0.1), "model.sigma_w2=0.0 must be > 0"),
        (lambda: q_star("erf", 1.0, -0.1), "model.sigma_b2=-0.1 must be >= 0"),
        (lambda: chi_1("erf", math.nan, 0.1), "model.sigma_w2=nan must be finite"),
        (lambda: phase("erf", "big", 0.1), "model.sigma_w2='big' must be a number"),
        (lambda: mean_field_summary("swish", 1.0, 0.1), "unknown activation 'swish'; allowed: erf, relu"),
        (lambda: mean_field_summary(3, 1.0, 0.1), "activation=3 must be a name or an Activation"),
        (lambda: phase("erf", 1.0, 0.1, tol=2.0), "tol=2.0 must be in (0, 1)"),
        (lambda: critical_sigma_w2("erf", -1.0), "model.sigma_b2=-1.0 must be >= 0"),
        (lambda: q_star("erf", 1.0, 0.1, q_init=0.0), "q_init=0.0 must be > 0"),
        (lambda: c_map("erf", 1.0, 0.1, 1.5), "c=1.5 must be in [-1, 1]"),
    ],
)
def test_bad_inputs_raise_one_line_config_errors(call, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    assert fragment in str(info.value) and "\n" not in str(info.value)
