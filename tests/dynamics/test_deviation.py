"""Linearization, kernel predictions, training loops and deviation metrics."""

import jax.numpy as jnp
import numpy as np
import pytest

from ntk_bench.dynamics.deviation import layer_names, output_deviation, parameter_change, relative_frobenius
from ntk_bench.errors import ConfigError


def test_metric_definitions():
    p0 = {"params": {"a": {"w": jnp.ones((2, 2))}, "b": {"w": jnp.ones(4) * 2.0}}}
    p = {"params": {"a": {"w": jnp.ones((2, 2)) * 1.5}, "b": {"w": jnp.ones(4) * 2.0}}}
    change = parameter_change(p, p0, ["a", "b"])
    assert float(change["a"]) == pytest.approx(0.5)
    assert float(change["b"]) == 0.0
    assert float(change["total"]) == pytest.approx(np.sqrt(4 * 0.25 / (4 + 16)))
    absolute, relative = output_deviation(
        jnp.array([[3.0, 4.0]]), jnp.zeros((1, 2)) + jnp.array([[0.0, 4.0]])
    )
    assert float(absolute) == 3.0 and float(relative) == 0.75
    assert relative_frobenius(np.array([2.0, 0.0]), np.array([1.0, 0.0])) == 1.0
    with pytest.raises(ConfigError, match="only the 'params' collection"):
        layer_names({"params": {}, "batch_stats": {}})
