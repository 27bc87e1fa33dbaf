"""Linearization, kernel predictions, training loops and deviation metrics."""

import jax
import jax.numpy as jnp
import neural_tangents as nt
import numpy as np
import pytest

from ntk_bench.dynamics.deviation import layer_names
from ntk_bench.dynamics.learning_rates import critical_learning_rate, minibatch_critical_learning_rate
from ntk_bench.dynamics.linearization import KernelModel, kernel_gd_losses, kernel_predictions
from ntk_bench.dynamics.training import (
    OptimizerSpec,
    PairTrainer,
    flat_kernel_model,
    unstack,
)
from ntk_bench.kernels.empirical import EmpiricalNTK


def _psd(m, seed):
    a = np.random.default_rng(seed).normal(size=(m, m))
    return a @ a.T / m + 0.1 * np.eye(m)


def test_flow_prediction_is_neural_tangents_gradient_descent_mse():
    rng = np.random.default_rng(0)
    k, k_test = _psd(6, 1), rng.normal(size=(3, 6))
    y, f0, f0_test = rng.normal(size=(6, 2)), rng.normal(size=(6, 2)), rng.normal(size=(3, 2))
    lr, t = 0.7, 5.0
    predict = nt.predict.gradient_descent_mse(jnp.asarray(k), jnp.asarray(y), learning_rate=lr)
    expected = predict(t, jnp.asarray(f0), jnp.asarray(f0_test), jnp.asarray(k_test))
    got = kernel_predictions(KernelModel.from_kernels(k, k_test, y), f0, f0_test, lr, t, "flow")
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_discrete_prediction_is_explicit_gradient_descent():
    rng = np.random.default_rng(1)
    k, k_test = _psd(5, 2), rng.normal(size=(4, 5))
    y, f0, f0_test = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    lr, steps = 9.0, 7
    f, g = f0.copy(), f0_test.copy()
    for _ in range(steps):  # loss ½·mean((f − y)²): ∂/∂f = (f − y)/|Y|
        residual = (f - y) / y.size
        f, g = f - lr * k @ residual, g - lr * k_test @ residual
    got = kernel_predictions(KernelModel.from_kernels(k, k_test, y), f0, f0_test, lr, steps, "gd")
    np.testing.assert_allclose(got[0], f, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[1], g, rtol=1e-10, atol=1e-12)
    losses = np.asarray(kernel_gd_losses(k, y, f0, [lr], steps))[0]
    np.testing.assert_allclose(losses[-1], 0.5 * np.mean((f - y) ** 2), rtol=1e-10)


def test_gd_on_the_kernel_model_converges_iff_below_eta_crit():
    k, y = _psd(8, 3), np.random.default_rng(4).normal(size=(8, 2))
    eta = critical_learning_rate(np.linalg.eigvalsh(k)[-1], y.size)
    losses = np.asarray(kernel_gd_losses(k, y, np.zeros_like(y), [0.98 * eta, 1.02 * eta, 50 * eta], 3000))
    assert losses[0, -1] < 1e-6 * losses[0, 0]
    assert losses[1, -1] > losses[1, 0]
    assert not np.isfinite(losses[2, -1])  # overflow is real, not an exception
    assert minibatch_critical_learning_rate(k, 8, 2) == pytest.approx(eta)
    assert minibatch_critical_learning_rate(k, 3, 2) < eta  # small batches see a larger λ_max(Θ_BB)/B


@pytest.fixture(scope="module")
def tiny(tiny_fcn_problem):
    return tiny_fcn_problem(out_dim=1, seeds=2, rng_seed=5)


def test_linearization_trained_by_gd_follows_its_own_kernel(tiny):
    """With one output the empirical NTK at init is exactly the linear model's kernel: GD on f_lin must match
    the discrete kernel prediction to round-off (checks nt.linearize, the optax loop and the η/|Y| units)."""
    model, data, variables = tiny
    ntk = EmpiricalNTK(model.apply, implementation="structured_derivatives")
    seed0 = unstack(variables, 0)
    kernel = KernelModel.from_kernels(
        ntk(seed0, data.x_train), ntk(seed0, data.x_test, data.x_train), data.y_train
    )
    eta = critical_learning_rate(float(kernel.eigenvalues[-1]), data.y_train.size)
    trainer = PairTrainer(model.apply, data, OptimizerSpec("gd", 0.5 * eta), layer_names(seed0), kernel)
    full = EmpiricalNTK(model.apply, implementation="structured_derivatives", trace_axes=())
    own = flat_kernel_model(full(seed0, data.x_train), full(seed0, data.x_test, data.x_train), data.y_train)
    own = jax.tree_util.tree_map(lambda a: a[None], own)
    state = trainer.init(jax.tree_util.tree_map(lambda a: a[:1], variables), [0], own)
    state, metrics = trainer.advance(state, 6)
    assert metrics["dev_lin_kgd_train"].shape == (1, 6)
    assert np.max(metrics["dev_lin_kgd_train"]) < 1e-9
    for split in ("train", "test"):  # the same statement through the full-kernel (m·k outputs) path
        assert np.max(metrics[f"dev_lin_owngd_{split}_rel"]) < 1e-9
        # flow vs Euler steps at a = η·λ/|Y| ≤ 1: a real, bounded gap, the same for the trained model
        gap, flow = metrics[f"discretization_{split}_rel"], metrics[f"dev_lin_ownflow_{split}_rel"]
        assert 1e-4 < np.max(gap) < 1
        np.testing.assert_allclose(flow, gap, rtol=1e-6, atol=1e-9)
    assert np.max(metrics["dev_train"]) > 1e-6  # the network itself is not linear at width 16
    assert metrics["train_loss_lin"][0, -1] < metrics["train_loss_lin"][0, 0]
    change = metrics["weight_change/total"][0]
    assert np.all(np.diff(change) >= 0) and change[0] > 0
