"""Depth scales read off accuracy maps and spectra, and regressed on the mean-field ξ's (Xiao et al. 2020).

- :func:`crossing_depth`: the first depth at which a quantity falls below a threshold after having reached
  it, linearly interpolated between grid depths (nan when it never does within the grid: left out of fits).
- :func:`fit_proportional`: least squares ``y = a·x`` (the constant a and R²), alongside the affine fit.
  Ordered phase: the trainable-depth boundary vs ξ_1; chaotic phase: the depth where test accuracy reaches
  chance vs ξ_*.
- :func:`fit_mean_predictor_decay`: the per-layer decay rate of the mean predictor's magnitude, fitted as
  ``log(rms/l) = c + s·l``, against the prediction ``s = ln(χ_c*/χ_1) = −1/ξ_*``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

# Below this multiple of the shallowest depth's value, a mean-predictor magnitude is float64 round-off
# (measured: the floor sits at ~1e-14 of the depth-1 value for an erf FCN on 256 digits).
ROUNDOFF_FLOOR = 1e-11


def crossing_depth(depths: np.ndarray, values: np.ndarray, threshold: float) -> float:
    """First depth where ``values`` drops below ``threshold`` after having reached it, interpolated linearly
    between the two grid depths around the drop.

    nan when the values never reach the threshold (nothing to fall from: e.g. train accuracy at t = 1, or a
    model whose depth-0 readout is at chance) or never drop below it within the grid (censored). Both are
    left out of the fits. nan values (divergent cells) are skipped.
    """
    depths, values = np.asarray(depths, dtype=np.float64), np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    depths, values = depths[ok], values[ok]
    above = np.flatnonzero(values >= threshold)
    if above.size == 0:
        return math.nan
    below = np.flatnonzero(values[above[0] :] < threshold)
    if below.size == 0:
        return math.nan
    i = int(above[0] + below[0])
    d0, d1, v0, v1 = depths[i - 1], depths[i], values[i - 1], values[i]
    return float(d0 + (v0 - threshold) / (v0 - v1) * (d1 - d0))


@dataclass(frozen=True)
class ProportionalFit:
    """``y ≈ constant·x`` by least squares through the origin, with R² = 1 − SS_res/SS_tot (SS_tot about
    the mean of y; can be < 0 for a poor fit); plus the affine fit ``y ≈ slope·x + intercept``."""

    constant: float
    r_squared: float
    slope: float
    intercept: float
    r_squared_affine: float
    n_points: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _r_squared(y: np.ndarray, fitted: np.ndarray) -> float:
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - fitted) ** 2)) / total if total > 0 else math.nan


def fit_proportional(x: np.ndarray, y: np.ndarray) -> ProportionalFit:
    """Fit ``y = a·x`` on the finite pairs; nan fields when fewer than 2 pairs remain."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 2 or not np.any(x != 0):
        return ProportionalFit(math.nan, math.nan, math.nan, math.nan, math.nan, n)
    a = float(np.dot(x, y) / np.dot(x, x))
    if np.ptp(x) > 0:
        slope, intercept = (float(v) for v in np.polyfit(x, y, 1))
        affine_r2 = _r_squared(y, slope * x + intercept)
    else:
        slope = intercept = affine_r2 = math.nan
    return ProportionalFit(a, _r_squared(y, a * x), slope, intercept, affine_r2, n)


@dataclass(frozen=True)
class DecayFit:
    """Fitted per-layer log-decay rate of the mean predictor vs the mean-field prediction ln(χ_c*/χ_1)."""

    fitted_rate: float
    theory_rate: float
    ratio: float
    n_points: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def fit_mean_predictor_decay(
    depths: np.ndarray, rms: np.ndarray, theory_rate: float, *, min_depth: int = 1
) -> DecayFit:
    """Fit ``log(rms_l / l) = c + s·l`` over depths ≥ ``min_depth`` (≥ 1) above the round-off floor.

    Xiao et al. 2020: in the chaotic phase the data-dependent mean prediction decays like
    O(l·(χ_c*/χ_1)^l), i.e. ``s = ln(χ_c*/χ_1) = −1/ξ_*`` (``theory_rate``).
    """
    depths, rms = np.asarray(depths, dtype=np.float64), np.asarray(rms, dtype=np.float64)
    ok = (depths >= max(1, min_depth)) & np.isfinite(rms) & (rms > 0)
    if np.any(ok):
        ok &= rms > ROUNDOFF_FLOOR * rms[ok][0]
    n = int(np.sum(ok))
    if n < 3:
        return DecayFit(math.nan, float(theory_rate), math.nan, n)
    rate = float(np.polyfit(depths[ok], np.log(rms[ok] / depths[ok]), 1)[0])
    return DecayFit(rate, float(theory_rate), rate / theory_rate if theory_rate else math.nan, n)


