"""Xiao et al. 2020 heat maps: σ-traced kernel pass and networks, η conventions, finite training."""

import math

import numpy as np
import pytest

from ntk_bench.analysis.agreement import agreement_by_width
from ntk_bench.analysis.depth_scales import (
    chance_noise_margin,
    crossing_depth,
    fit_mean_predictor_decay,
    fit_proportional,
    trainable_depth_time_fit,
)


def test_depth_scale_helpers():
    depths = np.array([0, 1, 2, 4, 8])
    assert crossing_depth(depths, [1.0, 0.9, 0.8, 0.4, 0.1], 0.5) == pytest.approx(2 + 2 * 0.3 / 0.4)
    assert crossing_depth(depths, [0.2, 0.9, 0.8, 0.4, 0.1], 0.5) == pytest.approx(2 + 2 * 0.3 / 0.4)
    assert math.isnan(crossing_depth(depths, [0.2, 0.3, 0.1, 0.1, 0.1], 0.5))  # never trainable: undefined
    assert math.isnan(crossing_depth(depths, [1.0, 0.9, 0.8, 0.7, 0.6], 0.5))
    fit = fit_proportional([1, 2, 3, np.nan], [2.0, 4.0, 6.0, 5.0])
    assert fit.constant == pytest.approx(2.0) and fit.r_squared == pytest.approx(1.0) and fit.n_points == 3
    ell = np.arange(1, 30)
    decay = fit_mean_predictor_decay(ell, 3.0 * ell * np.exp(-0.3 * ell), -0.3)
    assert decay.fitted_rate == pytest.approx(-0.3) and decay.ratio == pytest.approx(1.0)
    scores = agreement_by_width([8, 32], np.array([[0.2, -0.1], [0.01, 0.0]]), np.array([[0.5], [0.2]]), 0.05)
    assert scores["agreement"] == [0.0, 1.0] and scores["output_error_decreases_with_width"]


def test_chance_noise_margin_is_two_binomial_standard_errors():
    assert chance_noise_margin(0.1, 150) == pytest.approx(2 * math.sqrt(0.09 / 150))


def test_time_fit_recovers_one_xi_per_e_fold_of_t_and_rejects_a_doubled_rate():
    """Boundaries built from the law l/ξ − ln l = ln t + c give slope 1; a law twice as fast gives 2."""
    from scipy.optimize import brentq

    times = np.array([0.0, 8.0, 64.0, 512.0, 4096.0])
    xi = np.array([1.5, 3.0])

    def depth_at(x: float, t: float, rate: float) -> float:
        return brentq(lambda depth: depth / x - np.log(depth) - (rate * np.log(t) + 2.0), x, 1e4)

    def boundary(rate):
        return np.array([[depth_at(x, t, rate) if t > 0 else np.nan for t in times] for x in xi])

    assert trainable_depth_time_fit(times, boundary(1.0), xi).slope == pytest.approx(1.0, abs=1e-9)
    assert trainable_depth_time_fit(times, boundary(2.0), xi).slope == pytest.approx(2.0, abs=1e-9)
