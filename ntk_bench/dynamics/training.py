"""Optax training loops on the MSE loss ½·mean((f − Y)²), vectorised over seeds (and learning rates) by vmap.

- :class:`PairTrainer`: a network and its linearization (``neural_tangents.linearize`` around the same θ_0)
  trained side by side with the same optax optimizer, the same learning rate and (for SGD) the same
  minibatches. Training runs in jitted ``lax.scan`` segments so that callers can evaluate expensive quantities
  (the empirical NTK) between segments; every step records the deviation metrics of
  :mod:`ntk_bench.dynamics.deviation` and the fixed-kernel predictions of
  :mod:`ntk_bench.dynamics.linearization`.
- :class:`FullBatchRuns` / :func:`train_losses`: full-batch training of a network only, many (seed, learning
  rate) runs at once, for learning-rate sweeps. Divergent runs overflow to Inf/NaN in their own lane and never
  affect the others. Compiled once per (mode, steps) and reused across calls (bisection steps).

Vectorisation over runs (``vectorize``, :func:`over_runs`): ``vmap`` (one batched program) or ``loop``
(``lax.map``: the runs one after another inside one compiled program), or ``auto``: a timing probe on the
actual model and batch picks the faster, the same pattern as the empirical NTK's ``implementation="auto"``
(:mod:`ntk_bench.kernels.empirical`; its :class:`~ntk_bench.kernels.empirical.ProbeReport` is reused). Why
``loop`` exists: under ``vmap`` every per-run weight matrix turns the layer's matmul into a *batched* dot, and
on XLA CPU (jaxlib 0.4.25) a batched dot is slower per FLOP than the Eigen GEMM of an unbatched one: measured
here on a width-1024 FCN, 8 runs × 30 GD steps, vmap 1.3-1.4× slower than ``lax.map`` even single-threaded
(``xla_cpu_multi_thread_eigen=false``, one core), i.e. not a threading effect. On an accelerator batched
dots are what vmap is for. Both modes run the same operations per run; results agree to round-off (tested).

Optimizers: ``gd`` (full batch) and ``sgd`` (minibatches of ``batch_size`` drawn without replacement, a fresh
draw each step from the seed's key), both ``optax.sgd(learning_rate, momentum)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ntk_bench.dynamics.deviation import mse_loss, output_deviation, parameter_change
from ntk_bench.dynamics.linearization import KernelModel, kernel_predictions, linearize
from ntk_bench.errors import require, require_choice
from ntk_bench.kernels.empirical import ProbeReport, _shape_key, best_call_time

OPTIMIZERS = ("gd", "sgd")
MODES = ("vmap", "loop")
VECTORIZE = (*MODES, "auto")
PROBE_STEPS = 4  # training steps timed by the ``auto`` probe (1 step was dominated by per-call overhead)

ApplyFn = Callable[[Any, jax.Array], jax.Array]


@dataclass(frozen=True)
class OptimizerSpec:
    """``gd`` or ``sgd`` with a learning rate, an SGD batch size and an optional momentum."""

    name: str
    learning_rate: float
    batch_size: int | None = None
    momentum: float | None = None

    def __post_init__(self) -> None:
        require_choice("optimizer", self.name, OPTIMIZERS)
        require(
            np.isfinite(self.learning_rate) and self.learning_rate > 0,
            f"learning rate {self.learning_rate!r} must be a finite number > 0",
        )
        if self.name == "sgd":
            require(
                isinstance(self.batch_size, int) and self.batch_size >= 1,
                f"sgd needs an integer batch_size >= 1, got {self.batch_size!r}",
            )
        if self.momentum is not None:
            require(0 <= self.momentum < 1, f"momentum={self.momentum!r} must be in [0, 1)")

    def transform(self, learning_rate: Any = None) -> optax.GradientTransformation:
        lr = self.learning_rate if learning_rate is None else learning_rate
        return optax.sgd(lr, momentum=self.momentum)


def over_runs(fn: Callable, mode: str) -> Callable:
    """``fn`` applied along the leading (run) axis of every argument: ``vmap`` batches the runs into one
    program (batched matmuls); ``loop`` is ``lax.map`` (runs in sequence in one compiled program, unbatched
    matmuls). Same operations per run either way (module docstring)."""
    require_choice("vectorize mode", mode, MODES)
    if mode == "vmap":
        return jax.vmap(fn)
    return lambda *args: jax.lax.map(lambda a: fn(*a), args)


def probe_vectorize(thunks: Mapping[str, Callable[[], Any]], repeats: int = 2) -> ProbeReport:
    """Time each zero-argument ``thunks[mode]`` (first call compiles and is not timed; then best of
    ``repeats``) and choose the fastest: the empirical NTK's ``auto`` probe applied to vectorisation modes."""
    start = time.perf_counter()
    report = ProbeReport(chosen="")
    for mode, thunk in thunks.items():
        report.probe_times[mode] = best_call_time(thunk, repeats)
    report.chosen = min(report.probe_times, key=report.probe_times.get)
    report.seconds = time.perf_counter() - start
    return report


