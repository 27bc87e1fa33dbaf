"""Width sweep of ``lee2019_linearization``: seeds vectorised with ``vmap`` vs a Python loop over seeds.

One training segment of the network and its linearization side by side (``PairTrainer.advance``, GD, every
per-step metric and the kernel predictions), 8 seeds, at two widths. Ours: one call vmapped over the 8 seeds.
Baseline: the same trainer on one seed at a time (compiled once, reused for every seed). Both compile before
timing. Target (issue 5): report the ratio; vmap should not be slower.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.common import BenchmarkResult, compare
from ntk_bench.architectures.flax_models import flax_model_from_config
from ntk_bench.data import load_dataset
from ntk_bench.dynamics.deviation import layer_names
from ntk_bench.dynamics.linearization import KernelModel, critical_learning_rate
from ntk_bench.dynamics.training import OptimizerSpec, PairTrainer, TrainData, init_seeds, unstack
from ntk_bench.experiments.finite_width import analytic_ntk

SEEDS = 8
STEPS = 20
WIDTHS = (64, 256)


def _trainer(width: int):
    data = load_dataset({"name": "digits", "n_train": 32, "n_test": 32})
    cfg = {"name": "fcn", "depth": 2, "width": width, "activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.05}
    model = flax_model_from_config(cfg, spatial_ndim=2, out_dim=10)
    x, x_test = model.prepare(data.x_train), model.prepare(data.x_test)
    k_train = analytic_ntk(model, data, data.x_train)
    kernel = KernelModel.from_kernels(
        k_train, analytic_ntk(model, data, data.x_test, data.x_train), data.y_train
    )
    lr = 0.3 * critical_learning_rate(float(np.linalg.eigvalsh(k_train)[-1]), data.y_train.size)
    variables = init_seeds(model.init, np.arange(SEEDS), x)
    train_data = TrainData(x, jnp.asarray(data.y_train), x_test, jnp.asarray(data.y_test))
    trainer = PairTrainer(
        model.apply, train_data, OptimizerSpec("gd", lr), layer_names(unstack(variables, 0)), kernel
    )
    return trainer, variables


def run() -> list[BenchmarkResult]:
    results = []
    for width in WIDTHS:
        trainer, variables = _trainer(width)
        batched = trainer.init(variables, np.arange(SEEDS))
        singles = [
            trainer.init(jax.tree_util.tree_map(lambda leaf, i=i: leaf[i : i + 1], variables), [i])
            for i in range(SEEDS)
        ]

        def vmapped(state=batched, trainer=trainer):
            return trainer.advance(state, STEPS)[1]

        def looped(states=singles, trainer=trainer):
            return [trainer.advance(state, STEPS)[1] for state in states]

        a, b = vmapped(), looped()  # same numbers either way
        for key in a:
            np.testing.assert_allclose(a[key], np.concatenate([m[key] for m in b]), rtol=1e-8, atol=1e-12)
        results.append(
            compare(
                f"lee2019 width {width}: {SEEDS} seeds x {STEPS} steps (net + linearization)",
                ("vmap over seeds", vmapped),
                ("Python loop over seeds", looped),
                repeats=3,
                target="report; vmap ≥ 1×",
            )
        )
    return results
