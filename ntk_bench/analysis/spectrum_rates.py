"""Estimators of the spectra's depth rates, on per-depth arrays (the spectrum claims apply them to stored
runs and compare with mean-field theory): trace-increment ratio χ̂_1, κ_bulk growth (ordered phase), mean
predictor decay (chaotic phase), λ_max / λ_bulk slopes (critical line).

Each returns ``(value, how it was measured)`` or, where the run cannot resolve it, the reason as a string.
"""

from __future__ import annotations

import math

import numpy as np

# λ_bulk/λ_max below this is too close to eigh's round-off (m·ε·λ_max ≈ 1e-14·λ_max at m = 64) to fit.
BULK_RESOLVED = 1e-9
# Trace increments smaller than this fraction of the trace are dominated by round-off.
INCREMENT_RESOLVED = 1e-8


def fit_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of y against x."""
    return float(np.polyfit(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), 1)[0])


def first_block(mask: np.ndarray) -> np.ndarray:
    """Indices of the first contiguous run of True in ``mask`` (empty if none)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return idx
    breaks = np.flatnonzero(np.diff(idx) > 1)
    return idx[: breaks[0] + 1] if breaks.size else idx


def trace_increment_ratio(depths: np.ndarray, trace: np.ndarray, l_min: int) -> tuple[float, int] | str:
    """Δ_{l+1}/Δ_l of ``Δ_l = tr Θ^{l+1} − tr Θ^l`` at the first depth l ≥ ``l_min`` with three consecutive
    depths whose increments are resolvable (|Δ| ≥ INCREMENT_RESOLVED·tr); (ratio, l) or why not."""
    d, L = depths, int(depths[-1])
    consecutive = False
    for i in range(len(d) - 2):
        if d[i] < l_min or d[i + 1] != d[i] + 1 or d[i + 2] != d[i] + 2:
            continue
        consecutive = True
        d1, d2 = trace[i + 1] - trace[i], trace[i + 2] - trace[i + 1]
        scale = INCREMENT_RESOLVED * abs(trace[i + 2])
        if abs(d1) >= scale and abs(d2) >= scale:
            return float(d2 / d1), int(d[i])
    if l_min + 2 > L:
        return f"too shallow: needs consecutive depths from l_min = {l_min} (q^l converged), deepest is {L}"
    if not consecutive:
        return f"needs three consecutive depths ≥ l_min = {l_min} (experiment.depths skips them)"
    return f"no resolvable trace increments (|Δ| ≥ 1e-8·tr) at depths ≥ {l_min}"


def kappa_growth_rate(
    depths: np.ndarray, lam_max: np.ndarray, lam_bulk: np.ndarray, kappa: np.ndarray, xi_1: float, L: int
) -> tuple[float, str] | str:
    """Fitted d/dl ln(l·κ_bulk) over the asymptotic, resolvable window [max(3ξ_1, l_hi/2), l_hi] (ordered)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        resolvable = (lam_bulk / lam_max >= BULK_RESOLVED) & np.isfinite(kappa) & (kappa > 0)
    block = first_block(resolvable)
    if block.size == 0:
        return "no depth with a resolvable bulk"
    l_hi = depths[block[-1]]
    l_lo = max(3.0 * xi_1, l_hi / 2.0)
    window = block[depths[block] >= l_lo]
    if window.size < 5 or depths[window[-1]] - depths[window[0]] < 2.0 * xi_1:
        need = math.ceil(5.0 * xi_1)
        return (
            f"needs the bulk resolvable over [3ξ_1, 5ξ_1] = [{3 * xi_1:.0f}, {need}] (ξ_1 = {xi_1:.3g});"
            f" resolvable up to depth {l_hi:.0f} of {L}"
        )
    ls = depths[window]
    slope = fit_slope(ls, np.log(ls * kappa[window]))
    return slope, f"fit of ln(l·κ_bulk) over depths {ls[0]:.0f}-{ls[-1]:.0f} ({window.size} depths)"


def mean_predictor_decay_rate(
    depths: np.ndarray, rms: np.ndarray, chi_1: float, xi_star: float, L: int
) -> tuple[float, str] | str:
    """Fitted d/dl ln(rms P(Θ^l)Y / l) over depths ≥ max(L/2, 2ξ_*) where it is resolvable (chaotic)."""
    # Chaotic diagonals carry round-off amplified like ε·χ_1^l; stop where it reaches 1e-8.
    l_num = math.log(1e8) / math.log(chi_1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(rms) & (rms >= 1e-10 * np.nanmax(rms)) & (depths <= l_num)
    lo = max(min(L, l_num) / 2.0, 2.0 * xi_star)
    block = first_block(ok & (depths >= lo))
    if block.size < 5:
        return f"needs ≥ 5 resolvable depths in [{lo:.0f}, {min(L, l_num):.0f}], ξ_* = {xi_star:.3g}"
    ls = depths[block]
    slope = fit_slope(ls, np.log(rms[block] / ls))
    return slope, f"fit of ln(rms/l) over depths {ls[0]:.0f}-{ls[-1]:.0f} ({block.size} depths)"


def critical_slopes(
    depths: np.ndarray, lam_max: np.ndarray, lam_bulk: np.ndarray, L: int
) -> tuple[float, float, str]:
    """Least-squares slopes of λ_max and λ_bulk against l over depths [L/2, L]."""
    window = depths >= L / 2.0
    ls = depths[window]
    return (
        fit_slope(ls, lam_max[window]),
        fit_slope(ls, lam_bulk[window]),
        f"linear fits over depths {ls[0]:.0f}-{ls[-1]:.0f}",
    )
