"""Input correlations of a kernel: how much of the data's geometry survives to depth l.

For an NNGP K^l on m inputs, c_ab = K_ab/√(K_aa K_bb) (a ≠ b). Mean-field theory (Schoenholz et al. 2017)
sends every c_ab of a plain deep network to the same fixed point c* exponentially fast (depth
scale ξ_c*), so their spread across pairs — the data-dependent part — vanishes; with residual connections
scaled by α = L^{-γ} the approach is slow and the spread survives (Yang & Schoenholz 2017; Huang et al. 2020).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class CorrelationSummary:
    """Mean and standard deviation of the off-diagonal correlations c_ab of one kernel."""

    correlation_mean: float
    correlation_std: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def summarize_correlations(kernel: np.ndarray) -> CorrelationSummary:
    """:class:`CorrelationSummary` of a symmetric (m, m) kernel with a positive diagonal (m ≥ 2)."""
    kernel = np.asarray(kernel, dtype=np.float64)
    scale = np.sqrt(np.diag(kernel))
    correlations = kernel / np.outer(scale, scale)
    off_diagonal = correlations[~np.eye(len(kernel), dtype=bool)]
    return CorrelationSummary(float(off_diagonal.mean()), float(off_diagonal.std()))
