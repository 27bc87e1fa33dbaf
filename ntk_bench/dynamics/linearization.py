"""The kernel regime: a network's linearization and the closed-form predictions of a fixed kernel.

Lee et al. (2019). The linearization around the initial parameters θ_0 is

    f_lin(x; θ) = f(x; θ_0) + ∇_θ f(x; θ_0) (θ − θ_0)        (``neural_tangents.linearize``).

Units (used by every experiment here): the mean loss of :mod:`ntk_bench.dynamics.learning_rates`,
``L = ½ · mean((f(X) − Y)²)`` over all |Y| = m·k target entries (neural-tangents' ``gradient_descent_mse``).
Gradient descent on it with step η moves the training outputs of a model with (per-output) kernel Θ by
``−s Θ (f − Y)``, s = η/|Y|, so with Θ = V diag(λ) Vᵀ, a = s·λ and r_0 = f_0(X) − Y:

- discrete GD converges iff η < η_crit = 2·|Y|/λ_max(Θ)           (``learning_rates.critical_learning_rate``);
- gradient flow:  ``f_t(X) = Y + V e^{−a t} Vᵀ r_0``,
  ``f_t(x) = f_0(x) − s Θ_{xX} V diag((1 − e^{−a t})/a) Vᵀ r_0``;
- discrete GD:    the same with e^{−a t} replaced by (1 − a)^t      (:func:`kernel_predictions`).

``tests/dynamics/test_linearization.py`` checks the flow against
``neural_tangents.predict.gradient_descent_mse`` and the discrete form against an explicit GD iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import neural_tangents as nt
import numpy as np


def linearize(apply_fn: Callable[[Any, Any], Any], params0: Any) -> Callable[[Any, Any], Any]:
    """``f_lin(params, x)``: the first-order Taylor expansion of ``apply_fn`` around ``params0``."""
    return nt.linearize(apply_fn, params0)


class KernelModel(NamedTuple):
    """A fixed kernel ready for closed-form predictions: eigenpairs of Θ_train, Θ_test,train, targets."""

    eigenvalues: jax.Array
    eigenvectors: jax.Array
    k_test_train: jax.Array
    y_train: jax.Array

    @classmethod
    def from_kernels(cls, k_train: Any, k_test_train: Any, y_train: Any) -> KernelModel:
        k = np.asarray(k_train, dtype=np.float64)
        lam, vec = np.linalg.eigh(0.5 * (k + k.T))  # LAPACK directly: no per-shape XLA compilation
        return cls(
            jnp.asarray(lam),
            jnp.asarray(vec),
            jnp.asarray(k_test_train, dtype=jnp.float64),
            jnp.asarray(y_train, dtype=jnp.float64),
        )


def kernel_predictions(
    kernel: KernelModel,
    f0_train: jax.Array,
    f0_test: jax.Array,
    learning_rate: jax.Array | float,
    t: jax.Array | float,
    kind: str = "flow",
) -> tuple[jax.Array, jax.Array]:
    """Train and test outputs after ``t`` steps of size ``learning_rate`` (``kind``: ``flow`` or ``gd``).

    Traceable (runs inside jitted training scans); ``t`` may be a traced scalar.
    """
    y = kernel.y_train
    s = learning_rate / y.size
    a = s * kernel.eigenvalues
    t = jnp.asarray(t, dtype=jnp.float64)
    decay = jnp.exp(-a * t) if kind == "flow" else jnp.power(1.0 - a, t)
    small = jnp.abs(a) < 1e-300
    integral = jnp.where(small, t, (1.0 - decay) / jnp.where(small, 1.0, a))
    r0 = kernel.eigenvectors.T @ (f0_train - y)
    f_train = y + kernel.eigenvectors @ (decay[:, None] * r0)
    f_test = f0_test - s * kernel.k_test_train @ (kernel.eigenvectors @ (integral[:, None] * r0))
    return f_train, f_test


def kernel_gd_losses(k_train: Any, y_train: Any, f0_train: Any, learning_rates: Any, steps: int) -> jax.Array:
    """Train loss ½·mean((f_t − Y)²) for t = 0..steps of GD on the linear model with kernel ``k_train``,
    one row per learning rate, iterated step by step (so divergence really overflows to Inf/NaN)."""
    k_train, y_train = jnp.asarray(k_train), jnp.asarray(y_train)
    size = y_train.size

    def run(lr: jax.Array) -> jax.Array:
        def step(r, _):
            r = r - (lr / size) * (k_train @ r)
            return r, 0.5 * jnp.mean(r**2)

        r0 = jnp.asarray(f0_train) - y_train
        _, losses = jax.lax.scan(step, r0, None, length=steps)
        return jnp.concatenate([jnp.array([0.5 * jnp.mean(r0**2)]), losses])

    return jax.jit(jax.vmap(run))(jnp.asarray(learning_rates, dtype=jnp.float64))
