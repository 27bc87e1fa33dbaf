"""Straight-line fits with confidence intervals: log-log slopes over widths, linear growth rates.

Two ways to put an interval on a slope:

- :func:`linear_fit` / :func:`loglog_fit`: ordinary least squares on one curve; the interval is
  ``slope ± t_{q, n−2} · stderr`` from the residuals (n points, Student t).
- :func:`seed_slope_fit`: one OLS slope per seed (each seed is an independent draw of the whole width sweep);
  the interval is ``mean ± t_{q, S−1} · sd/√S`` over the S seeds. This is the interval the width sweeps
  report: it needs no assumption about the residuals of a single curve, only independent seeds.

Points that are not finite (or not positive, for logs) are dropped; a fit with fewer than two points left is
all NaN rather than an error, so a sweep with diverged runs still reports what it can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class SlopeFit:
    """A fitted line ``y = slope · x + intercept`` with a ``confidence`` interval on the slope.

    ``method`` is ``"ols"`` (residual-based interval) or ``"seeds"`` (interval over per-seed slopes, listed
    in ``per_seed``). ``n_points`` counts the x values used, ``n_seeds`` the seeds (1 for ``ols``).
    """

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    stderr: float
    n_points: int
    n_seeds: int
    method: str
    confidence: float = CONFIDENCE
    per_seed: tuple[float, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["per_seed"] = list(self.per_seed)
        return out

    def __format__(self, spec: str) -> str:
        return f"{self.slope:{spec or '.3f'}} [{self.ci_low:{spec or '.3f'}}, {self.ci_high:{spec or '.3f'}}]"


def _nan_fit(method: str, n_points: int, n_seeds: int, confidence: float) -> SlopeFit:
    nan = float("nan")
    return SlopeFit(nan, nan, nan, nan, nan, n_points, n_seeds, method, confidence)


def linear_fit(x: Sequence[float], y: Sequence[float], confidence: float = CONFIDENCE) -> SlopeFit:
    """OLS line through the finite (x, y) pairs; with 2 points the interval is infinite (no residual dof)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = len(x)
    if n < 2 or np.ptp(x) == 0:
        return _nan_fit("ols", n, 1, confidence)
    slope, intercept = np.polyfit(x, y, 1)
    if n == 2:
        return SlopeFit(float(slope), float(intercept), -np.inf, np.inf, np.inf, n, 1, "ols", confidence)
    residuals = y - (slope * x + intercept)
    sigma2 = float(residuals @ residuals) / (n - 2)
    stderr = float(np.sqrt(sigma2 / np.sum((x - x.mean()) ** 2)))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 2)) * stderr
    return SlopeFit(
        float(slope), float(intercept), slope - half, slope + half, stderr, n, 1, "ols", confidence
    )


def _logs(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
        ly = np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), np.nan)
    return lx, ly


def loglog_fit(x: Sequence[float], y: Sequence[float], confidence: float = CONFIDENCE) -> SlopeFit:
    """OLS slope of log y against log x (positive finite points only)."""
    return linear_fit(*_logs(x, y), confidence=confidence)


def seed_slope_fit(
    x: Sequence[float], values: np.ndarray, confidence: float = CONFIDENCE, *, log: bool = True
) -> SlopeFit:
    """Slope of ``values[seed, i]`` against ``x[i]`` per seed, then mean ± t·sd/√S over seeds.

    ``log=True`` fits log-log (width sweeps); ``log=False`` fits a straight line. With one seed this is the
    OLS fit of that seed. The intercept is the mean of the per-seed intercepts.
    """
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    x = np.asarray(x, dtype=np.float64)
    if values.shape[1] != len(x):
        raise ValueError(f"values have {values.shape[1]} columns for {len(x)} x values")
    fits = [loglog_fit(x, row, confidence) if log else linear_fit(x, row, confidence) for row in values]
    if len(fits) == 1:
        return fits[0]
    slopes = np.array([f.slope for f in fits])
    ok = np.isfinite(slopes)
    s = int(ok.sum())
    n_points = max((f.n_points for f in fits), default=0)
    if s < 2:
        return _nan_fit("seeds", n_points, s, confidence)
    mean = float(slopes[ok].mean())
    stderr = float(slopes[ok].std(ddof=1) / np.sqrt(s))
    half = float(stats.t.ppf(0.5 + confidence / 2, s - 1)) * stderr
    intercept = float(np.mean([f.intercept for f, good in zip(fits, ok, strict=True) if good]))
    return SlopeFit(
        mean,
        intercept,
        mean - half,
        mean + half,
        stderr,
        n_points,
        s,
        "seeds",
        confidence,
        tuple(slopes.tolist()),
    )


def finite_mean(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Mean of the finite entries along ``axis``; NaN (silently) where there are none."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    count = finite.sum(axis=axis)
    total = np.where(finite, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def mean_ci(values: np.ndarray, axis: int = 0, confidence: float = CONFIDENCE) -> tuple[np.ndarray, ...]:
    """Mean of the finite entries and its t-interval half-width along ``axis`` (NaN with < 2 values)."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    count = finite.sum(axis=axis)
    mean = finite_mean(values, axis)
    deviation = np.where(finite, values - np.expand_dims(mean, axis), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.sum(deviation**2, axis=axis) / np.maximum(count - 1, 1))
        t = stats.t.ppf(0.5 + confidence / 2, np.maximum(count - 1, 1))
        half = np.where(count >= 2, t * sd / np.sqrt(np.maximum(count, 1)), np.nan)
    return mean, half
