"""The CNN half of Xiao et al. 2020 on CPU, and what the paper-size CNN preset would cost on a GPU.

1. One σ_w² column of the default ``experiment=xiao2020_cnn`` map (CNN-P, MNIST-1D at d = 40, m = 60,
   n = 150, depths 0..40, all five times, both label conventions) through the experiment's own column loop
   (:func:`ntk_bench.experiment.xiao2020.maps.compute_maps`): ours (``Network``'s fast circular-conv
   kernels) vs the same column built from neural-tangents' own layers (``fast_kernels=False``). The default
   map has 8 columns per model, so 8 × ours + CNN-F is the predicted wall time of the default on one core.
2. The same on 8×8 digits (2-D, d = 64 positions: the resolution of ``suite=xiao2020``'s CNN preset, CIFAR-10
   average-pooled to 8×8) with a small m, for the per-pair, per-layer cost in 2-D.
3. An estimate for the paper preset (``conf/suite/cells/paper_xiao2020_cnn.yaml``: m = n = 256, 20 σ_w²
   columns, depth 100) from the measured per-pair cost: CPU hours on this machine, and a GPU estimate from
   the arithmetic (the exact per-pair update is a d×d covariance convolved with the filter for NNGP and NTK
   plus the erf kernel's elementwise work: ≈ d²·(4·|F| + 30) flops) at an assumed 10 TFLOP/s of float64
   (a third of an H100's 34 TFLOP/s vector peak: the arcsin/sqrt-bound update does not reach peak). The
   assumption is stated beside the number; no GPU was available to measure it.
"""

from __future__ import annotations

import dataclasses

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from benchmarks.common import BenchmarkResult, compare
from ntk_bench.cli import CONF_DIR
from ntk_bench.experiment.xiao2020 import load_data, parse_experiment_config
from ntk_bench.experiment.xiao2020.maps import compute_maps
from ntk_bench.experiment.xiao2020.run import model_spec
from ntk_bench.model import Network

GPU_FLOPS = 10e12  # assumed sustained float64 rate of the kernel update on one H100 (see the module doc)
PAPER = {"m": 256, "n": 256, "columns": 20, "depth": 100, "models": 2}


def _setup(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = OmegaConf.to_container(compose("config", overrides=overrides), resolve=True)
    xc = parse_experiment_config(cfg["experiment"])
    xc = dataclasses.replace(xc, sigma_w2=(3.0,), crosscheck_cells=0)
    data, _ = load_data(cfg["data"])
    spec = model_spec(cfg["model"], "cnn_pool", xc.sigma_b2)
    return xc, data, spec


def _column(xc, data, spec, fast: bool):
    network = Network(spec, len(data.spatial_shape), fast_kernels=fast)
    return lambda: compute_maps(network, data, xc, spec.sigma_b2, "bench")


def _pairs(m: int, n: int) -> int:
    return m * (m + 1) // 2 + n * m


def _per_pair_layer_us(seconds: float, xc, data) -> float:
    return seconds / (_pairs(data.n_train, data.n_test) * max(xc.depths)) * 1e6


def run() -> list[BenchmarkResult]:
    results = []
    cases = {
        "1-D MNIST-1D d=40 (the default)": ["experiment=xiao2020_cnn"],
        "2-D digits 8×8 (d=64, the paper preset's resolution)": [
            "experiment=xiao2020_cnn",
            "data=digits",
            "data.n_train=20",
            "data.n_test=20",
            "experiment.depths=[0,1,2,4,8,16]",
        ],
    }
    for label, overrides in cases.items():
        xc, data, spec = _setup(overrides)
        result = compare(
            f"xiao2020_cnn column, CNN-P, {label}",
            ("ours: fast circular-conv kernels", _column(xc, data, spec, True)),
            ("neural-tangents stax.Conv layers", _column(xc, data, spec, False)),
            repeats=1,
            target="default map (8 columns + CNN-F) ≤ 3 min on 2 cores",
        )
        d = 1
        for size in data.spatial_shape:
            d *= size
        taps = spec.filter_size ** len(data.spatial_shape)
        per_pair_us = _per_pair_layer_us(result.ours_s, xc, data)
        result.details = {
            "m": data.n_train,
            "n": data.n_test,
            "positions_d": d,
            "depth": max(xc.depths),
            "ours_per_pair_layer_us": per_pair_us,
            "baseline_per_pair_layer_us": _per_pair_layer_us(result.baseline_s, xc, data),
        }
        if len(data.spatial_shape) == 1:
            result.details["default_map_cnn_pool_predicted_s"] = 8 * result.ours_s
        else:
            pair_layers = _pairs(PAPER["m"], PAPER["n"]) * PAPER["depth"] * PAPER["columns"]
            flops = d * d * (4 * taps + 30) * pair_layers
            result.details.update(
                paper_preset=PAPER,
                paper_cnn_pool_cpu_hours_one_core=pair_layers * per_pair_us * 1e-6 / 3600,
                paper_cnn_pool_flops=flops,
                paper_cnn_pool_gpu_hours_at_10_tflops=flops / GPU_FLOPS / 3600,
                paper_32x32_gpu_hours_at_10_tflops=flops * (1024 / d) ** 2 / GPU_FLOPS / 3600,
                assumption=f"GPU estimate assumes {GPU_FLOPS:.0e} flop/s sustained float64 (not measured)",
            )
        results.append(result)
    return results
