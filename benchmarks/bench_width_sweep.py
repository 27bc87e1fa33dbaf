"""Width sweep of ``lee2019_linearization``: seeds vectorised with ``vmap`` / ``lax.map`` vs a Python loop.

Part 1 (``lee2019_linearization``): one training segment of the network and its linearization side by side
(``PairTrainer.advance``, GD, every per-step metric and the kernel predictions), 8 seeds, at two widths.
Ours, twice: one call vectorised over the 8 seeds with ``vectorize="vmap"`` (batched matmuls) and with
``vectorize="loop"`` (``lax.map``: the seeds in sequence inside one compiled program, unbatched GEMMs); the
``auto`` probe's choice is recorded in the details. Baseline: the same trainer on one seed at a time from
Python (compiled once, reused for every seed; ``loop`` mode, so the single-seed program has no batch axis:
vmap over a batch of 1 still emits batched dots). All compile before timing, and all give the same numbers
(asserted).

Part 2 (``lr_threshold``): ``FullBatchRuns`` (full-batch GD losses only), 8 runs × 30 steps of a width-1024
FCN, ``vmap`` and ``loop`` against the same runner called on one run at a time from Python.

Why vmap can lose on CPU: the per-seed weights turn every layer's matmul into a batched dot, which XLA CPU
(jaxlib 0.4.25) runs slower per FLOP than the Eigen GEMM of an unbatched dot; measured on a width-1024 FCN
(8 runs × 30 GD steps) vmap was 1.3-1.4× slower than ``lax.map`` even on one core with Eigen threading off,
so it is not a threading effect. Target (issue 5): report both ratios; the experiments' ``vectorize: auto``
must pick the faster.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.common import BenchmarkResult, compare
from ntk_bench.data import load_dataset
from ntk_bench.dynamics.deviation import layer_names
from ntk_bench.dynamics.learning_rates import critical_learning_rate
from ntk_bench.dynamics.linearization import KernelModel
from ntk_bench.dynamics.training import (
    FullBatchRuns,
    OptimizerSpec,
    PairTrainer,
    TrainData,
    init_seeds,
    unstack,
)
from ntk_bench.experiment.finite_width import analytic_ntk
from ntk_bench.model.flax_models import flax_model_from_config

SEEDS = 8
STEPS = 20
WIDTHS = (64, 256)
GD_WIDTH, GD_RUNS, GD_STEPS = 1024, 8, 30


def _trainer(width: int, vectorize: str):
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
        model.apply,
        train_data,
        OptimizerSpec("gd", lr),
        layer_names(unstack(variables, 0)),
        kernel,
        vectorize=vectorize,
    )
    return trainer, variables


def run() -> list[BenchmarkResult]:
    results = []
    for width in WIDTHS:
        trainers = {mode: _trainer(width, mode) for mode in ("vmap", "loop", "auto")}
        single, variables = trainers["loop"]
        singles = [
            single.init(jax.tree_util.tree_map(lambda leaf, i=i: leaf[i : i + 1], variables), [i])
            for i in range(SEEDS)
        ]

        def looped(states=singles, trainer=single):
            return [trainer.advance(state, STEPS)[1] for state in states]

        reference = looped()
        auto, _ = trainers["auto"]
        auto.advance(auto.init(variables, np.arange(SEEDS)), 1)  # runs the probe
        probe = auto.vectorizer.probes[0].to_dict()
        for mode, label in (("vmap", "vmap over seeds"), ("loop", "lax.map over seeds")):
            trainer, _ = trainers[mode]
            state = trainer.init(variables, np.arange(SEEDS))

            def vectorised(state=state, trainer=trainer):
                return trainer.advance(state, STEPS)[1]

            got = vectorised()  # same numbers either way
            for key in got:
                np.testing.assert_allclose(
                    got[key], np.concatenate([m[key] for m in reference]), rtol=1e-8, atol=1e-12
                )
            results.append(
                compare(
                    f"lee2019 width {width}: {SEEDS} seeds x {STEPS} steps, {mode}",
                    (label, vectorised),
                    ("Python loop over seeds", looped),
                    repeats=3,
                    target="report; auto picks the faster mode",
                    details={"auto_probe": probe, "auto_chosen": probe["chosen"]},
                )
            )
    return results + full_batch_runs()


def full_batch_runs() -> list[BenchmarkResult]:
    """Part 2 of the module docstring."""
    data = load_dataset({"name": "digits", "n_train": 32, "n_test": 0})
    cfg = {"name": "fcn", "depth": 2, "width": GD_WIDTH, "activation": "erf", "sigma_w2": 1.5}
    model = flax_model_from_config({**cfg, "sigma_b2": 0.05}, spatial_ndim=2, out_dim=10)
    x, y = model.prepare(data.x_train), jnp.asarray(data.y_train)
    variables = init_seeds(model.init, np.arange(GD_RUNS), x)
    lrs = np.linspace(0.2, 0.8, GD_RUNS)
    runners = {m: FullBatchRuns(model.apply, x, y, GD_STEPS, vectorize=m) for m in ("vmap", "loop", "auto")}
    one = FullBatchRuns(model.apply, x, y, GD_STEPS, max_parallel=1, vectorize="loop")

    def looped():
        return one(variables, lrs)  # max_parallel=1: one compiled single-run program, called per run

    reference = looped()
    runners["auto"](variables, lrs)
    probe = runners["auto"].vectorizer.probes[0].to_dict()
    results = []
    for mode in ("vmap", "loop"):

        def vectorised(runner=runners[mode]):
            return runner(variables, lrs)

        np.testing.assert_allclose(vectorised(), reference, rtol=1e-10)
        results.append(
            compare(
                f"lr_threshold GD width {GD_WIDTH}: {GD_RUNS} runs x {GD_STEPS} steps, {mode}",
                (f"{mode} over runs", vectorised),
                ("Python loop over runs", looped),
                repeats=2,
                target="report; auto picks the faster mode",
                details={"auto_probe": probe, "auto_chosen": probe["chosen"]},
            )
        )
    return results
