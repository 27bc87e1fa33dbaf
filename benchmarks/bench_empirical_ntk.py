"""Empirical NTK (``ntk_bench.kernels.empirical``): each implementation and ``auto``, on an FCN and a CNN.

Issue 5 targets: ``auto`` ≥ 0.9× the fastest implementation (speedup = fastest/auto); peak memory bounded
by the block size. ``auto`` is timed after its probe (the choice is cached per model; the probe's
one-off cost is in ``details``). Peak memory: resident-set high-water mark (``/proc/self/status``
VmHWM, reset through ``/proc/self/clear_refs``) of a warm call above the resident set before it,
for several block sizes and input counts; the (n, n) float64 output is part of it.
"""

from __future__ import annotations

import time
from pathlib import Path

import jax
import numpy as np

from benchmarks.common import BenchmarkResult, compare
from ntk_bench.data import load_dataset
from ntk_bench.kernels.empirical import IMPLEMENTATIONS, EmpiricalNTK
from ntk_bench.model.flax_models import flax_model_from_config

CASES = {
    # name: (model config, inputs, block size, timing repeats per implementation)
    "FCN depth 2, width 512, m=32": (
        {"name": "fcn", "depth": 2, "width": 512, "activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.05},
        32,
        16,
        {"jacobian_contraction": 1, "ntk_vector_products": 2, "structured_derivatives": 5},
    ),
    "CNN-F depth 2, 32 channels, 8x8, m=16": (
        {
            "name": "cnn_flatten",
            "depth": 2,
            "width": 32,
            "activation": "relu",
            "sigma_w2": 2.0,
            "sigma_b2": 0.05,
        },
        16,
        8,
        {"jacobian_contraction": 2, "ntk_vector_products": 1, "structured_derivatives": 3},
    ),
}
OUT_DIM = 10


def _setup(model_cfg, m):
    data = load_dataset({"name": "digits", "n_train": m, "n_test": 0})
    model = flax_model_from_config(model_cfg, spatial_ndim=2, out_dim=OUT_DIM)
    x = np.asarray(model.prepare(data.x_train))
    return model, model.init(jax.random.PRNGKey(0), x), x


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise KeyError(field)


def peak_memory_mb(fn) -> float:
    """Peak resident memory (MB) of a warm call of ``fn`` above the resident set before it."""
    fn()  # compile
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status_kb("VmRSS")
    fn()
    return (_status_kb("VmHWM") - before) / 1024


def memory_by_block(model_cfg) -> dict[str, float]:
    """Peak MB of Jacobian contraction (the method with the largest intermediates) by block size and n."""
    out = {}
    for m, block in [(32, 8), (64, 8), (32, 16), (32, 32)]:
        model, params, x = _setup(model_cfg, m)
        ntk = EmpiricalNTK(model.apply, implementation="jacobian_contraction", block_size=block)
        out[f"m={m},block={block}"] = round(
            peak_memory_mb(lambda ntk=ntk, params=params, x=x: ntk(params, x)), 1
        )
    return out


def run() -> list[BenchmarkResult]:
    results = []
    for case, (model_cfg, m, block, repeats) in CASES.items():
        model, params, x = _setup(model_cfg, m)
        auto = EmpiricalNTK(model.apply, implementation="auto", block_size=block)
        start = time.perf_counter()
        auto(params, x)  # probe + first call
        probe = auto.probes[0]
        fixed = {
            name: EmpiricalNTK(model.apply, implementation=name, block_size=block) for name in IMPLEMENTATIONS
        }
        times = {}
        for name, ntk in fixed.items():
            ntk(params, x)  # compile
            best = np.inf
            for _ in range(repeats[name]):
                t0 = time.perf_counter()
                ntk(params, x)
                best = min(best, time.perf_counter() - t0)
            times[name] = best
        fastest = min(times, key=times.get)
        details = {
            "chosen": probe.chosen,
            "probe_seconds": probe.seconds,
            "probe": probe.to_dict(),
            "first_call_seconds_with_probe": time.perf_counter() - start,
            "times_s": times,
            "block_size": block,
            "m": m,
        }
        results.append(
            compare(
                f"empirical NTK {case}: auto vs fastest",
                (f"auto (chose {probe.chosen})", lambda auto=auto, p=params, x=x: auto(p, x)),
                (f"fastest fixed: {fastest}", lambda f=fixed[fastest], p=params, x=x: f(p, x)),
                repeats=max(3, min(30, int(1.0 / times[fastest]))),  # ~1 s per side: ms-scale calls are noisy
                target="speedup ≥ 0.9 (auto within 10% of the fastest)",
                details=details,
            )
        )
        for name in IMPLEMENTATIONS:
            if name != fastest:
                results.append(
                    BenchmarkResult(
                        f"empirical NTK {case}: {fastest} vs {name}",
                        fastest,
                        name,
                        times[fastest],
                        times[name],
                    )
                )
    mem = memory_by_block(CASES["FCN depth 2, width 512, m=32"][0])
    print(f"peak memory (MB above RSS, jacobian contraction, FCN): {mem}", flush=True)
    results[0].details["peak_memory_mb"] = mem
    return results
