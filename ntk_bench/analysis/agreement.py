"""Agreement between finite-width networks and their infinite-width prediction, per width.

Three scores per width, over every (σ_w², depth, seed, step) of the finite-width check:

- ``mean_abs_accuracy_diff``: mean |acc_finite − acc_infinite| (train and test pooled);
- ``agreement``: the fraction of those accuracy pairs within ``tolerance`` of each other;
- ``output_rel_error``: mean of ‖f_finite − f_infinite‖_F / ‖f_infinite‖_F over train+test outputs, the
  smooth quantity behind the accuracies; kernel-regime theory predicts it shrinks like width^(-1/2)
  (Lee et al. 2019), so its log-log slope against width is reported too.

Diverged runs (NaN outputs) are left out of every mean and counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def relative_output_error(finite: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """‖finite − reference‖_F / ‖reference‖_F over the last two axes (examples, outputs)."""
    finite, reference = np.asarray(finite), np.asarray(reference)
    norm = np.linalg.norm(reference, axis=(-2, -1))
    return np.linalg.norm(finite - reference, axis=(-2, -1)) / np.where(norm > 0, norm, np.nan)


def _nanmean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.mean(x[np.isfinite(x)])) if np.any(np.isfinite(x)) else math.nan


def agreement_by_width(
    widths: Sequence[int],
    accuracy_diff: np.ndarray,
    output_error: np.ndarray,
    tolerance: float,
) -> dict[str, object]:
    """Scores per width from ``accuracy_diff`` (W, ...) = acc_finite − acc_infinite and ``output_error``
    (W, ...) = relative output error; returns lists aligned with ``widths`` plus the width trend."""
    widths = [int(w) for w in widths]
    mad, agree, err, n_pairs = [], [], [], []
    for i in range(len(widths)):
        diff = np.abs(np.asarray(accuracy_diff[i], dtype=np.float64))
        diff = diff[np.isfinite(diff)]
        mad.append(float(diff.mean()) if diff.size else math.nan)
        agree.append(float(np.mean(diff <= tolerance)) if diff.size else math.nan)
        n_pairs.append(int(diff.size))
        err.append(_nanmean(output_error[i]))
    log_w, log_e = np.log(widths), np.log(err)
    ok = np.isfinite(log_e)
    slope = float(np.polyfit(log_w[ok], log_e[ok], 1)[0]) if np.sum(ok) >= 2 else math.nan
    return {
        "widths": widths,
        "tolerance": float(tolerance),
        "mean_abs_accuracy_diff": mad,
        "agreement": agree,
        "output_rel_error": err,
        "n_accuracy_pairs": n_pairs,
        "output_error_loglog_slope": slope,
        "accuracy_diff_decreases_with_width": bool(np.all(np.diff(mad) < 0)) if len(mad) > 1 else None,
        "output_error_decreases_with_width": bool(np.all(np.diff(err) < 0)) if len(err) > 1 else None,
        "agreement_at_widest": agree[-1] if agree else math.nan,
    }
