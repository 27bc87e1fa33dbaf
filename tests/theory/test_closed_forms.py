"""The pinned stack is sound where ntk-bench depends on it, and runs without TensorFlow.

neural-tangents is imported without its TF bridge (``ntk_bench/nt_bridge.py``): the tests below check that no
TensorFlow module is ever imported and that the lock installs none. The numbers of the neural-tangents entry
points ntk-bench uses are checked against independent computations here and in tests/test_kernels.py
(``monte_carlo_kernel_fn`` vs the analytic kernel), tests/test_dynamics.py (``gradient_descent_mse``,
``linearize``), tests/test_empirical_ntk.py and tests/test_mean_field.py (NNGP → q*, c*).
"""

import jax
import numpy as np
import pytest
from neural_tangents import stax

from ntk_bench.theory import closed_forms as cf


def _closed_form_kernels(x: np.ndarray, depth: int, w2: float, b2: float, t, t_dot):
    """NNGP and NTK of ``depth`` hidden layers (NTK parameterization) by the closed-form recursion
    K ← σ_w² T(K) + σ_b², Θ ← K + σ_w² Ṫ(K) ⊙ Θ, starting from K = Θ = σ_w² x·x'/d + σ_b²."""
    k = w2 * (x @ x.T) / x.shape[1] + b2
    theta = k.copy()
    for _ in range(depth):
        diag = np.diag(k)
        k_aa, k_bb = diag[:, None], diag[None, :]
        t_dot_k = t_dot(k_aa, k_bb, k)
        k = w2 * t(k_aa, k_bb, k) + b2
        theta = k + w2 * t_dot_k * theta
    return k, theta


@pytest.mark.parametrize(
    ("layer", "t", "t_dot", "w2", "b2"),
    [(stax.Erf, cf.erf_t, cf.erf_t_dot, 1.7, 0.1), (stax.Relu, cf.relu_t, cf.relu_t_dot, 2.0, 0.05)],
)
def test_stax_kernels_match_the_closed_form_recursion(layer, t, t_dot, w2, b2):
    depth = 3
    x = np.asarray(jax.random.normal(jax.random.PRNGKey(4), (7, 5)))
    dense = stax.Dense(1, W_std=np.sqrt(w2), b_std=np.sqrt(b2))
    _, _, kernel_fn = stax.serial(*[dense, layer()] * depth, dense)
    out = kernel_fn(x, None, ("nngp", "ntk"))
    nngp, ntk = _closed_form_kernels(x, depth, w2, b2, t, t_dot)
    # Same formulas in float64: erf agrees to round-off (measured 6e-16); ReLU's arccos near c = 1 loses
    # ~√ε ≈ 1.5e-8 per layer on the diagonal (docs/architecture.md): 3 layers, measured 2.7e-9 on the NTK.
    atol = 1e-12 if layer is stax.Erf else 1e-7
    np.testing.assert_allclose(out.nngp, nngp, rtol=0, atol=atol * np.max(nngp))
    np.testing.assert_allclose(out.ntk, ntk, rtol=0, atol=atol * np.max(ntk))
