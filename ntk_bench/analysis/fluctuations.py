"""Comparisons of heavy-tailed Monte-Carlo moments with their bootstrap intervals (Hanin & Nica 2020 cells).

Pure functions on per-cell estimates: the standard error read off a (possibly skewed) bootstrap percentile
interval, Bonferroni critical values, the z-test of a measured value against an expected one, the pairwise
test across widths at equal β (optionally against expected differences), and the standard error of an OLS
slope from the cells' own standard errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import norm

Z_95 = 1.959963984540054  # Φ^{-1}(0.975): a 95% percentile interval spans ±Z_95 standard errors


def facing_stderr(value: float, ci: tuple[float, float], other: float) -> float:
    """Standard error of ``value`` toward ``other`` from its 95% interval: the facing side / 1.96, floored
    at half the symmetric half-width (a percentile interval can sit almost entirely on one side)."""
    lo, hi = ci
    side = (hi - value) if other > value else (value - lo)
    return max(side, (hi - lo) / 4) / Z_95


def bonferroni_z(alpha: float, comparisons: int) -> float:
    """Two-sided normal critical value with a Bonferroni correction: Φ^{-1}(1 − α/(2·comparisons))."""
    return float(norm.ppf(1 - alpha / (2 * max(comparisons, 1))))


def collapse_test(
    widths: np.ndarray,
    betas: np.ndarray,
    log_r: np.ndarray,
    ci: Sequence[tuple[float, float]],
    alpha: float,
    expected: np.ndarray | None = None,
) -> dict[str, Any]:
    """Pairwise consistency of log R across widths at equal β.

    For every β and pair of widths, z = |(log R_a − log R_b) − (e_a − e_b)| / √(s_a² + s_b²), s = the
    facing side of each cell's 95% interval / 1.96, e = ``expected`` log R per cell (None: 0, i.e. an exact
    collapse on β). Returns per β the largest z, the overall maximum, the Bonferroni critical value
    z_crit = Φ^{-1}(1 − α/(2·comparisons)) and the pair that attains it.
    """
    offset = np.zeros(len(log_r)) if expected is None else np.asarray(expected, float)
    resid = np.asarray(log_r, float) - offset
    per_beta, worst, comparisons = [], (0.0, None), 0
    for beta in sorted(set(np.asarray(betas).tolist())):
        idx = np.flatnonzero(betas == beta)
        best = (0.0, None)
        for a_pos, a in enumerate(idx):
            for b in idx[a_pos + 1 :]:
                comparisons += 1
                # the side of a's interval facing b's value once both are referred to the expectation
                va, vb = log_r[a], log_r[b]
                se = np.hypot(
                    facing_stderr(va, ci[a], va - resid[a] + resid[b]),
                    facing_stderr(vb, ci[b], vb - resid[b] + resid[a]),
                )
                z = float(abs(resid[a] - resid[b]) / se) if se > 0 else float("inf")
                if z >= best[0]:
                    best = (z, (int(widths[a]), int(widths[b])))
        per_beta.append({"beta": float(beta), "max_z": best[0], "pair": best[1]})
        if best[0] >= worst[0]:
            worst = (best[0], {"beta": float(beta), "widths": best[1]})
    return {
        "per_beta": per_beta,
        "max_z": worst[0],
        "worst": worst[1],
        "z_critical": bonferroni_z(alpha, comparisons),
        "comparisons": comparisons,
        "alpha": alpha,
    }


def slope_stderr(x: Sequence[float], ci: Sequence[tuple[float, float]]) -> float:
    """Standard error of the OLS slope of y on x when each y_i has standard error s_i = (hi − lo)/(2·1.96)
    from its own 95% interval: √(Σ w_i² s_i²), w_i = (x_i − x̄)/Σ(x − x̄)² (independent cells)."""
    xa = np.asarray(x, float)
    xc = xa - xa.mean()
    w = xc / np.sum(xc * xc)
    s = np.array([(hi - lo) / (2 * Z_95) for lo, hi in ci])
    return float(np.sqrt(np.sum(w * w * s * s)))


def moment_ratio(samples: np.ndarray) -> float:
    """R = E[Θ̂²]/E[Θ̂]² estimated by sample means."""
    return float(np.mean(samples**2) / np.mean(samples) ** 2)


def bootstrap_log_ratio(samples: np.ndarray, draws: int, rng: np.random.Generator) -> tuple[float, float]:
    """95% bootstrap percentile interval of log R (``draws`` resamples drawn from ``rng``)."""
    idx = rng.integers(0, len(samples), size=(draws, len(samples)))
    s = samples[idx]
    logs = np.log(np.mean(s**2, axis=1) / np.mean(s, axis=1) ** 2)
    return float(np.percentile(logs, 2.5)), float(np.percentile(logs, 97.5))
