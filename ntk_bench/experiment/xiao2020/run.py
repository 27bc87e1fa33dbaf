"""``experiment=xiao2020_fcn`` / ``xiao2020_cnn``: the trainability vs generalization heat maps.

Xiao, Pennington & Schoenholz (2020), "Disentangling Trainability and Generalization in Deep Neural
Networks", Figs. 3-4. For each architecture of ``experiment.models`` (FCN; CNN-F and CNN-P
side by side), each σ_w² column of the grid and each depth l: the analytic NTK on train×train and
test×train (:mod:`.maps`), train and test accuracy of the infinite-width mean predictor (f_0 = 0) after t
full-batch GD steps at η = ``lr_factor``·2/λ_max under each label convention, the spectra that explain the
map, mean-field theory per column (:mod:`ntk_bench.theory`), the boundaries set against the depth scales
(:mod:`.analysis`); finite networks at depth are ``experiment=schoenholz2017_trainability``. Figures are
drawn from the stored results by :mod:`ntk_bench.report.xiao2020`.

The architecture's shared settings (activation, filter size, padding) come from the ``model`` group;
``experiment.models`` names the architectures, the grid replaces ``model.depth``/``model.sigma_w2`` and
``experiment.sigma_b2`` (the recipe's 0.18) replaces ``model.sigma_b2`` unless null.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.analysis.depth_scales import chance_accuracy, chance_noise_margin
from ntk_bench.data.transforms import downsample
from ntk_bench.dynamics.kernel_regression import DepthEvaluation
from ntk_bench.experiment.xiao2020.analysis import (
    analyse_model,
    compare_pool_flatten,
    pool_vs_flatten_boundaries,
)
from ntk_bench.experiment.xiao2020.config import XiaoConfig, parse_experiment_config
from ntk_bench.experiment.xiao2020.inputs import load_data
from ntk_bench.experiment.xiao2020.maps import compute_maps
from ntk_bench.model import Network, model_spec_from_config, require_input_fits
from ntk_bench.results import ExperimentOutput, Results
from ntk_bench.theory.mean_field import COLUMN_FIELDS, mean_field_columns

PHASE_CODES = {"ordered": -1.0, "critical": 0.0, "chaotic": 1.0}
# every per-cell array of the kernel-regression outcome (DepthEvaluation), stacked over the σ_w² columns
MAP_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(DepthEvaluation)
    if f.name not in ("nonfinite_kernel", "crosscheck_rel_error")
)


def model_spec(model_cfg: Mapping[str, Any], name: str, sigma_b2: float | None):
    """The ``model`` group's settings for architecture ``name`` (depth and σ_w² are the grid's)."""
    cfg = dict(model_cfg)
    cfg.update(name=name, depth=1, sigma_w2=1.0)
    if sigma_b2 is not None:
        cfg["sigma_b2"] = sigma_b2
    return model_spec_from_config(cfg)


def run_xiao2020(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Heat maps, spectra and depth-scale fits for ``experiment.models``."""
    started = time.perf_counter()
    xc = parse_experiment_config(cfg["experiment"])
    specs = {name: model_spec(cfg["model"], name, xc.sigma_b2) for name in xc.models}
    sigma_b2 = next(iter(specs.values())).sigma_b2
    activation = next(iter(specs.values())).activation
    data, sizes = load_data(cfg["data"])
    data = downsample(data, xc.downsample)
    for name, spec in specs.items():
        require_input_fits(spec, data.spatial_shape, data.name, f"experiment.models entry {name}")
    model_data = {name: (data if spec.is_convolutional else data.flat()) for name, spec in specs.items()}
    networks = {name: Network(spec, len(model_data[name].spatial_shape)) for name, spec in specs.items()}
    theory = mean_field_columns(activation, xc.sigma_w2, sigma_b2, workers=xc.workers)
    chance = chance_accuracy(data.labels_test, data.num_classes)
    margin = xc.chance_margin if xc.chance_margin is not None else chance_noise_margin(chance, data.n_test)

    summary: dict[str, Any] = {
        "models": list(xc.models),
        "activation": activation,
        "sigma_b2": sigma_b2,
        "n_train": data.n_train,
        "n_test": data.n_test,
        "input_shape": list(model_data[xc.models[0]].x_train.shape[1:]),
        "data_sizes": sizes,
        "train_class_counts": np.bincount(data.labels_train, minlength=data.num_classes).tolist(),
        "chance_accuracy": chance,
        "chance_definition": "largest class frequency in the test set (best constant prediction)",
        "chance_margin": margin,
        "chance_margin_definition": (
            "experiment.analysis.chance_margin"
            if xc.chance_margin is not None
            else "2·√(chance·(1 − chance)/n_test): two binomial standard errors of a chance-level classifier"
        ),
        "eta_convention": (
            "eta: step size on L = ½‖f(X) − Y‖² (sum over examples and outputs), eta = lr_factor·2/λ_max per"
            " (σ_w², depth) cell; eta_nt = eta·|Y| is neural-tangents' learning_rate (its loss is divided by"
            " |Y| = m·C). t counts full-batch steps: f_t(X) = (I − exp(−eta·Θ·t))Y, f_0 = 0."
        ),
        "predictor": xc.predictor,
        "labels": xc.labels[0],
        "label_conventions": list(xc.labels),
        "theory": {
            "critical_sigma_w2": theory["critical_sigma_w2"],
            "line_factor": xc.line_factor,
            "line_source": (
                "the authors' notebook draws line_factor·ξ at their t; the constant grows with ln t"
            ),
            "phase": theory["phase"],
        },
    }
    series: dict[str, list[float]] = {"sigma_w2": list(xc.sigma_w2)}
    series["phase_code"] = [PHASE_CODES[p] for p in theory["phase"]]
    for key in COLUMN_FIELDS:
        series[key] = theory[key].tolist()
    arrays: dict[str, np.ndarray] = {
        "sigma_w2": np.asarray(xc.sigma_w2),
        "depths": np.asarray(xc.depths),
        "times": np.asarray(xc.times),
        "xi_c_star": theory["xi_c_star"],
        "theory_line_ordered": xc.line_factor * theory["xi_1"],
        "theory_line_chaotic": xc.line_factor * theory["xi_star"],
    }
    jt = xc.times.index(xc.analysis_time)
    for name in xc.models:
        maps = compute_maps(networks[name], model_data[name], xc, sigma_b2, specs[name].name)
        model_summary, model_arrays = analyse_model(maps, theory, xc, chance, margin)
        for field in MAP_FIELDS:
            arrays[f"{name}/{field}"] = maps.stack(field)
        for convention in xc.labels[1:]:
            for field in ("train_accuracy", "test_accuracy"):
                arrays[f"{name}/{convention}/{field}"] = maps.stack(field, convention)
        for key, value in model_arrays.items():
            arrays[f"{name}/{key}"] = value
        series[f"{name}/trainable_depth"] = model_arrays["trainable_depth"][:, jt].tolist()
        series[f"{name}/test_chance_depth"] = model_arrays["test_chance_depth"][:, jt].tolist()
        summary[name] = model_summary
    if "cnn_flatten" in xc.models and "cnn_pool" in xc.models:
        positions = math.prod(data.spatial_shape)
        rms = {name: arrays[f"{name}/mean_predictor_rms"] for name in ("cnn_flatten", "cnn_pool")}
        clear_level = chance + 2 * margin
        names = ("cnn_flatten", "cnn_pool")
        by_labels = {}
        for convention in xc.labels:
            prefix = "" if convention == xc.labels[0] else f"{convention}/"
            depths = {name: arrays[f"{name}/{prefix}test_chance_depth"] for name in names}
            peaks = {
                name: np.nanmax(arrays[f"{name}/{prefix}test_accuracy"][:, 1:, jt], axis=1, initial=0.0)
                for name in names
            }
            by_labels[convention] = pool_vs_flatten_boundaries(depths, peaks, theory, xc, clear_level)
        summary["cnn_pool_vs_flatten"] = {
            **compare_pool_flatten(by_labels[xc.labels[0]], rms, theory, xc, positions, clear_level),
            "by_labels": by_labels,
        }
    summary["timing_s"] = {"total": time.perf_counter() - started}
    results = Results(experiment=xc.name, axis="sigma_w2", series=series, summary=summary, arrays=arrays)
    return ExperimentOutput(results=results)


__all__ = ["XiaoConfig", "run_xiao2020"]
