"""The pinned stack is sound where ntk-bench depends on it (REFERENCE §1)."""

import jax
import jax.numpy as jnp
import neural_tangents as nt
import numpy as np
from neural_tangents import stax


def test_float64_is_really_on():
    assert jax.config.jax_enable_x64
    x = jnp.ones(3)
    assert x.dtype == jnp.float64
    # 1 + 1e-10 is representable in float64 (ε ≈ 2.2e-16) but rounds to 1 in float32 (ε ≈ 1.2e-7).
    assert float(jnp.asarray(1.0) + 1e-10) != 1.0


def _small_fcn():
    return stax.serial(stax.Dense(64, W_std=1.3, b_std=0.2), stax.Erf(), stax.Dense(3, W_std=1.3, b_std=0.2))


def test_three_empirical_ntk_implementations_agree_in_float64():
    init_fn, apply_fn, _ = _small_fcn()
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (6, 5))
    _, params = init_fn(key, x.shape)
    kernels = [
        nt.empirical_ntk_fn(apply_fn, trace_axes=(), implementation=impl)(x, None, params)
        for impl in (
            nt.NtkImplementation.JACOBIAN_CONTRACTION,
            nt.NtkImplementation.NTK_VECTOR_PRODUCTS,
            nt.NtkImplementation.STRUCTURED_DERIVATIVES,
        )
    ]
    assert all(k.dtype == jnp.float64 for k in kernels)
    scale = float(jnp.max(jnp.abs(kernels[0])))
    for other in kernels[1:]:
        # Same sums in a different order: agreement to float64 round-off (~1e-13 relative is generous).
        np.testing.assert_allclose(other, kernels[0], rtol=0, atol=1e-12 * scale)


def test_gradient_descent_mse_runs_under_jit_and_vmap():
    _, _, kernel_fn = _small_fcn()
    x_train = jax.random.normal(jax.random.PRNGKey(1), (8, 4))
    x_test = jax.random.normal(jax.random.PRNGKey(2), (3, 4))
    y_train = jax.random.normal(jax.random.PRNGKey(3), (8, 2))
    k_train = kernel_fn(x_train, None, "ntk")
    k_test = kernel_fn(x_test, x_train, "ntk")

    @jax.jit
    def predict(t):
        fn = nt.predict.gradient_descent_mse(k_train, y_train, learning_rate=1.0)
        return fn(t, 0.0, 0.0, k_test)[1]

    times = jnp.array([0.0, 1.0, 10.0, jnp.inf])
    batched = jax.vmap(predict)(times)
    single = jnp.stack([predict(t) for t in times])
    np.testing.assert_allclose(batched, single, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(batched[0], 0.0, atol=1e-12)  # f_0 = 0 at t = 0 (mean predictor)
    infinite = k_test @ jnp.linalg.solve(k_train, y_train)  # t = ∞: Θ_test,train Θ⁻¹ Y
    np.testing.assert_allclose(batched[-1], infinite, rtol=1e-8, atol=1e-10)