def chance_accuracy(labels: np.ndarray, num_classes: int) -> float:
    """Accuracy of the best data-independent (constant) prediction: the largest class frequency among
    ``labels`` (1/C for a stratified set)."""
    return float(np.bincount(labels, minlength=num_classes).max() / len(labels))


def chance_noise_margin(chance: float, n_test: int, z: float = 2.0) -> float:
    """``z`` binomial standard errors of a chance-level classifier's accuracy on ``n_test`` points,
    z·√(p(1 − p)/n) with p = chance: test accuracy within this of chance is indistinguishable from it."""
    return float(z * math.sqrt(chance * (1.0 - chance) / n_test))


@dataclass(frozen=True)
class WithinFit:
    """A common slope of y on x with one free intercept per group (columns), by least squares on the
    group-demeaned values; ``stderr`` from the residuals with n − groups − 1 degrees of freedom."""

    slope: float
    stderr: float
    n_points: int
    n_groups: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def fit_within_groups(groups: list[tuple[np.ndarray, np.ndarray]]) -> WithinFit:
    """Common slope across ``groups`` of (x, y) (each demeaned; groups with < 2 finite points are dropped)."""
    xs, ys = [], []
    for x, y in groups:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() >= 2:
            xs.append(x[ok] - x[ok].mean())
            ys.append(y[ok] - y[ok].mean())
    n, k = sum(len(x) for x in xs), len(xs)
    if k == 0 or n - k < 1:
        return WithinFit(math.nan, math.nan, n, k)
    x, y = np.concatenate(xs), np.concatenate(ys)
    sxx = float(x @ x)
    if sxx == 0:
        return WithinFit(math.nan, math.nan, n, k)
    slope = float(x @ y) / sxx
    dof = n - k - 1
    stderr = math.sqrt(float(np.sum((y - slope * x) ** 2)) / dof / sxx) if dof > 0 else math.inf
    return WithinFit(slope, stderr, n, k)


# the asymptotic form λ_bulk ∝ l·χ_1^l is used only for boundaries at least this many ξ_1 deep
ASYMPTOTIC_BOUNDARY_XI = 2.0


def trainable_depth_time_fit(times: np.ndarray, boundary: np.ndarray, xi_1: np.ndarray) -> WithinFit:
    """How the ordered-phase trainable depth moves with the training time t (Xiao et al. 2020, §4).

    The bulk eigenvalues of the ordered NTK fall like λ_bulk ∝ l·χ_1^l while λ_max → m·p*, so with
    η = 2/λ_max a bulk mode has trained by step t when η·λ_bulk·t ≳ 1, i.e. at the boundary
    ``u = l/ξ_1 − ln l = ln t + c(σ_w²)``. Fits u against ln t with one intercept per σ_w² column
    (``boundary``: (S, T) crossing depths, NaN when censored; t = 0 is left out, and so are boundaries
    shallower than :data:`ASYMPTOTIC_BOUNDARY_XI`·ξ_1, where the asymptotic form does not hold yet);
    theory slope 1.
    """
    times = np.asarray(times, dtype=np.float64)
    keep = times > 0
    groups = []
    for s in range(boundary.shape[0]):
        depth = np.asarray(boundary[s], dtype=np.float64)[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = depth / xi_1[s] - np.log(depth)
        asymptotic = depth >= ASYMPTOTIC_BOUNDARY_XI * xi_1[s]
        groups.append((np.log(times[keep]), np.where(asymptotic, u, np.nan)))
    return fit_within_groups(groups)
