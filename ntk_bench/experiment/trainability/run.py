"""``run_trainability``: the experiment function (maps and analysis per network, stored as Results)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.analysis.depth_scales import chance_accuracy
from ntk_bench.blas import single_threaded_blas
from ntk_bench.data.transforms import downsample
from ntk_bench.experiment.trainability.analysis import analyse, compare_resnet
from ntk_bench.experiment.trainability.cells import finite_width, infinite_width, spec_at
from ntk_bench.experiment.trainability.config import (
    NAME,
    REASONS,
    load_inputs,
    parse_config,
)
from ntk_bench.model import require_input_fits
from ntk_bench.results import Results
from ntk_bench.theory import mean_field_columns
from ntk_bench.tracker import ExperimentOutput


def run_trainability(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Finite (SGD) and infinite-width trainability/generalization maps per network, with their analysis."""
    started = time.perf_counter()
    tc = parse_config(cfg["experiment"], cfg["model"])
    data = load_inputs(cfg["data"], tc)
    for entry in tc.networks:
        spec = spec_at(entry, tc, entry.depths[0])
        if entry.downsample > 1 or spec.is_convolutional:
            downsample(data, entry.downsample)  # validates the factor against the spatial shape
        require_input_fits(spec, data.spatial_shape, data.name, f"experiment.networks entry {entry.key}")
    chance_train = chance_accuracy(data.labels_train, data.num_classes)
    chance_test = chance_accuracy(data.labels_test, data.num_classes)
    summary: dict[str, Any] = {
        "networks": [e.key for e in tc.networks],
        "n_train": data.n_train,
        "n_test": data.n_test,
        "input_shape": list(data.x_train.shape[1:]),
        "chance_train": chance_train,
        "chance_test": chance_test,
        "width": tc.width,
        "seeds": list(tc.seeds),
        "steps": list(tc.steps),
        "batch_size": tc.batch_size or data.n_train,
        "optimizer": "minibatch SGD" if tc.batch_size and tc.batch_size < data.n_train else "full-batch GD",
        "sigma_b2": tc.sigma_b2,
        "training_dtype": tc.dtype,
        "kernel_dtype": "float64",
        "f0": "subtracted (center)" if tc.center else "kept (standard training)",
        "eta_convention": (
            "η = lr_factor·η_crit per (σ_w², depth) cell, η_crit = 2/max over batches of λ_max((m/b)·Θ_bb) of"
            " the analytic NTK (the SGD stability bound of the kernel model, sum-loss units); SGD loss"
            " (m/b)·½‖f(X_b) − Y_b‖²; the infinite-width map is gradient flow of the mean predictor to"
            " τ = η·k (k = SGD steps)"
        ),
        "lr_factor": tc.lr_factor,
    }
    series: dict[str, list[float]] = {"sigma_w2": list(tc.sigma_w2)}
    arrays: dict[str, np.ndarray] = {
        "sigma_w2": np.asarray(tc.sigma_w2),
        "steps": np.asarray(tc.steps),
        "seeds": np.asarray(tc.seeds),
    }
    per_network: dict[str, Any] = {}
    finite_all: dict[str, Any] = {}
    with single_threaded_blas():
        for entry in tc.networks:
            activation = spec_at(entry, tc, entry.depths[0]).activation
            pooled = downsample(data, entry.downsample)  # average-pooled signals/images, per network
            model_data = pooled if spec_at(entry, tc, entry.depths[0]).is_convolutional else pooled.flat()
            theory = mean_field_columns(activation, tc.sigma_w2, tc.sigma_b2)
            tic = time.perf_counter()
            infinite = infinite_width(entry, model_data, tc)
            kernel_s = time.perf_counter() - tic
            finite = finite_width(entry, model_data, tc, infinite["eta"])
            finite_all[entry.key] = finite
            block = analyse(entry, tc, theory, finite, infinite, chance_train)
            block["theory"] = {
                "activation": activation,
                "critical_sigma_w2": theory["critical_sigma_w2"],
                "phase": theory["phase"],
                **{k: theory[k].tolist() for k in ("chi_1", "chi_c_star", "xi_1", "xi_c_star", "xi_star")},
            }
            block["timing_s"]["kernels_and_prediction"] = kernel_s
            block["input_shape"] = list(model_data.x_train.shape[1:])
            steps_total = len(tc.steps) and tc.steps[-1]
            configs = len(tc.sigma_w2) * len(tc.seeds)
            block["timing_s"]["per_step_all_configs_by_depth"] = (finite["seconds"] / steps_total).tolist()
            block["timing_s"]["configs_per_depth"] = configs
            per_network[entry.key] = block
            arrays[f"{entry.key}/depths"] = np.asarray(entry.depths)
            for k in ("train", "test", "loss"):
                arrays[f"{entry.key}/finite_{k}" + ("_accuracy" if k != "loss" else "")] = finite[k]
            arrays[f"{entry.key}/divergence_reason"] = finite["reason"]
            for k in (
                "train_accuracy",
                "test_accuracy",
                "eta",
                "lambda_max",
                "lambda_max_sgd",
                "nonfinite_kernel",
            ):
                arrays[f"{entry.key}/infinite_{k}" if "accuracy" in k else f"{entry.key}/{k}"] = infinite[k]
            series[f"{entry.key}/boundary_depth"] = block["boundary"]["depth"]
            series[f"{entry.key}/infinite_boundary_depth"] = block["boundary"]["infinite_depth"]
            series[f"{entry.key}/xi_c"] = block["boundary"]["xi_c"]
    summary.update(per_network)
    summary["resnet_vs_fcn"] = compare_resnet(per_network, tc, finite_all)
    summary["divergence_reasons"] = {str(k): v for k, v in REASONS.items()}
    summary["timing_s"] = {"total": time.perf_counter() - started}
    results = Results(experiment=NAME, axis="sigma_w2", series=series, summary=summary, arrays=arrays)
    return ExperimentOutput(results=results)
