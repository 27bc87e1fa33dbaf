"""Xiao et al. 2020 heat maps: the authors' full grid end to end, and vmapped finite-width training.

1. ``experiment=xiao2020_fcn_full`` (40 σ_w² × depths {0..9} ∪ {10, 15, …, 105} × 5 times, m_train = 256,
   m_test = 1000 on MNIST-1D, which ships 1000 test signals; infinite width only) through the experiment
   function, against a per-(σ_w², depth) loop that rebuilds the stax network and its kernel for every cell
   (then the same eigendecomposition and gradient-flow predictions). The loop would take many minutes, so it
   is timed on ``BASELINE_COLUMNS`` σ_w² column(s) (all depths) and extrapolated linearly to 40 columns
   (every column has the same depths and cost; stated in the details). Issue target: < 60 s on 2 cores and
   ≥ 10× faster than the loop.
2. Finite-width training of 16 configurations (4 σ_w² × 4 seeds; FCN erf, depth 3, 128 digits, 64 full-batch
   GD steps) at each width of ``FINITE_WIDTHS`` (the trainer behind
   ``experiment=schoenholz2017_trainability``): one vmapped, compiled trainer vs a Python loop over the
   configurations that builds each stax network with its σ_w² (``Network``), jits its GD step and steps it, as
   one would without σ as a traced argument. Both timed end to end, compilation included. Target ≥ 5×. A
   second line per width compares the steady state (both compiled) against a loop that reuses the σ-traced
   single-configuration trainer: how much of the gain is compilation and dispatch vs batching. On 2 CPU cores
   vmapping cannot add parallelism beyond what XLA already uses, so the gain shrinks as the per-step
   arithmetic grows with width.
3. The cost of the diagonal pin (the σ-traced pass has it since the kernel pass became one): the training
   kernels of the full grid's 40 columns with and without it. Target: ≤ 5%.
"""

from __future__ import annotations

import time
from pathlib import Path
from tempfile import TemporaryDirectory

import jax
import numpy as np
import optax
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from benchmarks.common import BenchmarkResult, best_time, compare
from ntk_bench.cli import CONF_DIR
from ntk_bench.data import load_dataset
from ntk_bench.dynamics.finite_training import FiniteTrainer
from ntk_bench.dynamics.kernel_regression import accuracy, critical_learning_rate, gradient_flow
from ntk_bench.experiment.xiao2020 import load_data, parse_experiment_config, run_xiao2020
from ntk_bench.kernels import KernelPass
from ntk_bench.model import Network, model_spec_from_config
from ntk_bench.spectra import symmetric_eigh

BASELINE_COLUMNS = 1
FULL_OVERRIDES = [
    "experiment=xiao2020_fcn_full",
    "data=mnist1d",
    "tracker=none",
]


def _full_config() -> dict:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return OmegaConf.to_container(compose(config_name="config", overrides=FULL_OVERRIDES), resolve=True)


