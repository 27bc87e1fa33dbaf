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

import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.common import BenchmarkResult, best_time, compare
from ntk_bench.architectures import Network, model_spec_from_config
from ntk_bench.dynamics.finite_training import FiniteTrainer

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


def fcn_layers(d_in: int, width: int, depth: int, classes: int) -> list[tuple[int, int, int]]:
    return [(1, d_in, width)] + [(1, width, width)] * (depth - 1) + [(1, width, classes)]


def cnn_layers(d: int, width: int, depth: int, classes: int, filt: int = 3, pool: bool = False) -> list:
    readout = (1, width, classes) if pool else (1, d * width, classes)
    return [(d, filt, width)] + [(d, filt * width, width)] * (depth - 1) + [readout]


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
    flops = training_flops(fcn_layers(D_IN, WIDTH, DEPTH, CLASSES), BATCH, STEPS, configs)
    rate = flops / result.ours_s
    result.details.update(
        max_rel_diff_vmapped_vs_loop=max_diff,
        flops=flops,
        achieved_flops_per_s=rate,
        loop_flops_per_s=flops / result.baseline_s,
    )
    return result, rate


def paper_estimate(rate_cpu: float, peak_cpu: float) -> BenchmarkResult:
    """Total FLOPs of the paper preset's training and the implied CPU / GPU times."""
    sigmas, seeds, width, m_batch, steps, d, classes = 11, 4, 300, 128, 10_000, 40, 10
    depths = [2, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    configs = sigmas * seeds
    flops = 0.0
    for depth in depths:
        flops += 4 * training_flops(
            fcn_layers(d, width, depth, classes), m_batch, steps, configs
        )  # FCN, ResNet
        flops += training_flops(cnn_layers(d, width, depth, classes), m_batch, steps, configs)
        flops += training_flops(cnn_layers(d, width, depth, classes, pool=True), m_batch, steps, configs)
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
