"""``experiment=xiao2020_fcn`` / ``xiao2020_cnn``: trainability vs generalization heat maps.

Xiao, Pennington & Schoenholz (2020), "Disentangling Trainability and Generalization in Deep Neural
Networks", Figs. 3-4 (REFERENCE §4). For each architecture of ``experiment.models`` (FCN; CNN-F and CNN-P
side by side), each σ_w² column of the grid and each depth l:

1. the analytic NTK on train×train and test×train at every depth of the grid, from one layerwise pass per
   σ_w² column (:class:`~ntk_bench.kernels.KernelPass`: σ is a traced argument,
   so one compilation serves the whole grid; columns run on ``experiment.workers`` threads);
2. train and test accuracy of the infinite-width mean predictor (f_0 = 0) after t full-batch GD steps at
   η = ``lr_factor``·2/λ_max (½‖f − Y‖² units; η and neural-tangents' η·|Y| are both stored), by the closed
   form of ``nt.predict.gradient_descent_mse`` (:mod:`ntk_bench.dynamics.kernel_regression`);
3. the spectra that explain the map: λ_max, λ_bulk, κ and the mean predictor's magnitude vs depth;
4. mean-field theory per column (q*, χ_1, χ_c*, ξ_1, ξ_*; the critical σ_w²) and the theory lines
   ``line_factor``·ξ_1 (ordered side) and ``line_factor``·ξ_* (chaotic side);
5. the acceptance analyses (:mod:`ntk_bench.analysis.depth_scales`): the trainable-depth boundary regressed on
   ξ_1, the test-accuracy-to-chance depth regressed on ξ_*, the mean-predictor decay rate vs ln(χ_c*/χ_1),
   and CNN-P vs CNN-F;
6. a finite-width check (:mod:`ntk_bench.dynamics.finite_training`): real stax networks on a subsampled grid,
   vmapped over σ_w² and seeds, against the infinite-width prediction at the same η and steps
   (:mod:`ntk_bench.analysis.agreement`).

The architecture's shared settings (activation, filter size, padding) come from the ``model`` group;
``experiment.models`` names the architectures, the grid replaces ``model.depth``/``model.sigma_w2`` and
``experiment.sigma_b2`` (the recipe's 0.18) replaces ``model.sigma_b2`` unless null.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.analysis.agreement import agreement_by_width, relative_output_error
from ntk_bench.analysis.depth_scales import crossing_depth, fit_mean_predictor_decay, fit_proportional
from ntk_bench.architectures import MODELS, Network, get_family, model_spec_from_config
from ntk_bench.blas import single_threaded_blas
from ntk_bench.data import Dataset, load_raw, prepare
from ntk_bench.data import parse_config as parse_data_config
from ntk_bench.data.preprocess import normalize, select_classes
from ntk_bench.dynamics.finite_training import FiniteTrainer, validate_steps
from ntk_bench.dynamics.kernel_regression import (
    DepthEvaluation,
    accuracy,
    critical_learning_rate,
    discrete_gd,
    evaluate_depths,
    gradient_flow,
)
from ntk_bench.errors import ConfigError, require, require_choice
from ntk_bench.kernels import kernel_pass, validate_depths
from ntk_bench.progress import progress
from ntk_bench.report.figures import save_figure
from ntk_bench.report.heatmaps import (
    accuracy_heatmaps,
    depth_scale_figure,
    finite_width_figure,
    side_by_side_heatmaps,
    spectra_figure,
)
from ntk_bench.results import Results
from ntk_bench.spectra import symmetric_eigh
from ntk_bench.theory import critical_sigma_w2, mean_field_summary
from ntk_bench.tracking import ExperimentOutput

PREDICTORS = ("spectral", "neural_tangents")
LABELS = ("as_given", "train_centred")
PHASE_CODES = {"ordered": -1.0, "critical": 0.0, "chaotic": 1.0}

TOP_KEYS = {
    "name",
    "models",
    "sigma_b2",
    "sigma_w2",
    "sigma_w2_range",
    "depths",
    "times",
    "lr_factor",
    "allow_above_critical",
    "predictor",
    "labels",
    "crosscheck_cells",
    "n_train",
    "n_test",
    "downsample",
    "workers",
    "max_block_bytes",
    "line_factor",
    "analysis",
    "finite",
}
ANALYSIS_KEYS = {"time", "train_threshold", "chance_margin"}
FINITE_KEYS = {
    "enabled",
    "models",
    "sigma_w2",
    "depths",
    "widths",
    "seeds",
    "steps",
    "lr_factor",
    "center",
    "tolerance",
}


# ------------------------------------------------------------------------------------------------ config


@dataclass(frozen=True)
class FiniteConfig:
    """``experiment.finite``: the finite-width check on a subsampled grid."""

    enabled: bool
    models: tuple[str, ...]
    sigma_w2: tuple[float, ...]
    depths: tuple[int, ...]
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    steps: tuple[int, ...]
    lr_factor: float
    center: bool
    tolerance: float


@dataclass(frozen=True)
class XiaoConfig:
    """The validated ``experiment`` group (see ``conf/experiment/xiao2020_fcn.yaml`` for each key)."""

    name: str
    models: tuple[str, ...]
    sigma_b2: float | None
    sigma_w2: tuple[float, ...]
    depths: tuple[int, ...]
    times: tuple[float, ...]
    lr_factor: float
    allow_above_critical: bool
    predictor: str
    labels: str
    crosscheck_cells: int
    n_train: int | None
    n_test: int | None
    downsample: int
    workers: int
    max_block_bytes: float
    line_factor: float
    analysis_time: float
    train_threshold: float
    chance_margin: float
    finite: FiniteConfig


def _unknown_keys(section: str, cfg: Mapping[str, Any], allowed: set[str]) -> None:
    for key in cfg:
        require(key in allowed, f"unknown key {section}.{key}; allowed: {', '.join(sorted(allowed))}")


def _number(key: str, value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    require(ok, f"{key}={value!r} must be a finite number")
    return float(value)


def _integer(key: str, value: Any, minimum: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    require(ok, f"{key}={value!r} must be an integer >= {minimum}")
    return int(value)


def _list(key: str, value: Any) -> list[Any]:
    require(
        value is not None and not isinstance(value, str | bytes | Mapping) and hasattr(value, "__iter__"),
        f"{key}={value!r} must be a list",
    )
    return list(value)


def _increasing(key: str, values: Sequence[float], what: str) -> None:
    require(len(values) > 0, f"{key} is empty; give {what}")
    require(
        all(a < b for a, b in itertools.pairwise(values)),
        f"{key}={list(values)} must be strictly increasing ({what})",
    )


def parse_sigma_grid(key: str, value: Any, range_value: Any = None) -> tuple[float, ...]:
    """A σ_w² grid: an increasing list of numbers > 0, or ``{start, stop, num}`` (numpy.linspace).

    ``range_value`` (the ``<key>_range`` mapping) is used when ``value`` is null.
    """
    if value is None and range_value is not None:
        key, value = f"{key}_range", range_value
    if isinstance(value, Mapping):
        _unknown_keys(key, value, {"start", "stop", "num"})
        start, stop = _number(f"{key}.start", value.get("start")), _number(f"{key}.stop", value.get("stop"))
        num = _integer(f"{key}.num", value.get("num"), 1)
        require(num == 1 or start < stop, f"{key}: start={start} must be < stop={stop}")
        grid = [float(v) for v in np.linspace(start, stop, num)]
    else:
        grid = [_number(f"{key} entry", v) for v in _list(key, value)]
    _increasing(key, grid, "an increasing list of σ_w² > 0 or {start, stop, num}")
    require(grid[0] > 0, f"{key}={grid} must contain only σ_w² > 0")
    return tuple(grid)


def _depths(key: str, value: Any) -> tuple[int, ...]:
    items = _list(key, value)
    require(len(items) > 0, f"{key} is empty; give an increasing list of depths >= 0")
    for item in items:
        require(isinstance(item, int) and not isinstance(item, bool), f"{key}={items} must be integers")
    _increasing(key, items, "depths >= 0")
    return validate_depths(items)


def _parse_finite(cfg: Mapping[str, Any], models: tuple[str, ...]) -> FiniteConfig:
    _unknown_keys("experiment.finite", cfg, FINITE_KEYS)
    enabled = bool(cfg.get("enabled", True))
    finite_models = tuple(cfg.get("models") or models)
    for name in finite_models:
        require(
            name in models,
            f"experiment.finite.models entry {name!r} is not in experiment.models {list(models)}",
        )
    widths = [
        _integer("experiment.finite.widths entry", w, 1)
        for w in _list("experiment.finite.widths", cfg.get("widths", [64, 256]))
    ]
    _increasing("experiment.finite.widths", widths, "increasing widths >= 1")
    seeds_value = cfg.get("seeds", 2)
    if isinstance(seeds_value, int) and not isinstance(seeds_value, bool):
        seeds = tuple(range(_integer("experiment.finite.seeds", seeds_value, 1)))
    else:
        seeds = tuple(
            _integer("experiment.finite.seeds entry", s, 0)
            for s in _list("experiment.finite.seeds", seeds_value)
        )
        require(
            len(set(seeds)) == len(seeds) and seeds,
            f"experiment.finite.seeds={list(seeds)} must be distinct, non-empty",
        )
    steps_value = _list("experiment.finite.steps", cfg.get("steps", [1, 8, 64]))
    _increasing("experiment.finite.steps", steps_value, "increasing integer step counts >= 0")
    lr_factor = _number("experiment.finite.lr_factor", cfg.get("lr_factor", 0.5))
    require(
        0 < lr_factor <= 1,
        f"experiment.finite.lr_factor={lr_factor} must be in (0, 1]: finite networks train by discrete GD,"
        " which diverges above η = 2/λ_max",
    )
    tolerance = _number("experiment.finite.tolerance", cfg.get("tolerance", 0.05))
    require(0 <= tolerance <= 1, f"experiment.finite.tolerance={tolerance} must be in [0, 1]")
    return FiniteConfig(
        enabled=enabled,
        models=finite_models,
        sigma_w2=parse_sigma_grid("experiment.finite.sigma_w2", cfg.get("sigma_w2", [1.0, 2.5])),
        depths=_depths("experiment.finite.depths", cfg.get("depths", [1, 3])),
        widths=tuple(widths),
        seeds=seeds,
        steps=validate_steps(steps_value),
        lr_factor=lr_factor,
        center=bool(cfg.get("center", True)),
        tolerance=tolerance,
    )


def parse_experiment_config(cfg: Mapping[str, Any]) -> XiaoConfig:
    """Validate the ``experiment`` group; every bad value is a one-line :class:`ConfigError`."""
    _unknown_keys("experiment", cfg, TOP_KEYS)
    models = tuple(_list("experiment.models", cfg.get("models", ["fcn"])))
    require(len(models) > 0, f"experiment.models is empty; allowed: {', '.join(MODELS)}")
    for name in models:
        require_choice("experiment.models entry", name, MODELS)
    require(len(set(models)) == len(models), f"experiment.models={list(models)} lists a model twice")
    times = [_number("experiment.times entry", t) for t in _list("experiment.times", cfg.get("times"))]
    _increasing("experiment.times", times, "increasing training times t >= 0 (full-batch steps)")
    require(times[0] >= 0, f"experiment.times={times} must be >= 0")
    lr_factor = _number("experiment.lr_factor", cfg.get("lr_factor", 1.0))
    require(lr_factor > 0, f"experiment.lr_factor={lr_factor} must be > 0")
    allow = cfg.get("allow_above_critical", False)
    require(isinstance(allow, bool), f"experiment.allow_above_critical={allow!r} must be true or false")
    require(
        lr_factor <= 1 or allow,
        f"experiment.lr_factor={lr_factor:g} sets η = {lr_factor:g}·2/λ_max, above the critical rate 2/λ_max"
        " where gradient descent diverges; set experiment.allow_above_critical=true to run it anyway (cells"
        " are then reported as divergent)",
    )
    predictor = cfg.get("predictor", "spectral")
    labels = cfg.get("labels", "as_given")
    require_choice("experiment.labels", labels, LABELS)
    require_choice("experiment.predictor", predictor, PREDICTORS)
    sigma_b2 = cfg.get("sigma_b2", 0.18)
    if sigma_b2 is not None:
        sigma_b2 = _number("experiment.sigma_b2", sigma_b2)
        require(sigma_b2 >= 0, f"experiment.sigma_b2={sigma_b2} must be >= 0")
    n_train, n_test = cfg.get("n_train"), cfg.get("n_test")
    analysis = cfg.get("analysis") or {}
    _unknown_keys("experiment.analysis", analysis, ANALYSIS_KEYS)
    analysis_time = analysis.get("time")
    if analysis_time is None:
        analysis_time = times[-1]
    require(
        analysis_time in times,
        f"experiment.analysis.time={analysis_time!r} must be one of experiment.times {times}",
    )
    threshold = _number("experiment.analysis.train_threshold", analysis.get("train_threshold", 0.5))
    margin = _number("experiment.analysis.chance_margin", analysis.get("chance_margin", 0.1))
    require(0 < threshold < 1, f"experiment.analysis.train_threshold={threshold} must be in (0, 1)")
    require(0 <= margin < 1, f"experiment.analysis.chance_margin={margin} must be in [0, 1)")
    return XiaoConfig(
        name=str(cfg.get("name")),
        models=models,
        sigma_b2=sigma_b2,
        sigma_w2=parse_sigma_grid("experiment.sigma_w2", cfg.get("sigma_w2"), cfg.get("sigma_w2_range")),
        depths=_depths("experiment.depths", cfg.get("depths")),
        times=tuple(times),
        lr_factor=lr_factor,
        allow_above_critical=allow,
        predictor=predictor,
        labels=labels,
        crosscheck_cells=_integer("experiment.crosscheck_cells", cfg.get("crosscheck_cells", 2), 0),
        n_train=None if n_train is None else _integer("experiment.n_train", n_train, 2),
        n_test=None if n_test is None else _integer("experiment.n_test", n_test, 1),
        downsample=_integer("experiment.downsample", cfg.get("downsample", 1), 1),
        workers=_integer("experiment.workers", cfg.get("workers", 2), 1),
        max_block_bytes=_number("experiment.max_block_bytes", cfg.get("max_block_bytes", 1e9)),
        line_factor=_number("experiment.line_factor", cfg.get("line_factor", 8.0)),
        analysis_time=float(analysis_time),
        train_threshold=threshold,
        chance_margin=margin,
        finite=_parse_finite(cfg.get("finite") or {"enabled": False}, models),
    )


# -------------------------------------------------------------------------------------------------- data


def load_data(data_cfg: Mapping[str, Any], n_train: int | None, n_test: int | None) -> tuple[Dataset, dict]:
    """The dataset, with ``n_train``/``n_test`` (when given) clipped to what the pools hold."""
    config = parse_data_config(data_cfg)
    raw = load_raw(config)
    classes = config.classes or raw.classes
    pools = {
        "train": len(select_classes(raw.x_train, raw.labels_train, classes)[1]),
        "test": len(select_classes(raw.x_test, raw.labels_test, classes)[1]),
    }
    changes = {}
    if n_train is not None:
        changes["n_train"] = min(n_train, pools["train"])
    if n_test is not None:
        changes["n_test"] = min(n_test, pools["test"])
    data = prepare(raw, dataclasses.replace(config, **changes))
    require(
        data.n_test >= 1, "xiao2020 needs test examples (data.n_test >= 1): test accuracy is half the map"
    )
    sizes = {"requested": {"n_train": n_train, "n_test": n_test}, "pools": pools}
    return data, sizes


def downsample(data: Dataset, factor: int) -> Dataset:
    """Average-pool images/signals by ``factor`` along each spatial axis (and renormalise to ‖x‖² = D)."""
    if factor == 1:
        return data
    shape = data.spatial_shape
    require(
        len(shape) > 0, f"experiment.downsample={factor} needs image or signal inputs; {data.name} is flat"
    )
    require(
        all(s % factor == 0 for s in shape),
        f"experiment.downsample={factor} must divide the spatial shape {list(shape)} of {data.name}",
    )

    def pool(x: np.ndarray) -> np.ndarray:
        split = [x.shape[0]]
        for s in shape:
            split += [s // factor, factor]
        split.append(x.shape[-1])
        pooled = x.reshape(split).mean(axis=tuple(range(2, 2 * len(shape) + 1, 2)))
        return normalize(pooled) if data.meta.get("preprocessing", {}).get("normalize", True) else pooled

    meta = {**data.meta, "downsampled_by": factor}
    return dataclasses.replace(data, x_train=pool(data.x_train), x_test=pool(data.x_test), meta=meta)


def centre_labels_over_train(data: Dataset) -> Dataset:
    """Targets Ŷ = Y − 1ȳᵀ (ȳ: the training-set mean of each output), so 1ᵀŶ = 0.

    The mean predictor Θ_xX Θ⁻¹ Y then has no constant-mode term Θ_xX 1 (1ᵀΘ⁻¹Y): with the labels as given
    that term carries the training set's class imbalance, and in deep chaotic kernels it makes every test
    point predict the majority training class (Xiao et al. 2020's mean predictor analysis assumes 1ᵀY = 0).
    Argmax accuracy is unchanged wherever that term is negligible.
    """
    y = np.asarray(data.y_train, dtype=np.float64)
    meta = {**data.meta, "labels": "centred over the training set (1ᵀY = 0)"}
    return dataclasses.replace(data, y_train=y - y.mean(axis=0, keepdims=True), meta=meta)


# ---------------------------------------------------------------------------------------- infinite width


@dataclass
class ModelMaps:
    """One architecture's kernel-regression outcome on the whole grid: one DepthEvaluation per σ_w²."""

    name: str
    columns: list[DepthEvaluation]
    kernel_s: float
    evaluation_s: float

    def stack(self, field: str) -> np.ndarray:
        return np.stack([getattr(c, field) for c in self.columns])


def crosscheck_cells(count: int, columns: int, depths: int) -> dict[int, tuple[int, ...]]:
    """``count`` (column, depth) cells spread along the grid's diagonal, as {column: depth indices}."""
    cells: dict[int, set[int]] = {}
    for c in range(count):
        frac = c / (count - 1) if count > 1 else 0.0
        cells.setdefault(round(frac * (columns - 1)), set()).add(round(frac * (depths - 1)))
    return {s: tuple(sorted(d)) for s, d in cells.items()}


def compute_maps(
    network: Network, data: Dataset, xc: XiaoConfig, sigma_b2: float, label: str
) -> ModelMaps:
    """Kernels of every σ_w² column (one layerwise pass each) and their kernel-regression evaluation."""
    shared_pass = kernel_pass(network)
    cross = crosscheck_cells(xc.crosscheck_cells, len(xc.sigma_w2), len(xc.depths))

    def column(s: int) -> tuple[DepthEvaluation, float, float]:
        w2 = xc.sigma_w2[s]
        start = time.perf_counter()
        options = {"max_block_bytes": xc.max_block_bytes}
        train = shared_pass.across_depth(data.x_train, None, xc.depths, w2, sigma_b2, **options)
        test = shared_pass.across_depth(data.x_test, data.x_train, xc.depths, w2, sigma_b2, **options)
        middle = time.perf_counter()
        evaluation = evaluate_depths(
            train.ntk,
            test.ntk,
            data.y_train,
            data.labels_train,
            data.labels_test,
            xc.times,
            lr_factor=xc.lr_factor,
            predictor=xc.predictor,
            crosscheck=cross.get(s, ()),
        )
        return evaluation, middle - start, time.perf_counter() - middle

    count = len(xc.sigma_w2)
    # one BLAS thread per worker: the column threads fill the cores, and oversubscribed OpenBLAS threads
    # stall the small eigendecompositions (ntk_bench.blas)
    with single_threaded_blas():
        outputs = [column(0)]  # compiles the block/readout functions once, before the threads share them
        if count > 1:
            with ThreadPoolExecutor(max_workers=xc.workers) as pool:
                rest = pool.map(column, range(1, count))
                outputs += list(progress(rest, count - 1, f"xiao2020 {label}: σ_w² columns"))
    return ModelMaps(
        label,
        [o[0] for o in outputs],
        kernel_s=float(sum(o[1] for o in outputs)),
        evaluation_s=float(sum(o[2] for o in outputs)),
    )


# --------------------------------------------------------------------------------------------- analysis


def _theory(activation: str, xc: XiaoConfig, sigma_b2: float, workers: int) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        summaries = list(pool.map(lambda w2: mean_field_summary(activation, w2, sigma_b2), xc.sigma_w2))
    theory: dict[str, Any] = {
        key: np.array([getattr(m, key) for m in summaries], dtype=np.float64)
        for key in ("q_star", "c_star", "chi_1", "chi_c_star", "xi_1", "xi_star")
    }
    theory["phase"] = [m.phase for m in summaries]
    theory["critical_sigma_w2"] = critical_sigma_w2(activation, sigma_b2)
    theory["line_factor"] = xc.line_factor
    return theory


def _finite_stat(statistic, values: np.ndarray) -> float:
    """``statistic`` (np.nanmin, np.nanmax, …) of ``values``, NaN when none is finite (divergent cells)."""
    return float(statistic(values)) if np.isfinite(values).any() else math.nan


def _depths_by_time(depths, accuracy_map: np.ndarray, threshold: float) -> np.ndarray:
    """(S, T): the crossing depth of each column at each time."""
    columns, _, t_count = accuracy_map.shape
    return np.array(
        [
            [crossing_depth(depths, accuracy_map[s, :, j], threshold) for j in range(t_count)]
            for s in range(columns)
        ]
    )


def _fit_block(
    xi: np.ndarray, depth: np.ndarray, mask: np.ndarray, jt: int, sigma: np.ndarray
) -> dict[str, Any]:
    fits = [fit_proportional(xi[mask], depth[mask, j]) for j in range(depth.shape[1])]
    used = mask & np.isfinite(depth[:, jt])
    return {
        "fit": fits[jt].to_dict(),
        "sigma_w2": sigma[used].tolist(),
        "xi": xi[used].tolist(),
        "depth": depth[used, jt].tolist(),
        "censored_columns": int(np.sum(mask & ~np.isfinite(depth[:, jt]))),
        "constant_by_time": [f.constant for f in fits],
        "r_squared_by_time": [f.r_squared for f in fits],
    }


def analyse_model(
    maps: ModelMaps, theory: Mapping[str, Any], xc: XiaoConfig, chance: float
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The acceptance analyses of one architecture: (summary, arrays)."""
    depths = np.asarray(xc.depths, dtype=np.float64)
    sigma = np.asarray(xc.sigma_w2)
    train, test = maps.stack("train_accuracy"), maps.stack("test_accuracy")
    jt = xc.times.index(xc.analysis_time)
    phases = np.asarray(theory["phase"])
    ordered, chaotic = phases == "ordered", phases == "chaotic"
    trainable = _depths_by_time(depths, train, xc.train_threshold)
    chance_depth = _depths_by_time(depths, test, chance + xc.chance_margin)

    ordered_block = _fit_block(theory["xi_1"], trainable, ordered, jt, sigma)
    ordered_block.update(time=xc.analysis_time, threshold=xc.train_threshold)
    chaotic_block = _fit_block(theory["xi_star"], chance_depth, chaotic, jt, sigma)
    beyond = [
        train[s, depths >= chance_depth[s, jt], jt]
        for s in np.flatnonzero(chaotic & np.isfinite(chance_depth[:, jt]))
    ]
    beyond_values = np.concatenate(beyond) if beyond else np.array([])
    beyond_values = beyond_values[np.isfinite(beyond_values)]
    chaotic_block.update(
        time=xc.analysis_time,
        chance=chance,
        threshold=chance + xc.chance_margin,
        train_accuracy_beyond={
            "mean": float(beyond_values.mean()) if beyond_values.size else math.nan,
            "min": float(beyond_values.min()) if beyond_values.size else math.nan,
            "cells": int(beyond_values.size),
        },
    )

    rms = maps.stack("mean_predictor_rms")
    rate_theory = np.log(theory["chi_c_star"] / theory["chi_1"])
    decay_curve = np.full_like(rms, np.nan)
    decay = {"sigma_w2": [], "fitted_rate": [], "theory_rate": [], "ratio": [], "n_points": []}
    for s in np.flatnonzero(chaotic):
        fit = fit_mean_predictor_decay(depths, rms[s], rate_theory[s])
        for key in ("fitted_rate", "theory_rate", "ratio", "n_points"):
            decay[key].append(getattr(fit, key))
        decay["sigma_w2"].append(float(sigma[s]))
        start = np.flatnonzero(depths >= 1)
        if start.size:
            l0 = start[0]
            later = depths >= depths[l0]
            decay_curve[s, later] = (
                rms[s, l0]
                * depths[later]
                / depths[l0]
                * np.exp(rate_theory[s] * (depths[later] - depths[l0]))
            )
    ratios = np.asarray(decay["ratio"], dtype=np.float64)
    decay["median_ratio"] = _finite_stat(np.nanmedian, ratios)

    eta, eta_nt, divergent = maps.stack("eta"), maps.stack("eta_nt"), maps.stack("divergent")
    nonfinite = maps.stack("nonfinite_kernel")
    crosscheck = np.array([c.crosscheck_rel_error for c in maps.columns])
    summary = {
        "ordered_trainable_depth": ordered_block,
        "chaotic_test_chance_depth": chaotic_block,
        "mean_predictor_decay": decay,
        "learning_rate": {
            "lr_factor": xc.lr_factor,
            "eta_min": _finite_stat(np.nanmin, eta),
            "eta_max": _finite_stat(np.nanmax, eta),
            "eta_nt_min": _finite_stat(np.nanmin, eta_nt),
            "eta_nt_max": _finite_stat(np.nanmax, eta_nt),
        },
        "divergent_cells": int(np.sum(divergent)),
        # cells whose analytic kernel held a NaN/Inf: divergent, all their values NaN (never silent numbers)
        "nonfinite_kernel_cells": {
            "count": int(np.sum(nonfinite)),
            "cells": [[float(xc.sigma_w2[c]), int(xc.depths[d])] for c, d in np.argwhere(nonfinite)],
            "reason": "analytic NTK not finite (NaN/Inf) at these (σ_w², depth) cells",
        },
        "crosscheck_max_rel_error": _finite_stat(np.nanmax, crosscheck),
        "timing_s": {"kernels": maps.kernel_s, "evaluation": maps.evaluation_s},
    }
    arrays = {
        "trainable_depth": trainable,
        "test_chance_depth": chance_depth,
        "mean_predictor_decay_theory": decay_curve,
    }
    return summary, arrays


MEAN_PREDICTOR_LEVEL = (
    1e-3  # the mean-predictor comparison: depth where rms falls to 1e-3 of its depth-1 value
)


def _mean_predictor_depth(depths: Sequence[int], rms: np.ndarray) -> float:
    depths = np.asarray(depths, dtype=np.float64)
    start = np.flatnonzero(depths >= 1)
    if start.size == 0 or not rms[start[0]] > 0:
        return math.nan
    relative = np.log10(np.maximum(rms[start] / rms[start[0]], 1e-300))
    return crossing_depth(depths[start], relative, math.log10(MEAN_PREDICTOR_LEVEL))


def compare_pool_flatten(
    chance_depth: Mapping[str, np.ndarray],
    mean_predictor_rms: Mapping[str, np.ndarray],
    theory: Mapping[str, Any],
    xc: XiaoConfig,
    positions: int,
) -> dict[str, Any]:
    """CNN-P vs CNN-F: the depth where test accuracy reaches chance, per chaotic σ_w² column.

    A depth beyond the grid (never reached chance) counts as deeper than any finite one; columns where
    neither reaches chance are uninformative and left out of ``pool_deeper_fraction``. Alongside, the depth
    where the data-dependent mean predictor falls to ``MEAN_PREDICTOR_LEVEL`` of its depth-1 value (the
    quantity the ξ_*·ln d argument is about), and the ratio rms_P/rms_F of the data-dependent mean predictors
    at the deepest grid depth (pooling divides the growing diagonal of the chaotic NTK by up to d positions,
    so the ratio rises towards ~d as depth grows; Xiao et al. 2020 §5).
    """
    jt = xc.times.index(xc.analysis_time)
    chaotic = np.flatnonzero(np.asarray(theory["phase"]) == "chaotic")
    flat, pool = chance_depth["cnn_flatten"][chaotic, jt], chance_depth["cnn_pool"][chaotic, jt]
    beyond = float(xc.depths[-1]) + 1.0
    flat_c, pool_c = np.where(np.isfinite(flat), flat, beyond), np.where(np.isfinite(pool), pool, beyond)
    informative = np.isfinite(flat) | np.isfinite(pool)
    deeper = pool_c > flat_c
    both = np.isfinite(flat) & np.isfinite(pool)
    return {
        "time": xc.analysis_time,
        "sigma_w2": [xc.sigma_w2[s] for s in chaotic],
        "cnn_flatten_depth": flat.tolist(),
        "cnn_pool_depth": pool.tolist(),
        "pool_deeper": deeper.tolist(),
        "informative_columns": int(np.sum(informative)),
        "pool_deeper_fraction": float(np.mean(deeper[informative])) if informative.any() else math.nan,
        "mean_extra_depth_where_both_finite": float(np.mean(pool[both] - flat[both]))
        if both.any()
        else math.nan,
        "theory_extra_depth_xi_star_ln_d": (theory["xi_star"][chaotic] * math.log(positions)).tolist(),
        "mean_predictor_level": MEAN_PREDICTOR_LEVEL,
        "mean_predictor_depth_cnn_flatten": [
            _mean_predictor_depth(xc.depths, mean_predictor_rms["cnn_flatten"][s]) for s in chaotic
        ],
        "mean_predictor_depth_cnn_pool": [
            _mean_predictor_depth(xc.depths, mean_predictor_rms["cnn_pool"][s]) for s in chaotic
        ],
        "mean_predictor_ratio_deepest": [
            float(mean_predictor_rms["cnn_pool"][s, -1] / mean_predictor_rms["cnn_flatten"][s, -1])
            for s in chaotic
        ],
        "deepest_depth": int(xc.depths[-1]),
        "deepest_depth_over_xi_star": (xc.depths[-1] / theory["xi_star"][chaotic]).tolist(),
        "spatial_positions_d": positions,
    }


# ---------------------------------------------------------------------------------------- finite width


def finite_check(
    spec, data: Dataset, xc: XiaoConfig, sigma_b2: float, spatial_ndim: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Finite-width networks vs the infinite-width prediction at the same η and steps (discrete GD)."""
    fc = xc.finite
    start = time.perf_counter()
    shared_pass = kernel_pass(Network(spec, spatial_ndim))
    b_count, d_count, t_count = len(fc.sigma_w2), len(fc.depths), len(fc.steps)
    eta = np.empty((b_count, d_count))
    ref = {"train": [], "test": []}
    flow = {"train": np.empty((b_count, d_count, t_count)), "test": np.empty((b_count, d_count, t_count))}
    for b, w2 in enumerate(fc.sigma_w2):
        train_k = shared_pass.across_depth(data.x_train, None, fc.depths, w2, sigma_b2).ntk
        test_k = shared_pass.across_depth(data.x_test, data.x_train, fc.depths, w2, sigma_b2).ntk
        ref_train, ref_test = [], []
        for d in range(d_count):
            decomposition = symmetric_eigh(train_k[d])
            eta[b, d] = fc.lr_factor * critical_learning_rate(decomposition.eigenvalues[0])
            f_train, f_test = discrete_gd(decomposition, data.y_train, eta[b, d], fc.steps, test_k[d])
            ref_train.append(f_train)
            ref_test.append(f_test)
            g_train, g_test = gradient_flow(decomposition, data.y_train, eta[b, d], fc.steps, test_k[d])
            flow["train"][b, d] = accuracy(g_train, data.labels_train)
            flow["test"][b, d] = accuracy(g_test, data.labels_test)
        ref["train"].append(np.stack(ref_train))
        ref["test"].append(np.stack(ref_test))
    ref_train, ref_test = np.stack(ref["train"]), np.stack(ref["test"])  # (B, Dd, T, n, C)
    kernel_s = time.perf_counter() - start

    shape = (len(fc.widths), b_count, d_count, len(fc.seeds), t_count)
    acc = {"train": np.empty(shape), "test": np.empty(shape)}
    error = np.empty(shape)
    diverged = np.zeros(shape[:4], dtype=bool)
    train_s = {}
    for w, width in enumerate(fc.widths):
        network = Network(dataclasses.replace(spec, width=width), spatial_ndim, out_dim=data.num_classes)
        tic = time.perf_counter()
        for d, depth in enumerate(fc.depths):
            run = FiniteTrainer(network, depth, center=fc.center).run(
                data.x_train, data.y_train, data.x_test, fc.sigma_w2, sigma_b2, eta[:, d], fc.seeds, fc.steps
            )
            acc["train"][w, :, d] = accuracy(run.train, data.labels_train)
            acc["test"][w, :, d] = accuracy(run.test, data.labels_test)
            both_finite = np.concatenate([run.train, run.test], axis=-2)
            both_ref = np.concatenate([ref_train[:, d], ref_test[:, d]], axis=-2)[:, None]
            error[w, :, d] = relative_output_error(both_finite, both_ref)
            diverged[w, :, d] = run.diverged
        train_s[str(width)] = time.perf_counter() - tic
    ref_acc = {
        "train": accuracy(ref_train, data.labels_train),  # (B, Dd, T)
        "test": accuracy(ref_test, data.labels_test),
    }
    diff = np.stack(
        [acc[split] - ref_acc[split][None, :, :, None, :] for split in ("train", "test")], axis=1
    )  # (W, 2, B, Dd, R, T)
    scores = agreement_by_width(fc.widths, diff, error, fc.tolerance)
    summary = {
        **scores,
        "sigma_w2": list(fc.sigma_w2),
        "depths": list(fc.depths),
        "seeds": list(fc.seeds),
        "steps": list(fc.steps),
        "lr_factor": fc.lr_factor,
        "centered_output": fc.center,
        "reference": "infinite-width discrete GD, same η (= lr_factor·2/λ_max of the analytic NTK) and steps",
        "diverged_runs": int(diverged.sum()),
        "timing_s": {"reference_kernels": kernel_s, "training_by_width": train_s},
    }
    arrays = {
        "finite_widths": np.asarray(fc.widths),
        "finite_sigma_w2": np.asarray(fc.sigma_w2),
        "finite_depths": np.asarray(fc.depths),
        "finite_steps": np.asarray(fc.steps),
        "finite_eta": eta,
        "finite_train_accuracy": acc["train"],
        "finite_test_accuracy": acc["test"],
        "finite_output_rel_error": error,
        "finite_diverged": diverged,
        "infinite_train_accuracy": ref_acc["train"],
        "infinite_test_accuracy": ref_acc["test"],
        "infinite_flow_train_accuracy": flow["train"],
        "infinite_flow_test_accuracy": flow["test"],
    }
    return summary, arrays


# ------------------------------------------------------------------------------------------- experiment


def _spec(model_cfg: Mapping[str, Any], name: str, sigma_b2: float | None):
    cfg = dict(model_cfg)
    cfg.update(name=name, depth=1, sigma_w2=1.0)
    if sigma_b2 is not None:
        cfg["sigma_b2"] = sigma_b2
    return model_spec_from_config(cfg)


def run_xiao2020(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Heat maps, spectra, depth-scale fits and the finite-width check for ``experiment.models``."""
    started = time.perf_counter()
    xc = parse_experiment_config(cfg["experiment"])
    specs = {name: _spec(cfg["model"], name, xc.sigma_b2) for name in xc.models}
    sigma_b2 = next(iter(specs.values())).sigma_b2
    activation = next(iter(specs.values())).activation
    data, sizes = load_data(cfg["data"], xc.n_train, xc.n_test)
    data = downsample(data, xc.downsample)
    if xc.labels == "train_centred":
        data = centre_labels_over_train(data)
    for name, spec in specs.items():
        if spec.is_convolutional and not data.spatial_shape:
            raise ConfigError(
                f"experiment.models entry {name} is a CNN and needs image or signal inputs, but"
                f" data={data.name}"
                " is flat; use digits, mnist1d, mnist, fashion_mnist, cifar10 or synthetic with spatial_shape"
            )
    model_data = {name: (data if spec.is_convolutional else data.flat()) for name, spec in specs.items()}
    networks = {
        name: Network(spec, len(model_data[name].spatial_shape)) for name, spec in specs.items()
    }
    theory = _theory(activation, xc, sigma_b2, xc.workers)
    # chance: the best test accuracy of a data-independent (constant) prediction; 1/C for balanced test sets
    chance = float(np.bincount(data.labels_test, minlength=data.num_classes).max() / data.n_test)

    summary: dict[str, Any] = {
        "models": list(xc.models),
        "activation": activation,
        "sigma_b2": sigma_b2,
        "n_train": data.n_train,
        "n_test": data.n_test,
        "input_shape": list(model_data[xc.models[0]].x_train.shape[1:]),
        "data_sizes": sizes,
        "chance_accuracy": chance,
        "chance_definition": "largest class frequency in the test set (best constant prediction)",
        "eta_convention": (
            "eta: step size on L = ½‖f(X) − Y‖² (sum over examples and outputs), eta = lr_factor·2/λ_max per"
            " (σ_w², depth) cell; eta_nt = eta·|Y| is neural-tangents' learning_rate (its loss is divided by"
            " |Y| = m·C). t counts full-batch steps: f_t(X) = (I − exp(−eta·Θ·t))Y, f_0 = 0."
        ),
        "predictor": xc.predictor,
        "labels": xc.labels,
        "theory": {
            "critical_sigma_w2": theory["critical_sigma_w2"],
            "line_factor": xc.line_factor,
            "phase": theory["phase"],
        },
    }
    series: dict[str, list[float]] = {"sigma_w2": list(xc.sigma_w2)}
    series["phase_code"] = [PHASE_CODES[p] for p in theory["phase"]]
    for key in ("q_star", "c_star", "chi_1", "chi_c_star", "xi_1", "xi_star"):
        series[key] = theory[key].tolist()
    arrays: dict[str, np.ndarray] = {
        "sigma_w2": np.asarray(xc.sigma_w2),
        "depths": np.asarray(xc.depths),
        "times": np.asarray(xc.times),
        "theory_line_ordered": xc.line_factor * theory["xi_1"],
        "theory_line_chaotic": xc.line_factor * theory["xi_star"],
    }
    figures: dict[str, Path] = {}
    chance_depths: dict[str, np.ndarray] = {}
    test_at_time: dict[str, np.ndarray] = {}
    jt = xc.times.index(xc.analysis_time)
    for name in xc.models:
        label = get_family(name).label
        maps = compute_maps(networks[name], model_data[name], xc, sigma_b2, label)
        model_summary, model_arrays = analyse_model(maps, theory, xc, chance)
        for field in (
            "train_accuracy",
            "test_accuracy",
            "eta",
            "eta_nt",
            "divergent",
            "lambda_max",
            "lambda_bulk",
            "lambda_min",
            "kappa_bulk",
            "mean_predictor_rms",
            "mean_predictor_rms_raw",
            "mean_predictor_test_accuracy",
        ):
            arrays[f"{name}/{field}"] = maps.stack(field)
        for key, value in model_arrays.items():
            arrays[f"{name}/{key}"] = value
        series[f"{name}/trainable_depth"] = model_arrays["trainable_depth"][:, jt].tolist()
        series[f"{name}/test_chance_depth"] = model_arrays["test_chance_depth"][:, jt].tolist()
        chance_depths[name] = model_arrays["test_chance_depth"]
        test_at_time[label] = arrays[f"{name}/test_accuracy"][:, :, jt]
        summary[name] = model_summary

        title = (
            f"{label} {activation}, σ_b²={sigma_b2:g}, {data.name} m={data.n_train} (test {data.n_test});"
            f" η = {xc.lr_factor:g}·2/λ_max; dashed: {xc.line_factor:g}·ξ_1 (white),"
            f" {xc.line_factor:g}·ξ_* (red)"
        )
        figures[f"heatmaps_{name}"] = save_figure(
            accuracy_heatmaps(
                xc.sigma_w2,
                xc.depths,
                xc.times,
                arrays[f"{name}/train_accuracy"],
                arrays[f"{name}/test_accuracy"],
                theory,
                title,
            ),
            job_dir / f"heatmaps_{name}",
        )
        spectra = {
            k: arrays[f"{name}/{k}"]
            for k in ("lambda_max", "lambda_bulk", "kappa_bulk", "mean_predictor_rms")
        }
        figures[f"spectra_{name}"] = save_figure(
            spectra_figure(
                xc.sigma_w2,
                xc.depths,
                spectra,
                model_arrays["mean_predictor_decay_theory"],
                f"{label}: NTK spectra per σ_w² column (blue: small σ_w², red: large)",
            ),
            job_dir / f"spectra_{name}",
        )
        ordered, chaotic = (
            model_summary["ordered_trainable_depth"],
            model_summary["chaotic_test_chance_depth"],
        )
        fits = {
            f"ordered: train accuracy < {xc.train_threshold:g} at t={xc.analysis_time:g}": {
                "xi": ordered["xi"],
                "depth": ordered["depth"],
                **ordered["fit"],
                "xlabel": "ξ_1",
                "ylabel": "trainable depth boundary",
            },
            f"chaotic: test accuracy ≤ chance + {xc.chance_margin:g}": {
                "xi": chaotic["xi"],
                "depth": chaotic["depth"],
                **chaotic["fit"],
                "xlabel": "ξ_*",
                "ylabel": "depth where test accuracy reaches chance",
            },
        }
        figures[f"depth_scales_{name}"] = save_figure(
            depth_scale_figure(fits, f"{label}: depth scales vs mean-field theory"),
            job_dir / f"depth_scales_{name}",
        )
        if xc.finite.enabled and name in xc.finite.models:
            finite_summary, finite_arrays = finite_check(
                specs[name], model_data[name], xc, sigma_b2, len(model_data[name].spatial_shape)
            )
            summary[name]["finite_width"] = finite_summary
            for key, value in finite_arrays.items():
                arrays[f"{name}/{key}"] = value
            widths = finite_summary["widths"]
            finite_acc = np.stack(
                [finite_arrays["finite_train_accuracy"], finite_arrays["finite_test_accuracy"]], 1
            )
            reference = np.stack(
                [finite_arrays["infinite_train_accuracy"], finite_arrays["infinite_test_accuracy"]]
            )
            reference = np.broadcast_to(reference[:, :, :, None, :], finite_acc.shape[1:]).reshape(-1)
            figures[f"finite_width_{name}"] = save_figure(
                finite_width_figure(
                    widths,
                    finite_acc.reshape(len(widths), -1),
                    reference,
                    finite_summary["output_rel_error"],
                    finite_summary["mean_abs_accuracy_diff"],
                    f"{label}: finite width (σ_w² ∈ {list(xc.finite.sigma_w2)},"
                    f" depths {list(xc.finite.depths)},"
                    f" {len(xc.finite.seeds)} seeds, steps {list(xc.finite.steps)}) vs infinite width",
                ),
                job_dir / f"finite_width_{name}",
            )
    if "cnn_flatten" in xc.models and "cnn_pool" in xc.models:
        positions = math.prod(data.spatial_shape)
        rms = {name: arrays[f"{name}/mean_predictor_rms"] for name in ("cnn_flatten", "cnn_pool")}
        summary["cnn_pool_vs_flatten"] = compare_pool_flatten(chance_depths, rms, theory, xc, positions)
        figures["cnn_side_by_side"] = save_figure(
            side_by_side_heatmaps(
                xc.sigma_w2,
                xc.depths,
                {f"{k} test accuracy, t={xc.analysis_time:g}": v for k, v in test_at_time.items()},
                theory,
                "CNN-F (flatten) vs CNN-P (global average pool): test accuracy",
            ),
            job_dir / "cnn_side_by_side",
        )
    summary["timing_s"] = {"total": time.perf_counter() - started}
    results = Results(experiment=xc.name, axis="sigma_w2", series=series, summary=summary, arrays=arrays)
    return ExperimentOutput(results=results, figures=figures)