class Vectorizer:
    """Resolves ``vectorize`` (``vmap`` | ``loop`` | ``auto``); ``auto`` probes once per shape key
    (:func:`probe_vectorize`) and keeps the reports in :attr:`probes`."""

    def __init__(self, vectorize: str = "vmap", probe_repeats: int = 3):
        require_choice("vectorize", vectorize, VECTORIZE)
        self.vectorize = vectorize
        self.probe_repeats = probe_repeats
        self.probes: list[ProbeReport] = []
        self._choice: dict[Any, str] = {}

    def resolve(self, key: Any, thunk_for: Callable[[str], Callable[[], Any]]) -> str:
        """The mode for computations with shape ``key``; ``thunk_for(mode)``: a short representative call."""
        if self.vectorize != "auto":
            return self.vectorize
        if key not in self._choice:
            report = probe_vectorize({m: thunk_for(m) for m in MODES}, self.probe_repeats)
            self.probes.append(report)
            self._choice[key] = report.chosen
        return self._choice[key]

    def chosen(self) -> list[str]:
        """The modes chosen so far (the fixed mode when not ``auto``)."""
        return list(self._choice.values()) if self.vectorize == "auto" else [self.vectorize]


class TrainData(NamedTuple):
    """Inputs (already in the module's layout) and targets, float64."""

    x_train: jax.Array
    y_train: jax.Array
    x_test: jax.Array
    y_test: jax.Array


class PairState(NamedTuple):
    """Per-seed state of a :class:`PairTrainer` run (every leaf has a leading seed axis)."""

    params: Any
    opt_state: Any
    lin_params: Any
    lin_opt_state: Any
    params0: Any
    f0_train: jax.Array
    f0_test: jax.Array
    key: jax.Array
    step: jax.Array
    own_kernel: KernelModel | None = None


def flat_kernel_model(k_train: np.ndarray, k_test_train: np.ndarray, y_train: Any) -> KernelModel:
    """A :class:`KernelModel` over all m·k outputs from full empirical kernels of shape (n1, n2, k, k):
    outputs flattened sample-major (index i·k + a, as ``f.reshape(-1)``), targets as one column."""
    n1, n2, k, _ = k_train.shape
    full = k_train.transpose(0, 2, 1, 3).reshape(n1 * k, n2 * k)
    n3 = k_test_train.shape[0]
    cross = k_test_train.transpose(0, 2, 1, 3).reshape(n3 * k, n2 * k)
    return KernelModel.from_kernels(full, cross, np.asarray(y_train).reshape(-1, 1))


def init_seeds(init_fn: Callable[[jax.Array, jax.Array], Any], seeds: Any, x: jax.Array) -> Any:
    """Variables for each seed in ``seeds`` (``PRNGKey(seed)``), stacked on a leading axis with vmap."""
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds, dtype=jnp.uint32))
    return jax.vmap(lambda key: init_fn(key, x))(keys)


def unstack(tree: Any, index: int) -> Any:
    """Seed ``index`` of a seed-stacked pytree."""
    return jax.tree_util.tree_map(lambda leaf: leaf[index], tree)