def bench_full_grid() -> BenchmarkResult:
    cfg = _full_config()
    xc = parse_experiment_config(cfg["experiment"])
    with TemporaryDirectory() as tmp:
        start = time.perf_counter()
        output = run_xiao2020(cfg, Path(tmp))
        ours_s = time.perf_counter() - start
    summary = output.results.summary

    data, _ = load_data(cfg["data"])
    data = data.flat()
    spec = model_spec_from_config({**cfg["model"], "name": "fcn", "depth": 1, "sigma_b2": xc.sigma_b2})
    columns = [xc.sigma_w2[len(xc.sigma_w2) // 2 + i] for i in range(BASELINE_COLUMNS)]

    def rebuild_every_cell() -> None:
        for sigma_w2 in columns:
            network = Network(model_spec_from_config({**spec.__dict__, "sigma_w2": sigma_w2}), 0)
            for depth in xc.depths:
                kernel_fn = network.at_depth(depth)[2]
                train = np.asarray(kernel_fn(data.x_train, None, "ntk"))
                test = np.asarray(kernel_fn(data.x_test, data.x_train, "ntk"))
                decomposition = symmetric_eigh(train)
                eta = critical_learning_rate(decomposition.eigenvalues[0])
                f_train, f_test = gradient_flow(decomposition, data.y_train, eta, xc.times, test)
                accuracy(f_train, data.labels_train), accuracy(f_test, data.labels_test)

    measured = best_time(rebuild_every_cell, 1)
    baseline_s = measured * len(xc.sigma_w2) / len(columns)
    return BenchmarkResult(
        name=(
            f"xiao2020 full grid {len(xc.sigma_w2)}σ×{len(xc.depths)}d×{len(xc.times)}t"
            f" m={data.n_train}/{data.n_test}"
        ),
        ours="run_xiao2020 end to end",
        baseline="rebuild kernel per (σ_w², depth) cell",
        ours_s=ours_s,
        baseline_s=baseline_s,
        target="< 60 s and ≥ 10×",
        details={
            "data": f"{data.name} m_train={data.n_train} m_test={data.n_test}",
            "baseline_measured_s": measured,
            "baseline_columns_timed": columns,
            "baseline_extrapolation": f"linear: measured × {len(xc.sigma_w2)}/{len(columns)} columns",
            "ours_timing_s": summary["fcn"]["timing_s"],
            "ours_total_s": summary["timing_s"]["total"],
            "crosscheck_max_rel_error": summary["fcn"]["crosscheck_max_rel_error"],
        },
    )


# ---------------------------------------------------------------------------------------- finite width

SIGMAS = [0.8, 1.4, 2.0, 2.6]
SEEDS = [0, 1, 2, 3]
FINITE_WIDTHS = (32, 128)
DEPTH, STEPS, M = 3, 64, 128


def _finite_setup(width: int):
    data = load_dataset({"name": "digits", "n_train": M, "n_test": M}).flat()
    spec = model_spec_from_config(
        {
            "name": "fcn",
            "depth": DEPTH,
            "width": width,
            "activation": "erf",
            "sigma_w2": 1.0,
            "sigma_b2": 0.18,
        }
    )
    lrs = [0.5 / M / s for s in SIGMAS]  # any fixed stable rates: both sides use the same ones
    return data, spec, lrs


def _loop_of_stax_networks(data, spec, lrs) -> list[np.ndarray]:
    outputs = []
    for sigma_w2, lr in zip(SIGMAS, lrs, strict=True):
        for seed in SEEDS:
            fixed = model_spec_from_config({**spec.__dict__, "sigma_w2": sigma_w2})
            init_fn, apply_fn, _ = Network(fixed, 0, out_dim=data.num_classes).at_depth(DEPTH)
            _, params = init_fn(jax.random.PRNGKey(seed), data.x_train.shape)
            optimizer = optax.sgd(lr)
            state = optimizer.init(params)

            @jax.jit
            def step(params, state, apply_fn=apply_fn, optimizer=optimizer):
                grads = jax.grad(lambda p: 0.5 * ((apply_fn(p, data.x_train) - data.y_train) ** 2).sum())(
                    params
                )
                updates, state = optimizer.update(grads, state, params)
                return optax.apply_updates(params, updates), state

            for _ in range(STEPS):
                params, state = step(params, state)
            outputs.append(np.asarray(apply_fn(params, data.x_test)))
    return outputs


def bench_finite(width: int) -> list[BenchmarkResult]:
    data, spec, lrs = _finite_setup(width)
    network = Network(spec, 0, out_dim=data.num_classes)
    args = (data.x_train, data.y_train, data.x_test, SIGMAS, 0.18, lrs, SEEDS, [STEPS])

    def vmapped_cold():
        return FiniteTrainer(network, DEPTH, center=False).run(*args).test

    def loop_cold():
        return _loop_of_stax_networks(data, spec, lrs)

    vmapped_cold()  # warm the process (TF/XLA init), not the compile caches of the trainer itself
    ours_s = best_time(vmapped_cold, 2)
    baseline_s = best_time(loop_cold, 1)
    ours = vmapped_cold()
    loop = np.stack(loop_cold()).reshape(ours.shape[:2] + ours.shape[3:])
    max_diff = float(np.abs(ours[:, :, 0] - loop).max() / np.abs(loop).max())

    trainer = FiniteTrainer(network, DEPTH, center=False)
    trainer.run(*args)
    single = FiniteTrainer(network, DEPTH, center=False)
    single.run(data.x_train, data.y_train, data.x_test, SIGMAS[:1], 0.18, lrs[:1], SEEDS[:1], [STEPS])

    def loop_warm():
        for sigma_w2, lr in zip(SIGMAS, lrs, strict=True):
            for seed in SEEDS:
                single.run(data.x_train, data.y_train, data.x_test, [sigma_w2], 0.18, [lr], [seed], [STEPS])

    warm_ours = best_time(lambda: trainer.run(*args), 3)
    warm_loop = best_time(loop_warm, 2)
    name = f"finite width 16 configs (FCN n={width}, depth {DEPTH}, m={M}, {STEPS} GD steps)"
    return [
        BenchmarkResult(
            name=name,
            ours="vmapped σ-traced trainer (incl. compile)",
            baseline="loop: build+jit stax net per config",
            ours_s=ours_s,
            baseline_s=baseline_s,
            target="≥ 5×",
            details={"max_rel_diff_vmapped_vs_loop_outputs": max_diff},
        ),
        BenchmarkResult(
            name=name + ", steady state",
            ours="vmapped trainer, compiled",
            baseline="loop of compiled single-config trainer",
            ours_s=warm_ours,
            baseline_s=warm_loop,
            target="(context: batching gain alone on this CPU)",
        ),
    ]


def bench_pin_cost() -> BenchmarkResult:
    """The diagonal pin's cost on the full grid's training kernels: 40 σ_w² columns × all depths, m = 256."""
    cfg = _full_config()
    xc = parse_experiment_config(cfg["experiment"])
    data, _ = load_data(cfg["data"])
    spec = model_spec_from_config({**cfg["model"], "name": "fcn", "depth": 1, "sigma_b2": xc.sigma_b2})
    pinned, unpinned = KernelPass(Network(spec, 0)), KernelPass(Network(spec, 0), pin=False)

    def columns(kernel_pass: KernelPass):
        return [kernel_pass.across_depth(data.flat().x_train, None, xc.depths, w2) for w2 in xc.sigma_w2]

    return compare(
        "diagonal pin, full grid train kernels",
        ("pinned (the kernel pass)", lambda: columns(pinned)),
        ("same pass without the pin", lambda: columns(unpinned)),
        repeats=3,
        target="pin costs ≤ 5%, i.e. speedup ≥ 0.95×",
    )


def run() -> list[BenchmarkResult]:
    finite = [result for width in FINITE_WIDTHS for result in bench_finite(width)]
    return [*finite, bench_pin_cost(), bench_full_grid()]
