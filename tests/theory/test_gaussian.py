"""Mean-field theory (ntk_bench.theory) against closed forms, independent root-finding and neural-tangents.

Tolerances come from the measured quadrature error (ntk_bench/theory/gaussian.py docstring): worst relative
error 2e-13 in 1-D and 1.4e-12 in 2-D over q ∈ [1e-8, 1e3]; the tests allow ~10× that.
"""

from __future__ import annotations

import numpy as np
import pytest

from ntk_bench.model.activations import get_activation
from ntk_bench.theory import closed_forms as cf
from ntk_bench.theory import (
    gaussian_expectation_1d,
    gaussian_expectation_2d,
    hermite_expectation_1d,
    hermite_expectation_2d,
)

TOL_1D = 2e-12  # measured worst 2e-13
TOL_2D = 1e-11  # measured worst 1.4e-12
ERF, RELU = get_activation("erf"), get_activation("relu")
QS = [1e-8, 1e-3, 0.1, 1.0, 3.0, 10.0, 100.0, 1e3]
CS = [-1.0, -0.9, 0.0, 0.5, 0.9, 0.99, 1.0 - 1e-6, 1.0]


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# ------------------------------------------------------------------------------------------ quadrature


@pytest.mark.parametrize("q", QS)
def test_1d_quadrature_matches_closed_forms(q: float) -> None:
    sq = lambda f: (lambda u: np.square(f(u)))  # noqa: E731
    assert rel(gaussian_expectation_1d(sq(ERF.fn), q), cf.erf_t(q, q, q)) < TOL_1D
    assert rel(gaussian_expectation_1d(sq(ERF.derivative), q), cf.erf_t_dot(q, q, q)) < TOL_1D
    assert rel(gaussian_expectation_1d(sq(RELU.fn), q), cf.relu_t(q, q, q)) < TOL_1D
    assert rel(gaussian_expectation_1d(sq(RELU.derivative), q), cf.relu_t_dot(q, q, q)) < TOL_1D


@pytest.mark.parametrize("q", QS)
def test_2d_quadrature_matches_closed_forms(q: float) -> None:
    """Error relative to the c = 1 value (the Cauchy-Schwarz bound on |T(c)|, and what the correlation map
    divides by): the closed forms themselves carry round-off ~1e-16·T(1) where T(c) → 0 (c = −1)."""
    for f, f_dot, t, t_dot in [
        (ERF.fn, ERF.derivative, cf.erf_t, cf.erf_t_dot),
        (RELU.fn, RELU.derivative, cf.relu_t, cf.relu_t_dot),
    ]:
        for c in CS:
            k = q * c
            assert abs(gaussian_expectation_2d(f, f, q, c) - t(q, q, k)) < TOL_2D * t(q, q, q), c
            assert abs(gaussian_expectation_2d(f_dot, f_dot, q, c) - t_dot(q, q, k)) < TOL_2D * t_dot(
                q, q, q
            ), c


def test_plain_hermite_fails_on_the_relu_kink_but_agrees_for_smooth_tanh() -> None:
    """Why the default rule is split at kinks: n×n Gauss-Hermite misses ReLU's oblique kink by ~1e-3."""
    assert rel(hermite_expectation_2d(RELU.fn, RELU.fn, 1.0, 0.5), cf.relu_t(1.0, 1.0, 0.5)) > 1e-4
    tanh = get_activation("tanh")  # no closed form: two independent rules must agree
    for q in (0.1, 1.0):  # Hermite itself degrades beyond q ≈ 2 (7e-8 for tanh' at q = 3, n = 200)
        for f in (tanh.fn, tanh.derivative):
            assert (
                rel(
                    gaussian_expectation_1d(lambda u, f=f: f(u) ** 2, q),
                    hermite_expectation_1d(lambda u, f=f: f(u) ** 2, q),
                )
                < TOL_1D
            )
            assert rel(gaussian_expectation_2d(f, f, q, 0.5), hermite_expectation_2d(f, f, q, 0.5)) < TOL_2D