class PairTrainer:
    """Trains ``apply_fn`` and its linearization side by side, vmapped over seeds.

    Args:
        apply_fn: ``f(variables, x)``.
        data: train/test inputs and targets.
        optimizer: the optimizer (shared by both models).
        layers: top-level layer names for the per-layer parameter change.
        kernel: a fixed kernel (e.g. the analytic NTK) whose closed-form predictions are tracked, or
            ``None``: gradient flow (``flow_*``, ``dev_flow_*``: the kernel-regime closed form) and discrete
            GD with the same step (``kgd_*``, ``dev_kgd_*``), both full batch and from the network's own f_0.
        vectorize: how seeds are vectorised (``vmap`` | ``loop`` | ``auto``, see :func:`over_runs`); ``auto``
            times a ``PROBE_STEPS``-step segment in both modes on the first state it trains
            (:attr:`vectorizer`).
    """

    def __init__(
        self,
        apply_fn: ApplyFn,
        data: TrainData,
        optimizer: OptimizerSpec,
        layers: list[str],
        kernel: KernelModel | None = None,
        vectorize: str = "vmap",
    ):
        m = data.x_train.shape[0]
        if optimizer.name == "sgd":
            require(
                optimizer.batch_size is not None and optimizer.batch_size <= m,
                f"sgd batch_size={optimizer.batch_size} exceeds the {m} training examples",
            )
        self.apply_fn = apply_fn
        self.data = data
        self.optimizer = optimizer
        self.layers = list(layers)
        self.kernel = kernel
        self._tx = optimizer.transform()
        self.vectorizer = Vectorizer(vectorize)
        self._segments: dict[tuple[str, int], Callable] = {}
        self._metrics = {m: jax.jit(over_runs(self._seed_metrics, m)) for m in MODES}
        self._init = jax.jit(jax.vmap(self._seed_init))

    def init(self, variables0: Any, seeds: Any, own_kernels: KernelModel | None = None) -> PairState:
        """The initial state for seed-stacked ``variables0``; ``seeds`` also key the SGD minibatches.

        ``own_kernels`` (seed-stacked, optional): each seed's full empirical NTK at init over all m·k outputs
        (:func:`flat_kernel_model`). It is the linearization's exact kernel, so its closed forms are tracked
        too: ``dev_lin_owngd_*_rel`` (discrete GD: equal to the trained linearization up to round-off when
        the optimizer is plain full-batch GD), ``dev_lin_ownflow_*_rel`` (gradient flow) and
        ``discretization_*_rel`` = ‖GD closed form − flow closed form‖/‖GD closed form‖.
        """
        keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.PRNGKey(s), 0x5D6))(
            jnp.asarray(seeds, dtype=jnp.uint32)
        )
        return self._init(variables0, keys, own_kernels)

    def _seed_init(self, variables0: Any, key: jax.Array, own_kernel: KernelModel | None) -> PairState:
        d = self.data
        return PairState(
            variables0,
            self._tx.init(variables0),
            variables0,
            self._tx.init(variables0),
            variables0,
            self.apply_fn(variables0, d.x_train),
            self.apply_fn(variables0, d.x_test),
            key,
            jnp.zeros((), jnp.int32),
            own_kernel,
        )

    def mode(self, state: PairState) -> str:
        """The vectorisation mode for states shaped like ``state`` (probed once for ``auto``)."""
        return self.vectorizer.resolve(
            _shape_key(state.params, np.asarray(self.data.x_train)),
            lambda mode: lambda: self._segment(PROBE_STEPS, mode)(state),
        )

    def metrics(self, state: PairState) -> dict[str, np.ndarray]:
        """Metrics of the current state, one value per seed."""
        return {k: np.asarray(v) for k, v in self._metrics[self.mode(state)](state).items()}

    def _seed_metrics(self, state: PairState) -> dict[str, jax.Array]:
        d, f = self.data, self.apply_fn
        lin = linearize(f, state.params0)
        f_train, f_test = f(state.params, d.x_train), f(state.params, d.x_test)
        l_train, l_test = lin(state.lin_params, d.x_train), lin(state.lin_params, d.x_test)
        out = {
            "train_loss": mse_loss(f_train, d.y_train),
            "test_loss": mse_loss(f_test, d.y_test),
            "train_loss_lin": mse_loss(l_train, d.y_train),
            "test_loss_lin": mse_loss(l_test, d.y_test),
        }
        out["dev_train"], out["dev_train_rel"] = output_deviation(f_train, l_train)
        out["dev_test"], out["dev_test_rel"] = output_deviation(f_test, l_test)
        for name, value in parameter_change(state.params, state.params0, self.layers).items():
            out[f"weight_change/{name}"] = value
        out["weight_change_lin/total"] = parameter_change(state.lin_params, state.params0, self.layers)[
            "total"
        ]
        if self.kernel is not None:
            for kind, prefix in (("flow", "flow"), ("gd", "kgd")):
                k_train, k_test = kernel_predictions(
                    self.kernel, state.f0_train, state.f0_test, self.optimizer.learning_rate, state.step, kind
                )
                out[f"{prefix}_train_loss"] = mse_loss(k_train, d.y_train)
                out[f"{prefix}_test_loss"] = mse_loss(k_test, d.y_test)
                out[f"dev_{prefix}_train"] = output_deviation(f_train, k_train)[0]
                out[f"dev_{prefix}_test"] = output_deviation(f_test, k_test)[0]
                out[f"dev_lin_{prefix}_train"] = output_deviation(l_train, k_train)[0]
        if state.own_kernel is not None:
            out.update(self._own_kernel_metrics(state, l_train, l_test))
        return out

    def _own_kernel_metrics(self, state: PairState, l_train: jax.Array, l_test: jax.Array) -> dict:
        flat = [a.reshape(-1, 1) for a in (state.f0_train, state.f0_test, l_train, l_test)]
        lr = self.optimizer.learning_rate
        gd = kernel_predictions(state.own_kernel, flat[0], flat[1], lr, state.step, "gd")
        flow = kernel_predictions(state.own_kernel, flat[0], flat[1], lr, state.step, "flow")
        out = {}
        for i, split in enumerate(("train", "test")):
            out[f"dev_lin_owngd_{split}_rel"] = output_deviation(gd[i], flat[2 + i])[1]
            out[f"dev_lin_ownflow_{split}_rel"] = output_deviation(flow[i], flat[2 + i])[1]
            out[f"discretization_{split}_rel"] = output_deviation(flow[i], gd[i])[1]
        return out

    def _seed_step(self, state: PairState) -> PairState:
        d, f = self.data, self.apply_fn
        x, y = d.x_train, d.y_train
        if self.optimizer.name == "sgd":
            batch = jax.random.choice(
                jax.random.fold_in(state.key, state.step),
                x.shape[0],
                (self.optimizer.batch_size,),
                replace=False,
            )
            x, y = x[batch], y[batch]
        lin = linearize(f, state.params0)
        grad = jax.grad(lambda p: mse_loss(f(p, x), y))(state.params)
        lin_grad = jax.grad(lambda p: mse_loss(lin(p, x), y))(state.lin_params)
        updates, opt_state = self._tx.update(grad, state.opt_state, state.params)
        lin_updates, lin_opt_state = self._tx.update(lin_grad, state.lin_opt_state, state.lin_params)
        return state._replace(
            params=optax.apply_updates(state.params, updates),
            opt_state=opt_state,
            lin_params=optax.apply_updates(state.lin_params, lin_updates),
            lin_opt_state=lin_opt_state,
            step=state.step + 1,
        )

    def _segment(self, steps: int, mode: str) -> Callable:
        if (mode, steps) not in self._segments:

            def run(state: PairState):
                def body(carry, _):
                    carry = self._seed_step(carry)
                    return carry, self._seed_metrics(carry)

                return jax.lax.scan(body, state, None, length=steps)

            self._segments[(mode, steps)] = jax.jit(over_runs(run, mode))
        return self._segments[(mode, steps)]

    def advance(self, state: PairState, steps: int) -> tuple[PairState, dict[str, np.ndarray]]:
        """Train ``steps`` steps; metrics after each step, arrays of shape (seeds, steps)."""
        state, metrics = self._segment(int(steps), self.mode(state))(state)
        return state, {k: np.asarray(v) for k, v in metrics.items()}


