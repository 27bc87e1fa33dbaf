"""The issue-5 experiments end to end at toy sizes: results storable, figures saved, bad knobs rejected."""

import numpy as np


def test_lr_threshold_classification_and_bisection():
    from ntk_bench.analysis.thresholds import CATAPULT, CONVERGED, DIVERGED, ERROR, bracket, classify, refine
    from ntk_bench.experiment.lr_threshold import guarded

    losses = np.array(
        [
            [1.0, 0.5, 0.25, 0.1],  # monotone
            [1.0, 0.5, 0.6, 0.1],  # rose, then converged anyway
            [1.0, 0.5, 0.4, 1.5],  # ended above the start
            [1.0, 2.0, np.inf, np.nan],  # overflowed
            [1.0, 0.5, 0.5 * (1 + 1e-9), 0.1],  # round-off wiggle is not a rise
        ]
    )
    assert classify(losses).tolist() == [CONVERGED, CATAPULT, DIVERGED, DIVERGED, CONVERGED]
    errors = []

    def boom():
        raise RuntimeError("XLA ran out of memory\nsecond line")

    failed = guarded(boom, 2, 3, errors)
    assert classify(failed).tolist() == [ERROR, ERROR] and errors == [
        "RuntimeError: XLA ran out of memory\nsecond line"
    ]
    grid = np.array([0.5, 0.9, 1.1, 2.0])
    assert bracket(grid, np.array([0, 0, 1, 2])) == (0.9, 1.1)
    assert np.isnan(bracket(grid, np.array([2, 2, 2, 2]))[0])
    lo, hi = refine(np.array([0.9]), np.array([1.1]), 12, lambda c: np.where(c < 1.0, CONVERGED, DIVERGED))
    assert lo[0] < 1.0 < hi[0] and hi[0] / lo[0] < 1.0001
