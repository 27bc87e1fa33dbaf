"""Depth sweep 1..100 of analytic NTK spectra (FCN, erf, m = 256): layerwise pass vs rebuilding per depth.

Issue target: ≥ 30× faster than rebuilding the network at every depth, and within 1.5× of the floor
(one kernel pass to depth 100 plus the 100 eigendecompositions).
"""

from __future__ import annotations

import jax
import numpy as np

from benchmarks.common import BenchmarkResult, compare
from ntk_bench.data import load_dataset
from ntk_bench.kernels import kernels_across_depth
from ntk_bench.model import Network, model_spec_from_config

DEPTH = 100
M = 256


def _setup():
    data = load_dataset({"name": "digits", "n_train": M, "n_test": 0}).flat()
    spec = model_spec_from_config(
        {"name": "fcn", "depth": DEPTH, "width": 512, "activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.05}
    )
    return data.x_train, Network(spec, 0)


def run() -> list[BenchmarkResult]:
    x, network = _setup()
    depths = list(range(1, DEPTH + 1))

    def layerwise():
        kernels = kernels_across_depth(network, x, None, depths)
        return [np.linalg.eigvalsh(k) for k in kernels.ntk]

    def rebuild_each_depth():
        out = []
        for depth in depths:
            ntk = np.asarray(network.at_depth(depth)[2](x, None, "ntk"))
            out.append(np.linalg.eigvalsh(ntk))
        return out

    deepest = jax.jit(network.at_depth(DEPTH)[2], static_argnames="get")

    def floor():
        ntk = np.asarray(deepest(x, None, "ntk"))
        return [np.linalg.eigvalsh(ntk) for _ in depths]

    return [
        compare(
            "spectra depth 1..100, FCN erf, m=256",
            ("layerwise pass", layerwise),
            ("rebuild network per depth", rebuild_each_depth),
            repeats=3,
            baseline_repeats=1,
            warm_baseline=False,  # op-by-op (un-jitted) rebuild: nothing to compile, ~3 min per call here
            target="≥ 30×",
        ),
        compare(
            "spectra depth 1..100 vs floor",
            ("layerwise pass", layerwise),
            ("floor: 1 jitted pass + 100 eigh", floor),
            repeats=3,
            target="ours ≤ 1.5× floor, i.e. speedup ≥ 0.67×",
        ),
    ]
