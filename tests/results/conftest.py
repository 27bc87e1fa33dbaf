"""Fixtures shared by the tests of ntk_bench.results."""

import numpy as np
import pytest

from ntk_bench.results import Results


@pytest.fixture
def tiny_results():
    """A factory of the same small spectrum ``Results`` (one non-finite value, one array)."""

    def make() -> Results:
        return Results(
            experiment="spectrum",
            axis="depth",
            series={"depth": [1, 2], "ntk/lambda_max": [3.0, float("inf")]},
            summary={"theory": {"chi_1": 0.9, "phase": "ordered"}},
            arrays={"ntk_eigenvalues": np.arange(6.0).reshape(2, 3)},
        )

    return make
