"""xiao2020 analysis: a mean predictor fallen to float64 round-off is recorded at the floor, not as noise."""

from __future__ import annotations

import numpy as np

from ntk_bench.experiment.xiao2020.analysis import ROUNDOFF_DECADES, mean_predictor_decay
from ntk_bench.experiment.xiao2020.config import parse_experiment_config


def test_a_drop_below_the_roundoff_floor_is_recorded_as_the_floor():
    xc = parse_experiment_config(
        {"name": "xiao2020_fcn", "sigma_w2": [1.0, 1.2, 3.0], "depths": [1, 10, 20], "times": [10]}
    )
    theory = {
        "phase": np.array(["ordered", "ordered", "chaotic"]),
        "chi_1": np.array([0.9, 0.95, 1.5]),
        "chi_c_star": np.array([0.9, 0.95, 0.5]),
    }
    rms = np.array(
        [
            [1.0, 0.5, 3e-16],  # ordered, bulk unresolved: fell to round-off (log10 ≈ −15.5)
            [1.0, 0.9, 0.8],  # ordered, resolved: a real drop of 0.097 decades
            [1.0, 1e-3, 1e-7],  # chaotic: 7 decades, a measurement
        ]
    )
    decay, _ = mean_predictor_decay(rms, theory, xc)
    drop = decay["log10_drop_over_grid"]
    assert drop["value"][0] == ROUNDOFF_DECADES == drop["roundoff_floor"]
    np.testing.assert_allclose(drop["value"][1:], [np.log10(0.8), -7.0], rtol=1e-12)
    assert drop["at_roundoff_floor"] == [True, False, False]
