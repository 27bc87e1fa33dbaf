"""Log-log slope fits and their confidence intervals."""

import numpy as np
import pytest

from ntk_bench.analysis.slopes import linear_fit, loglog_fit, mean_ci, seed_slope_fit


def test_exact_power_law_recovers_slope_and_intercept():
    widths = np.array([32, 64, 128, 256, 512])
    fit = loglog_fit(widths, 3.0 * widths**-0.5)
    assert fit.slope == pytest.approx(-0.5, abs=1e-12)
    assert np.exp(fit.intercept) == pytest.approx(3.0)
    assert fit.ci_high - fit.ci_low < 1e-10 and fit.n_points == 5


def test_seed_interval_covers_the_true_slope_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    widths = np.array([64, 128, 256, 512, 1024])
    covered = 0
    trials = 400
    for _ in range(trials):
        values = widths**-0.5 * np.exp(0.2 * rng.normal(size=(4, len(widths))))  # 4 seeds, log-normal noise
        fit = seed_slope_fit(widths, values)
        covered += fit.ci_low <= -0.5 <= fit.ci_high
    assert fit.method == "seeds" and fit.n_seeds == 4 and len(fit.per_seed) == 4
    assert 0.91 <= covered / trials <= 0.99  # nominal 95%; binomial sd ≈ 1.1% over 400 trials


def test_non_finite_and_non_positive_points_are_dropped():
    fit = loglog_fit([1, 2, 4, 8], [1.0, np.nan, 0.25, -1.0])
    assert fit.n_points == 2 and fit.slope == pytest.approx(-1.0) and fit.ci_high == np.inf
    assert np.isnan(loglog_fit([1, 2], [np.nan, 1.0]).slope)
    one_seed = seed_slope_fit([1, 2, 4], np.array([[1.0, 2.0, 4.0]]))
    assert one_seed.method == "ols" and one_seed.slope == pytest.approx(1.0)
    assert np.isnan(seed_slope_fit([1, 2], np.array([[1.0, np.nan], [np.nan, 1.0]])).slope)


def test_linear_fit_and_mean_ci():
    fit = linear_fit([0.0, 0.25, 0.5, 1.0], [0.1, 1.35, 2.6, 5.1])
    assert fit.slope == pytest.approx(5.0) and fit.intercept == pytest.approx(0.1)
    mean, half = mean_ci(np.array([[1.0, 2.0], [3.0, np.nan]]), axis=0)
    assert mean.tolist() == [2.0, 2.0]
    assert half[0] == pytest.approx(12.706 * np.sqrt(2) / np.sqrt(2), rel=1e-3) and np.isnan(half[1])
