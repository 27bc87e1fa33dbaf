"""The issue-5 experiments end to end at toy sizes: results storable, figures saved, bad knobs rejected."""

import numpy as np
from toy_experiments import _run  # tests/toy_experiments.py


def test_jacot2018_convergence(tmp_path):
    _, doc = _run("jacot2018_convergence", tmp_path)
    errors = np.array([doc["series"][f"error_seed_{s}"] for s in (0, 1)])
    assert np.all(errors > 0) and np.all(errors < 1)
    assert doc["summary"]["slope_single_draw"]["slope"] < 0
    assert "acceptance" not in doc["summary"]  # the verdict is claim jacot2018.empirical_to_analytic_slope
