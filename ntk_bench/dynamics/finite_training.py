"""Finite-width stax networks trained by full-batch gradient descent on MSE, vectorised over σ_w² and seeds.

One compiled training function per (architecture, depth, width): ``jax.vmap`` runs every (σ_w², seed)
configuration of a depth at once, instead of a Python loop that would rebuild (and recompile) the stax network
for each σ_w². This works because the networks come from :class:`~ntk_bench.architectures.Network` with
σ_w, σ_b traced, in the NTK parameterization, whose parameters are N(0, 1) draws that do not depend on σ:
one ``init_fn`` call per seed serves every σ_w².

Training (REFERENCE §5): loss ``L(θ) = ½‖f(X; θ) − Y‖²`` summed over the m examples and C outputs (the units
of :mod:`ntk_bench.dynamics.kernel_regression`), ``optax.sgd(η)`` on the full batch, η per configuration
(from λ_max of the analytic NTK). With ``center=True`` the network's output is ``f(x; θ) − f(x; θ_0)``, so
f_0 = 0 exactly as in the infinite-width mean predictor it is compared with (the random initial function
has variance K(x, x) at every width and would not shrink with width; centring removes it while keeping the
network and its gradients unchanged).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ntk_bench.architectures import Network
from ntk_bench.errors import require


@dataclass(frozen=True)
class FiniteRun:
    """Outputs of B σ_w² values × R seeds, at each of T checkpoints (steps).

    ``train``: (B, R, T, m, C), ``test``: (B, R, T, n, C); ``diverged``: (B, R), True where an output became
    non-finite (its outputs are NaN from there on).
    """

    steps: tuple[int, ...]
    train: np.ndarray
    test: np.ndarray
    diverged: np.ndarray


def validate_steps(steps: Sequence[float]) -> tuple[int, ...]:
    """Checkpoints: a non-empty, strictly increasing list of integer step counts ≥ 0."""
    values = list(steps)
    require(len(values) > 0, "finite-width steps list is empty; give integer step counts >= 0")
    require(
        all(float(s) == int(s) and int(s) >= 0 for s in values),
        f"finite-width steps {values} must be integers >= 0 (full-batch GD steps)",
    )
    ints = tuple(int(s) for s in values)
    require(all(a < b for a, b in itertools.pairwise(ints)), f"steps {values} must be increasing")
    return ints


class FiniteTrainer:
    """Compiled full-batch GD for one architecture at one depth, vmapped over configurations.

    Build once per (network, depth); :meth:`run` accepts any σ_w² values, learning rates and seeds with
    the same data shapes without recompiling.
    """

    def __init__(self, network: Network, depth: int, *, center: bool = True):
        require(
            network.spec.parameterization == "ntk",
            f"model.parameterization={network.spec.parameterization!r}: networks trained for a whole σ_w²"
            " grid at once need 'ntk' (its parameters do not depend on σ_w, σ_b)",
        )
        self.network, self.depth, self.center = network, depth, center
        self._init = network.at_depth(depth, 1.0, 1.0)[0]  # NTK parameterization: σ-independent draws

        def apply(params, x, w_std, b_std):
            return network.at_depth(depth, w_std, b_std)[1](params, x)

        def loss(params, w_std, b_std, x, y, offset):
            residual = apply(params, x, w_std, b_std) - offset - y
            return 0.5 * jnp.sum(residual**2)

        def advance(params, w_std, b_std, lr, x, y, offset, n_steps):
            optimizer = optax.sgd(lr)

            def step(_, carry):
                p, state = carry
                grads = jax.grad(loss)(p, w_std, b_std, x, y, offset)
                updates, state = optimizer.update(grads, state, p)
                return optax.apply_updates(p, updates), state

            params, _ = jax.lax.fori_loop(0, n_steps, step, (params, optimizer.init(params)))
            return params

        batch = (0, 0, 0, 0, None, None, 0, None)
        self._advance = jax.jit(jax.vmap(advance, in_axes=batch))
        self._apply = jax.jit(jax.vmap(apply, in_axes=(0, None, 0, 0)))

    def init_params(self, seeds: Sequence[int], input_shape: tuple[int, ...]):
        """Parameters of each seed, stacked on a leading axis (``jax.random.PRNGKey(seed)``)."""
        keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
        return jax.vmap(lambda key: self._init(key, input_shape)[1])(keys)

    def run(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_test: np.ndarray,
        sigma_w2: Sequence[float],
        sigma_b2: float,
        learning_rates: Sequence[float],
        seeds: Sequence[int],
        steps: Sequence[int],
    ) -> FiniteRun:
        """Train every (σ_w²[b], seed[r]) with step size ``learning_rates[b]``; outputs at ``steps``."""
        steps = validate_steps(steps)
        b_count, r_count = len(sigma_w2), len(seeds)
        require(len(learning_rates) == b_count, "one learning rate per sigma_w2 value is needed")
        x_train = jnp.asarray(x_train, jnp.float64)
        x_test = jnp.asarray(x_test, jnp.float64)
        y_train = jnp.asarray(y_train, jnp.float64)
        # flat configuration axis k = b·R + r
        w_std = jnp.repeat(jnp.sqrt(jnp.asarray(sigma_w2, jnp.float64)), r_count)
        b_std = jnp.full(b_count * r_count, math.sqrt(sigma_b2))
        lr = jnp.repeat(jnp.asarray(learning_rates, jnp.float64), r_count)
        seed_params = self.init_params(seeds, x_train.shape)
        params = jax.tree_util.tree_map(lambda p: jnp.tile(p, (b_count,) + (1,) * (p.ndim - 1)), seed_params)
        outputs = partial(self._outputs, x_train=x_train, x_test=x_test, w_std=w_std, b_std=b_std)
        offset_train, offset_test = outputs(params, None, None)
        if not self.center:
            offset_train, offset_test = jnp.zeros_like(offset_train), jnp.zeros_like(offset_test)
        train, test, done = [], [], 0
        for target in steps:
            if target > done:
                params = self._advance(
                    params, w_std, b_std, lr, x_train, y_train, offset_train, jnp.asarray(target - done)
                )
                done = target
            f_train, f_test = outputs(params, offset_train, offset_test)
            train.append(np.asarray(f_train))
            test.append(np.asarray(f_test))

        def shaped(chunks: list[np.ndarray]) -> np.ndarray:
            stacked = np.stack(chunks, axis=1)  # (B·R, T, n, C)
            return stacked.reshape((b_count, r_count, *stacked.shape[1:]))

        train_out, test_out = shaped(train), shaped(test)
        bad = ~np.isfinite(train_out).all(axis=(3, 4)) | ~np.isfinite(test_out).all(axis=(3, 4))  # (B, R, T)
        diverged = bad.any(axis=2)
        first_bad = np.where(bad.any(axis=2), bad.argmax(axis=2), len(steps))
        after = np.arange(len(steps))[None, None, :] >= first_bad[:, :, None]
        train_out[after], test_out[after] = np.nan, np.nan
        return FiniteRun(steps, train_out, test_out, diverged)

    def _outputs(self, params, offset_train, offset_test, *, x_train, x_test, w_std, b_std):
        f_train = self._apply(params, x_train, w_std, b_std)
        f_test = self._apply(params, x_test, w_std, b_std)
        if offset_train is None:
            return f_train, f_test
        return f_train - offset_train, f_test - offset_test
