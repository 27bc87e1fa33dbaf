"""``schoenholz2017_trainability``: vmapped SGD over σ_w² × seeds vs a loop, FLOP/s vs the matmul peak, and
the paper preset's cost.

1. One (depth, width) network — FCN erf, width 128, depth 20, float32, minibatch SGD (b = 16, m = 128), 100
   steps — trained for 5 σ_w² × 2 seeds at once by the vmapped :class:`FiniteTrainer` (compiled, steady
   state) against a Python loop over the 10 configurations reusing one compiled single-configuration
   trainer (the fastest loop: no recompilation per σ_w², thanks to σ being a traced argument). Both compiled
   before timing; both give the same outputs (checked).
2. Achieved FLOP/s of the vmapped run from the analytic count (forward 2·b·Σ fan_in·fan_out per layer,
   backward 2× that), against the machine's float32 matmul peak measured in the same process (1024³
   ``jnp.dot``, best of several): the honest ceiling on this CPU.
3. The paper preset (``conf/experiment/schoenholz2017_trainability_paper.yaml``): its total training FLOPs
   from the same count, the CPU time that implies at the rate measured in 2, and a GPU estimate assuming the
   same fraction of an H100's float32 peak (67 TFLOP/s, dense, non-tensor-core) as measured here of the CPU
   peak.
   An estimate from measured per-step rates, not a GPU measurement (no GPU was available).
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from benchmarks.common import BenchmarkResult, best_time, compare
from ntk_bench.cli import CONF_DIR
from ntk_bench.dynamics.finite_training import FiniteTrainer
from ntk_bench.experiment.trainability import parse_config, spec_at
from ntk_bench.model import Network, model_spec_from_config

SIGMAS = [0.5, 0.7, 1.0, 2.0, 3.5]
SEEDS = [0, 1]
WIDTH, DEPTH, M, BATCH, STEPS, CLASSES, D_IN = 128, 20, 128, 16, 100, 10, 10
H100_FP32_PEAK = 67e12  # FLOP/s, NVIDIA's dense FP32 (non-tensor-core) figure for the H100 SXM


def matmul_peak(n: int = 1024, repeats: int = 20) -> float:
    """Best float32 matmul FLOP/s of this machine (one ``n³`` dot)."""
    a = jnp.ones((n, n), jnp.float32)
    dot = jax.jit(lambda a: a @ a)
    dot(a).block_until_ready()
    seconds = best_time(lambda: dot(a).block_until_ready(), repeats)
    return 2 * n**3 / seconds


def training_flops(layers: list[tuple[int, int, int]], batch: int, steps: int, configs: int) -> float:
    """SGD FLOPs: ``layers`` as (positions, fan_in, fan_out); forward 2·b·P·fan_in·fan_out, backward 2×."""
    per_example = sum(2 * p * fi * fo for p, fi, fo in layers)
    return 3.0 * per_example * batch * steps * configs


def bench_vmap_vs_loop() -> tuple[BenchmarkResult, float]:
    spec = model_spec_from_config(
        {
            "name": "fcn",
            "depth": DEPTH,
            "width": WIDTH,
            "activation": "erf",
            "sigma_w2": 1.0,
            "sigma_b2": 0.05,
        }
    )
    rng = np.random.default_rng(0)
    x, x_test, y = rng.normal(size=(M, D_IN)), rng.normal(size=(M, D_IN)), rng.normal(size=(M, CLASSES))
    network = Network(spec, 0, out_dim=CLASSES)
    lrs = [1e-3] * len(SIGMAS)
    vmapped = FiniteTrainer(network, DEPTH, center=False, batch_size=BATCH, dtype="float32")
    single = FiniteTrainer(network, DEPTH, center=False, batch_size=BATCH, dtype="float32")

    def ours():
        return vmapped.run(x, y, x_test, SIGMAS, 0.05, lrs, SEEDS, [STEPS]).test

    def loop():
        return [
            single.run(x, y, x_test, [w2], 0.05, [lr], [seed], [STEPS]).test
            for w2, lr in zip(SIGMAS, lrs, strict=True)
            for seed in SEEDS
        ]

    outputs, looped = ours(), np.concatenate(loop(), axis=1)
    max_diff = float(np.abs(outputs.reshape(looped.shape[1:]) - looped[0]).max() / np.abs(looped).max())
    configs = len(SIGMAS) * len(SEEDS)
    result = compare(
        f"SGD {configs} configs (FCN n={WIDTH}, depth {DEPTH}, b={BATCH}, {STEPS} steps, float32)",
        ("vmapped trainer, compiled", ours),
        ("loop of compiled single-config trainer", loop),
        repeats=3,
        target="ratio reported (issue 13)",
    )
    flops = training_flops(network_layers(spec, (D_IN,), CLASSES), BATCH, STEPS, configs)
    rate = flops / result.ours_s
    result.details.update(
        max_rel_diff_vmapped_vs_loop=max_diff,
        flops=flops,
        achieved_flops_per_s=rate,
        loop_flops_per_s=flops / result.baseline_s,
    )
    return result, rate


def network_layers(spec, input_shape: tuple[int, ...], classes: int) -> list[tuple[int, int, int]]:
    """(positions, fan_in, fan_out) of every affine layer of ``spec`` on inputs of ``input_shape``."""
    w, depth = spec.width, spec.depth
    if spec.is_convolutional:
        d, f = math.prod(input_shape[:-1]), spec.filter_size
        readout = (1, w, classes) if spec.readout == "pool" else (1, d * w, classes)
        first = [(d, f * input_shape[-1], w)]
        stem = first if spec.name == "resnet" else []
        return [*stem, *(first if not stem else [(d, f * w, w)]), *[(d, f * w, w)] * (depth - 1), readout]
    d_in = math.prod(input_shape)
    stem = [(1, d_in, w)] if spec.name == "resnet" else []
    blocks = [(1, w, w)] * depth if stem else [(1, d_in, w)] + [(1, w, w)] * (depth - 1)
    return [*stem, *blocks, (1, w, classes)]


def paper_estimate(rate_cpu: float, peak_cpu: float) -> BenchmarkResult:
    """Total FLOPs of the paper preset's training (read from its config) and the implied CPU / GPU times."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["experiment=schoenholz2017_trainability_paper"])
    cfg = OmegaConf.to_container(cfg, resolve=True)
    tc = parse_config(cfg["experiment"], cfg["model"])
    length, classes = 40, 10  # MNIST-1D signals (N, 40, 1), 10 classes
    configs, steps = len(tc.sigma_w2) * len(tc.seeds), tc.steps[-1]
    per_network, flops = {}, 0.0
    for entry in tc.networks:
        shape = (length // entry.downsample, 1)
        total = 0.0
        for depth in entry.depths:
            spec = spec_at(entry, tc, depth)
            batch = tc.batch_size or cfg["data"]["n_train"]
            total += training_flops(network_layers(spec, shape, classes), batch, steps, configs)
        per_network[entry.key] = total
        flops += total
    efficiency = rate_cpu / peak_cpu
    gpu_s = flops / (efficiency * H100_FP32_PEAK)
    return BenchmarkResult(
        name="paper preset training cost (estimate)",
        ours=f"H100 at the CPU's efficiency {efficiency:.2f}",
        baseline="this CPU at the measured rate",
        ours_s=gpu_s,
        baseline_s=flops / rate_cpu,
        target="estimate from measured per-step rates",
        details={
            "total_training_flops": flops,
            "training_flops_by_network": per_network,
            "gpu_hours_by_network": {
                k: v / (efficiency * H100_FP32_PEAK) / 3600 for k, v in per_network.items()
            },
            "cpu_rate_flops_per_s": rate_cpu,
            "cpu_matmul_peak_flops_per_s": peak_cpu,
            "assumed_gpu_peak_flops_per_s": H100_FP32_PEAK,
            "gpu_hours": gpu_s / 3600,
            "cpu_days": flops / rate_cpu / 86400,
        },
    )


def run() -> list[BenchmarkResult]:
    tic = time.perf_counter()
    peak = matmul_peak()
    result, rate = bench_vmap_vs_loop()
    result.details.update(matmul_peak_flops_per_s=peak, fraction_of_peak=rate / peak)
    result.details["wall_s"] = time.perf_counter() - tic
    return [result, paper_estimate(rate, peak)]
