"""Finite-width stax networks trained on MSE by full-batch GD or minibatch SGD, vectorised over σ_w², seeds.

One compiled training function per (architecture, depth, width): ``jax.vmap`` runs every (σ_w², seed)
configuration of a depth at once, instead of a Python loop that would rebuild (and recompile) the stax network
for each σ_w². This works because the networks come from :class:`~ntk_bench.model.Network` with
σ_w, σ_b traced, in the NTK parameterization, whose parameters are N(0, 1) draws that do not depend on σ:
one ``init_fn`` call per seed serves every σ_w².

The network of depth L is ``readout ∘ block^L ∘ stem`` (the registry's pieces). The parameters of blocks
2..L (which share their shapes; block 1 changes the width) are stacked on a leading axis and applied by
``lax.scan``, so the compiled program (and its compilation time) does not grow with depth; the parameters
are drawn with exactly the key sequence of ``stax.serial(stem, block, …, block, readout)``
(``Network.at_depth``), so a trainer reproduces that network's function to round-off.

Training (Lee et al. 2019, "Wide Neural Networks of Any Depth Evolve as Linear Models Under Gradient
Descent"; units: :mod:`ntk_bench.dynamics.learning_rates`). Full batch (``batch_size=None``):
``L(θ) = ½‖f(X; θ) − Y‖²`` summed over the m
examples and C outputs (the units of :mod:`ntk_bench.dynamics.kernel_regression`), ``optax.sgd(η)``.
Minibatch SGD (``batch_size=b``): each step uses b examples drawn without replacement (a fresh permutation of
the training set per epoch of ⌊m/b⌋ steps, from the seed's own key, shared by every σ_w² of that seed) and the
loss ``(m/b)·½‖f(X_b; θ) − Y_b‖²``, an unbiased estimate of L: in expectation one SGD step is one full-batch
GD step with the same η, so k SGD steps are compared with k GD steps of the kernel prediction (Lee et al.
2019's linearised dynamics, in expectation). Its Hessian at a batch is ≈ (m/b)·Θ_bb, so the stability bound
is η < 2/λ_max^SGD with λ_max^SGD = max over batches of λ_max((m/b)·Θ_bb) ≥ λ_max(Θ) in practice
(:func:`~ntk_bench.dynamics.learning_rates.minibatch_critical_learning_rate` gives it in the mean-loss units:
divide by m·C).

With ``center=True`` the network's output is ``f(x; θ) − f(x; θ_0)``, so f_0 = 0 exactly as in the
infinite-width mean predictor it is compared with (the random initial function has variance K(x, x) at every
width and would not shrink with width; centring removes it while keeping the network and its gradients
unchanged). ``center=False`` keeps f_0: the network as it is initialised and trained in practice
(Schoenholz et al. 2017).

``dtype``: ``float64`` (the default; kernels and theory stay float64 everywhere) or ``float32`` (training
only: parameters are drawn in float64 from the same keys and rounded, inputs, targets, σ's and η are cast).
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

from ntk_bench.errors import require, require_choice
from ntk_bench.model import Network

DTYPES = ("float64", "float32")
BATCH_STREAM = 0x5EED  # fold_in constant: the minibatch key of a seed, independent of its init key


@dataclass(frozen=True)
class FiniteRun:
    """Outputs of B σ_w² values × R seeds, at each of T checkpoints (steps).

    ``train``: (B, R, T, m, C), ``test``: (B, R, T, n, C); ``diverged``: (B, R), True where an output became
    non-finite (its outputs are NaN from there on). ``initial_train``/``initial_test``: f_0 (B, R, m, C) /
    (B, R, n, C), the outputs at initialisation (before centring); ``diverged_step``: (B, R), the first
    checkpoint step whose outputs were non-finite, -1 where none was.
    """

    steps: tuple[int, ...]
    train: np.ndarray
    test: np.ndarray
    diverged: np.ndarray
    initial_train: np.ndarray | None = None
    initial_test: np.ndarray | None = None
    diverged_step: np.ndarray | None = None


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


def validate_batch_size(batch_size: int | None, n_train: int) -> int | None:
    """``None`` (full batch) or an integer 1 ≤ b ≤ m; a batch larger than the training set is an error."""
    if batch_size is None:
        return None
    ok = isinstance(batch_size, int | np.integer) and not isinstance(batch_size, bool) and batch_size >= 1
    require(ok, f"batch_size={batch_size!r} must be an integer >= 1 (or null: full batch)")
    require(
        batch_size <= n_train,
        f"batch_size={batch_size} is larger than the training set (m = {n_train}); allowed: 1..{n_train}",
    )
    return int(batch_size)


class FiniteTrainer:
    """Compiled GD/SGD for one architecture at one depth, vmapped over configurations.

    Build once per (network, depth); :meth:`run` accepts any σ_w² values, learning rates and seeds with
    the same data shapes without recompiling. ``batch_size=None`` trains full batch; ``dtype`` is the
    training precision (see the module docstring).
    """

    def __init__(
        self,
        network: Network,
        depth: int,
        *,
        center: bool = True,
        batch_size: int | None = None,
        dtype: str = "float64",
    ):
        require(
            network.spec.parameterization == "ntk",
            f"model.parameterization={network.spec.parameterization!r}: networks trained for a whole σ_w²"
            " grid at once need 'ntk' (its parameters do not depend on σ_w, σ_b)",
        )
        require(isinstance(depth, int) and depth >= 0, f"depth={depth!r} must be an integer >= 0")
        require_choice("finite-width training dtype", dtype, DTYPES)
        self.network, self.depth, self.center = network, depth, center
        self.batch_size, self.dtype = batch_size, jnp.dtype(dtype)
        stem, block, head = network.pieces(1.0, 1.0)  # NTK parameterization: σ-independent draws
        self._inits = (stem[0], block[0], head[0])

        def apply(params, x, w_std, b_std):
            stem, block, head = network.pieces(w_std, b_std)
            p_stem, p_first, p_blocks, p_head = params
            h = stem[1](p_stem, x)
            if depth:
                h = block[1](p_first, h)  # the first block changes the width (its own parameter shapes)
            if depth > 1:
                h, _ = jax.lax.scan(lambda h, p: (block[1](p, h), None), h, p_blocks)
            return head[1](p_head, h)

        def loss(params, w_std, b_std, x, y, offset, scale):
            residual = apply(params, x, w_std, b_std) - offset - y
            return scale * 0.5 * jnp.sum(residual**2)

        def advance(params, w_std, b_std, lr, batch_key, x, y, offset, start, n_steps):
            optimizer = optax.sgd(lr)
            m = x.shape[0]
            b = m if self.batch_size is None else self.batch_size
            per_epoch = m // b

            def minibatch(i):
                if b == m:
                    return x, y, offset
                epoch, position = i // per_epoch, i % per_epoch
                order = jax.random.permutation(jax.random.fold_in(batch_key, epoch), m)
                idx = jax.lax.dynamic_slice(order, (position * b,), (b,))
                return x[idx], y[idx], offset[idx]

            def step(i, carry):
                p, state = carry
                xb, yb, ob = minibatch(i)
                grads = jax.grad(loss)(p, w_std, b_std, xb, yb, ob, jnp.asarray(m / b, x.dtype))
                updates, state = optimizer.update(grads, state, p)
                return optax.apply_updates(p, updates), state

            params, _ = jax.lax.fori_loop(start, start + n_steps, step, (params, optimizer.init(params)))
            return params

        batch = (0, 0, 0, 0, 0, None, None, 0, None, None)
        self._advance = jax.jit(jax.vmap(advance, in_axes=batch))
        self._apply = jax.jit(jax.vmap(apply, in_axes=(0, None, 0, 0)))

    def _init_one(self, key, input_shape):
        """Parameters of ``stax.serial(stem, block × depth, readout)`` from ``key`` (its key sequence), as
        (stem, block 1, blocks 2..depth stacked on a leading axis, readout)."""
        init_stem, init_block, init_head = self._inits
        key, sub = jax.random.split(key)
        shape, p_stem = init_stem(sub, input_shape)
        blocks = []
        for _ in range(self.depth):
            key, sub = jax.random.split(key)
            shape, p = init_block(sub, shape)
            blocks.append(p)
        key, sub = jax.random.split(key)
        _, p_head = init_head(sub, shape)
        first = blocks[0] if blocks else ()
        rest = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *blocks[1:]) if blocks[1:] else ()
        return (p_stem, first, rest, p_head)

    def init_params(self, seeds: Sequence[int], input_shape: tuple[int, ...]):
        """Parameters of each seed, stacked on a leading axis (``jax.random.PRNGKey(seed)``)."""
        keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
        params = jax.vmap(lambda key: self._init_one(key, input_shape))(keys)
        return jax.tree_util.tree_map(lambda p: p.astype(self.dtype), params)

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
        validate_batch_size(self.batch_size, len(x_train))
        dtype = self.dtype
        x_train = jnp.asarray(x_train, dtype)
        x_test = jnp.asarray(x_test, dtype)
        y_train = jnp.asarray(y_train, dtype)
        # flat configuration axis k = b·R + r
        w_std = jnp.repeat(jnp.sqrt(jnp.asarray(sigma_w2, jnp.float64)), r_count).astype(dtype)
        b_std = jnp.full(b_count * r_count, math.sqrt(sigma_b2), dtype)
        lr = jnp.repeat(jnp.asarray(learning_rates, jnp.float64), r_count).astype(dtype)
        seed_keys = [jax.random.fold_in(jax.random.PRNGKey(int(s)), BATCH_STREAM) for s in seeds]
        batch_keys = jnp.tile(jnp.stack(seed_keys), (b_count, 1))
        seed_params = self.init_params(seeds, x_train.shape)
        params = jax.tree_util.tree_map(lambda p: jnp.tile(p, (b_count,) + (1,) * (p.ndim - 1)), seed_params)
        outputs = partial(self._outputs, x_train=x_train, x_test=x_test, w_std=w_std, b_std=b_std)
        initial_train, initial_test = outputs(params, None, None)
        offset_train, offset_test = initial_train, initial_test
        if not self.center:
            offset_train, offset_test = jnp.zeros_like(offset_train), jnp.zeros_like(offset_test)
        train, test, done = [], [], 0
        for target in steps:
            if target > done:
                params = self._advance(
                    params,
                    w_std,
                    b_std,
                    lr,
                    batch_keys,
                    x_train,
                    y_train,
                    offset_train,
                    jnp.asarray(done),
                    jnp.asarray(target - done),
                )
                done = target
            f_train, f_test = outputs(params, offset_train, offset_test)
            train.append(np.asarray(f_train, np.float64))
            test.append(np.asarray(f_test, np.float64))

        def shaped(chunks: list[np.ndarray]) -> np.ndarray:
            stacked = np.stack(chunks, axis=1)  # (B·R, T, n, C)
            return stacked.reshape((b_count, r_count, *stacked.shape[1:]))

        train_out, test_out = shaped(train), shaped(test)
        bad = ~np.isfinite(train_out).all(axis=(3, 4)) | ~np.isfinite(test_out).all(axis=(3, 4))  # (B, R, T)
        diverged = bad.any(axis=2)
        first_bad = np.where(bad.any(axis=2), bad.argmax(axis=2), len(steps))
        after = np.arange(len(steps))[None, None, :] >= first_bad[:, :, None]
        train_out[after], test_out[after] = np.nan, np.nan
        step_array = np.asarray((*steps, -1))
        initial = [
            np.asarray(a, np.float64).reshape((b_count, r_count, *a.shape[1:]))
            for a in (initial_train, initial_test)
        ]
        return FiniteRun(steps, train_out, test_out, diverged, initial[0], initial[1], step_array[first_bad])

    def _outputs(self, params, offset_train, offset_test, *, x_train, x_test, w_std, b_std):
        f_train = self._apply(params, x_train, w_std, b_std)
        f_test = self._apply(params, x_test, w_std, b_std)
        if offset_train is None:
            return f_train, f_test
        return f_train - offset_train, f_test - offset_test
