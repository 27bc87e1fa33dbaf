"""Learning-rate thresholds: classifying a GD loss curve, bracketing and bisecting the threshold, and the
detection bias of a finite number of steps (``experiment=lr_threshold``; the rules are in its module doc).

Status codes per run: converged (finite, ends below L_0, never rises), catapult (finite, ends below L_0
after a rise), diverged, error (the run raised; its losses are filled with a negative value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ntk_bench.spectra import symmetric_eigh

STATUS = ("converged", "catapult", "diverged", "error")
CONVERGED, CATAPULT, DIVERGED, ERROR = range(4)
RISE_RTOL = 1e-6  # a step-to-step increase counts above this relative size ...
RISE_FLOOR = 1e-12  # ... and only while the loss is above this fraction of L_0 (round-off at convergence)


def classify(losses: np.ndarray) -> np.ndarray:
    """Status code per row of ``losses`` (runs, T + 1); see the module docstring."""
    losses = np.atleast_2d(losses)
    finite = np.all(np.isfinite(losses), axis=1)
    with np.errstate(invalid="ignore"):
        start, end = losses[:, 0], losses[:, -1]
        after, before = losses[:, 1:], losses[:, :-1]
        steps_up = (after > before * (1 + RISE_RTOL)) & (after > RISE_FLOOR * start[:, None])
        rose = np.any(steps_up, axis=1)
        decreased = end < start
    status = np.full(len(losses), DIVERGED)
    status[finite & decreased & ~rose] = CONVERGED
    status[finite & decreased & rose] = CATAPULT
    status[np.any(losses < 0, axis=1)] = ERROR
    return status


def first_nonfinite(losses: np.ndarray) -> np.ndarray:
    """First step with a non-finite loss per run (-1 if none)."""
    bad = ~np.isfinite(np.atleast_2d(losses))
    return np.where(bad.any(axis=1), bad.argmax(axis=1), -1)


def top_mode_share(kernel: np.ndarray, residual: np.ndarray) -> float:
    """p² = ‖P_top r‖²/‖r‖²: the share of L_0 in the top eigenspace of ``kernel`` (n, n), for a residual r of
    shape (n, k) (each of the k columns evolves with the same kernel)."""
    decomposition = symmetric_eigh(kernel)  # eigenvalues descending
    values, vectors = decomposition.eigenvalues, decomposition.eigenvectors
    top = vectors[:, np.isclose(values, values[0], rtol=1e-9)]
    r = np.asarray(residual, dtype=np.float64).reshape(len(kernel), -1)
    return float(np.sum((top.T @ r) ** 2) / np.sum(r**2))


def detection_bias(steps: int, share: float) -> float:
    """δ_T: above c = 1 + δ_T a constant-kernel GD run of ``steps`` steps is certain to show a loss rise.

    Theory (:func:`classify`): with step factors r_i = (1 − a_i)², a_i = ηλ_i/|Y|, the loss is
    L_t = Σ_i w_i r_i^t; at c = 1 + δ the top mode has r = g = (1 + 2δ)² > 1, every other r_i ∈ [0, 1), and
    L_{t+1} − L_t ≥ p²L_0·g^t(g − 1) − (1 − p²)L_0·max_r r^t(1 − r), with max_r r^t(1 − r) = t^t/(t+1)^{t+1}.
    A rise (above ``RISE_RTOL``·L_t ≤ ``RISE_RTOL``·L_0) is guaranteed at t = T − 1 once
    p²g^{T−1}(g − 1) > (1 − p²)(T−1)^{T−1}/T^T + RISE_RTOL; δ_T is the smallest such δ (bisection). Below
    c = 1 every term decreases, so the loss is monotone: the threshold lies in [1, 1 + δ_T].
    """
    if not 0 < share <= 1:
        return float("inf")
    t = steps - 1
    rest = (1 - share) * np.exp(t * np.log(t) - (t + 1) * np.log(t + 1)) if t > 0 else (1 - share)

    def rises(delta: float) -> bool:
        g = (1 + 2 * delta) ** 2
        return bool(np.log(share) + t * np.log(g) + np.log(g - 1) > np.log(rest + RISE_RTOL))

    lo, hi = 0.0, 1.0
    while not rises(hi):
        hi *= 2
        if hi > 1e6:
            return float("inf")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if rises(mid) else (mid, hi)
    return hi


def bracket(grid: np.ndarray, status: np.ndarray) -> tuple[float, float]:
    """(last converged c before the first non-converged c, that c); NaN where the grid does not bracket."""
    bad = np.flatnonzero(status != CONVERGED)
    if len(bad) == 0:
        return float(grid[-1]), float("nan")
    first = bad[0]
    return (float(grid[first - 1]) if first > 0 else float("nan")), float(grid[first])


def refine(
    lo: np.ndarray, hi: np.ndarray, steps: int, evaluate: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Bisect each bracket [lo_i, hi_i] ``steps`` times at geometric midpoints; ``evaluate(c)`` gives status
    codes for a vector of c (one per bracket). Brackets with a NaN end are left as they are."""
    lo, hi = lo.copy(), hi.copy()
    ok = np.isfinite(lo) & np.isfinite(hi)
    for _ in range(steps):
        if not ok.any():
            break
        mid = np.where(ok, np.sqrt(np.where(ok, lo * hi, 1.0)), 1.0)
        status = evaluate(mid)
        good = status == CONVERGED
        lo = np.where(ok & good, mid, lo)
        hi = np.where(ok & ~good, mid, hi)
    return lo, hi


@dataclass(frozen=True)
class Threshold:
    """One system's search result in units of its own η_crit = ``eta``: the final bracket [lo, hi] of c,
    and δ_T of :func:`detection_bias`."""

    lo: float
    hi: float
    eta: float
    bias: float

    @property
    def c(self) -> float:
        """The measured threshold c: the bracket's geometric middle."""
        return float(np.sqrt(self.lo * self.hi))

    @property
    def resolution(self) -> float:
        """The bracket's relative width hi/lo − 1."""
        return float(self.hi / self.lo - 1)