class FullBatchRuns:
    """Full-batch GD (``optax.sgd(lr, momentum)``) of one network on ``(x, y)`` for ``steps`` steps, many
    runs at once: run i starts from ``variables[i]`` (stacked) with ``learning_rates[i]``; runs go in chunks
    of ``max_parallel``, vectorised by ``vectorize`` (:func:`over_runs`; ``auto`` probes ``probe_steps``-step
    runs on the first chunk of each shape). The compiled programs are kept, so repeated calls (grid, then
    bisection) compile once."""

    def __init__(
        self,
        apply_fn: ApplyFn,
        x: jax.Array,
        y: jax.Array,
        steps: int,
        momentum: float | None = None,
        max_parallel: int = 64,
        vectorize: str = "vmap",
        probe_steps: int = PROBE_STEPS,
    ):
        self.apply_fn, self.x, self.y = apply_fn, jnp.asarray(x), jnp.asarray(y)
        self.steps, self.momentum, self.max_parallel = int(steps), momentum, int(max_parallel)
        self.probe_steps = max(1, min(int(probe_steps), self.steps))
        self.vectorizer = Vectorizer(vectorize)
        self._compiled: dict[tuple[str, int, bool], Callable] = {}

    def _run(self, steps: int) -> Callable:
        apply_fn, x, y, momentum = self.apply_fn, self.x, self.y, self.momentum

        def run(params: Any, lr: jax.Array) -> tuple[jax.Array, Any]:
            tx = optax.sgd(lr, momentum=momentum)

            def loss_fn(p: Any) -> jax.Array:
                return mse_loss(apply_fn(p, x), y)

            def body(carry, _):
                p, opt_state = carry
                loss, grad = jax.value_and_grad(loss_fn)(p)
                updates, opt_state = tx.update(grad, opt_state, p)
                return (optax.apply_updates(p, updates), opt_state), loss

            (final, _), losses = jax.lax.scan(body, (params, tx.init(params)), None, length=steps)
            return jnp.concatenate([losses, loss_fn(final)[None]]), final

        return run

    def _batched(self, mode: str, steps: int, keep_params: bool) -> Callable:
        key = (mode, steps, keep_params)
        if key not in self._compiled:
            run = self._run(steps)
            fn = run if keep_params else (lambda p, lr: run(p, lr)[0])
            self._compiled[key] = jax.jit(over_runs(fn, mode))
        return self._compiled[key]

    def __call__(self, variables: Any, learning_rates: Any, keep_params: bool = False) -> Any:
        """Losses (runs, steps + 1); with ``keep_params`` also the final variables, stacked like the input."""
        lrs = np.asarray(learning_rates, dtype=np.float64)
        n = len(lrs)
        size = min(n, self.max_parallel)
        losses, finals = [], []
        for start in range(0, n, size):
            # the last chunk is padded with copies of run 0, so every chunk has one shape (one compilation)
            index = np.arange(start, start + size)
            index[index >= n] = 0
            chunk = jax.tree_util.tree_map(lambda leaf, index=index: leaf[index], variables)
            chunk_lrs = jnp.asarray(lrs[index])
            mode = self.vectorizer.resolve(
                _shape_key(chunk, np.asarray(self.x)),
                lambda m, chunk=chunk, chunk_lrs=chunk_lrs: lambda: self._batched(m, self.probe_steps, False)(
                    chunk, chunk_lrs
                ),
            )
            out = self._batched(mode, self.steps, keep_params)(chunk, chunk_lrs)
            keep = min(size, n - start)
            if keep_params:
                losses.append(np.asarray(out[0])[:keep])
                finals.append(jax.tree_util.tree_map(lambda leaf, keep=keep: leaf[:keep], out[1]))
            else:
                losses.append(np.asarray(out)[:keep])
        loss = np.concatenate(losses)
        if not keep_params:
            return loss
        return loss, jax.tree_util.tree_map(lambda *leaves: jnp.concatenate(leaves), *finals)


def train_losses(
    apply_fn: ApplyFn,
    variables: Any,
    x: jax.Array,
    y: jax.Array,
    learning_rates: Any,
    steps: int,
    momentum: float | None = None,
    max_parallel: int = 64,
    vectorize: str = "vmap",
) -> np.ndarray:
    """Full-batch training losses (runs, steps + 1) of many runs (one-off :class:`FullBatchRuns`)."""
    return FullBatchRuns(apply_fn, x, y, steps, momentum, max_parallel, vectorize)(variables, learning_rates)


def stack_for_runs(variables: Any, repeats: int) -> Any:
    """Repeat seed-stacked variables so that run r = (seed r // repeats, grid point r % repeats)."""
    return jax.tree_util.tree_map(lambda leaf: jnp.repeat(leaf, repeats, axis=0), variables)
