"""``experiment=schoenholz2017_trainability``: deep finite networks trained by SGD, next to infinite width.

Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep Information Propagation": networks trained by SGD
from a standard Gaussian initialisation (f_0 kept) train only up to a depth of order ξ_c, the correlation
depth scale (their Fig. 5: trainable when L ≲ 6·ξ_c), with

    ξ_c = −1/ln χ_c,     χ_c = σ_w² E[φ'(u_1) φ'(u_2)] at the fixed point c* of the correlation map

(ordered phase: c* = 1 and ξ_c = ξ_1 = −1/ln χ_1). Xiao, Pennington & Schoenholz (2020) read the same maps
through the NTK: ordered-side trainability is lost beyond ~ξ_1 (κ = λ_max/λ_bulk grows like 1/(l·χ_1^l)),
chaotic-side generalization beyond ~ξ_* = 1/(ln χ_1 − ln χ_c*). Residual networks (Yang & Schoenholz 2017;
Huang, Wang, Tao & Zhao 2020, branch scale α = L^{-γ}) have no exponential depth scale.

For every network of ``experiment.networks`` (registry families with their own model keys: FCN erf/tanh,
CNN-F/CNN-P on 1-D signals, ResNet), every σ_w² column and depth L of the grid:

1. **Infinite width** — the analytic train and test NTKs at every depth from one kernel pass per σ_w²
   (:func:`~ntk_bench.kernels.kernel_pass`; a ResNet with α = L^{-γ} is a different network at every L, one
   pass per depth), the step η = ``lr_factor``·η_crit with η_crit the minibatch stability bound of the kernel
   model (:func:`~ntk_bench.dynamics.learning_rates.minibatch_critical_learning_rate`, converted to the
   sum-loss units of :mod:`~ntk_bench.dynamics.finite_training`: η_crit = 2/max_B λ_max((m/b)·Θ_BB)), and the
   train/test accuracy of the mean predictor (f_0 = 0) under gradient flow to the same time τ = η·k as k SGD
   steps (:func:`~ntk_bench.dynamics.kernel_regression.evaluate_depths`, the path of xiao2020's maps, at
   t = k·λ_max/λ_max^SGD with its η = lr_factor·2/λ_max).
2. **Finite width** — real networks of width ``experiment.width`` (NTK parameterization: W ~ N(0, 1) scaled by
   σ_w/√n, the same function at initialisation as the standard N(0, σ_w²/n) draw), f_0 kept
   (``center: false``), trained by minibatch SGD on ``(m/b)·½‖f(X_b) − Y_b‖²`` (``batch_size``; null =
   full-batch GD) with the same η for ``steps`` steps, every (σ_w², seed) of a depth at once
   (:class:`~ntk_bench.dynamics.finite_training.FiniteTrainer`), in ``dtype`` (float32 by default; kernels and
   theory are float64). A run whose outputs become non-finite, or whose training loss grows above
   ``divergence_factor`` × its initial loss, is a divergent run: kept, with its reason, its accuracies NaN.
3. **Analysis** (at the last step): the trainable boundary, the depth where train accuracy (seed mean;
   divergent runs counted at the best constant prediction) falls below ``train_threshold``
   (:func:`~ntk_bench.analysis.depth_scales.crossing_depth`), fitted as depth = a·ξ_c per network, per seed
   (seed-to-seed spread of a) and for the infinite-width map at the same τ; a is compared with Schoenholz's 6
   and with the infinite-width constant. Cell-wise agreement of finite and infinite test accuracy where both
   train. ResNet vs the FCN of the same activation: boundary and accuracy at the deepest depth.

Figures are drawn from the stored results by :mod:`ntk_bench.report.trainability`; claims in
:mod:`ntk_bench.claims.trainability`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.analysis.depth_scales import crossing_depth, fit_proportional
from ntk_bench.architectures import Network, get_family, model_spec_from_config
from ntk_bench.blas import single_threaded_blas
from ntk_bench.data import Dataset, load_dataset
from ntk_bench.dynamics.finite_training import DTYPES, FiniteTrainer, validate_batch_size, validate_steps
from ntk_bench.dynamics.kernel_regression import accuracy, evaluate_depths
from ntk_bench.dynamics.learning_rates import minibatch_critical_learning_rate
from ntk_bench.errors import ConfigError, require, require_choice
from ntk_bench.experiments.xiao2020 import downsample, parse_sigma_grid
from ntk_bench.kernels import kernel_pass
from ntk_bench.progress import progress
from ntk_bench.results import Results
from ntk_bench.theory import critical_sigma_w2, mean_field_summary
from ntk_bench.tracking import ExperimentOutput

NAME = "schoenholz2017_trainability"
TOP_KEYS = {
    "name",
    "networks",
    "sigma_b2",
    "sigma_w2",
    "depths",
    "width",
    "seeds",
    "steps",
    "batch_size",
    "lr_factor",
    "allow_above_critical",
    "dtype",
    "center",
    "n_train",
    "n_test",
    "downsample",
    "train_threshold",
    "divergence_factor",
    "schoenholz_factor",
    "xiao_factor",
}
NETWORK_KEYS = {
    "name",
    "activation",
    "gamma",
    "alpha",
    "layer",
    "readout",
    "filter_size",
    "padding",
    "depths",
    "downsample",
}
MAX_WIDTH = 8192
MAX_DEPTH = 1000
MAX_STEPS = 1_000_000
# divergence reasons, per (σ_w², depth, seed) run
REASONS = {
    0: "trained",
    1: "non-finite outputs",
    2: "training loss grew above divergence_factor × initial",
    3: "analytic NTK non-finite: no step size",
}


@dataclass(frozen=True)
class NetworkEntry:
    """One network of ``experiment.networks``: its key in the results, label, model keys and depth grid."""

    key: str
    label: str
    model: dict[str, Any]
    depths: tuple[int, ...]
    downsample: int


@dataclass(frozen=True)
class TrainabilityConfig:
    """The validated ``experiment`` group (``conf/experiment/schoenholz2017_trainability.yaml``)."""

    networks: tuple[NetworkEntry, ...]
    sigma_b2: float
    sigma_w2: tuple[float, ...]
    width: int
    seeds: tuple[int, ...]
    steps: tuple[int, ...]
    batch_size: int | None
    lr_factor: float
    dtype: str
    center: bool
    n_train: int | None
    n_test: int | None
    downsample: int
    train_threshold: float
    divergence_factor: float
    schoenholz_factor: float
    xiao_factor: float


def _int(key: str, value: Any, lo: int, hi: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    require(ok, f"{key}={value!r} must be an integer in [{lo}, {hi}]")
    return int(value)


def _float(key: str, value: Any, lo: float, hi: float, *, open_lo: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > lo if open_lo else value >= lo) and value <= hi
    bracket = "(" if open_lo else "["
    require(ok, f"{key}={value!r} must be a number in {bracket}{lo:g}, {hi:g}]")
    return float(value)


def _seq(key: str, value: Any) -> list[Any]:
    ok = value is not None and not isinstance(value, str | bytes | Mapping) and hasattr(value, "__iter__")
    require(ok, f"{key}={value!r} must be a list")
    return list(value)


def _depth_grid(key: str, value: Any) -> tuple[int, ...]:
    depths = [_int(f"{key} entry", d, 1, MAX_DEPTH) for d in _seq(key, value)]
    require(
        len(depths) >= 2 and all(a < b for a, b in itertools.pairwise(depths)),
        f"{key}={depths} must be a strictly increasing list of at least 2 depths in [1, {MAX_DEPTH}]",
    )
    return tuple(depths)


def _parse_network(index: int, entry: Any, depths: tuple[int, ...]) -> tuple[dict[str, Any], tuple, Any]:
    key = f"experiment.networks[{index}]"
    require(isinstance(entry, Mapping), f"{key}={entry!r} must be a mapping with at least 'name'")
    for k in entry:
        require(k in NETWORK_KEYS, f"unknown key {key}.{k}; allowed: {', '.join(sorted(NETWORK_KEYS))}")
    get_family(entry.get("name"))
    own = entry.get("depths")
    pool = entry.get("downsample")
    model = {k: v for k, v in entry.items() if k not in ("depths", "downsample")}
    grid = depths if own is None else _depth_grid(f"{key}.depths", own)
    return model, grid, None if pool is None else _int(f"{key}.downsample", pool, 1, 1024)


def parse_config(cfg: Mapping[str, Any], model_cfg: Mapping[str, Any]) -> TrainabilityConfig:
    """Validate ``experiment`` (and each network's model keys); every bad value is a one-line ConfigError."""
    for k in cfg:
        require(k in TOP_KEYS, f"unknown key experiment.{k}; allowed: {', '.join(sorted(TOP_KEYS))}")
    depths = _depth_grid("experiment.depths", cfg.get("depths"))
    width = _int("experiment.width", cfg.get("width", 128), 1, MAX_WIDTH)
    raw_networks = _seq("experiment.networks", cfg.get("networks"))
    require(len(raw_networks) > 0, "experiment.networks is empty; give at least one {name: <family>}")
    networks, seen = [], set()
    pool_all = _int("experiment.downsample", cfg.get("downsample", 1), 1, 1024)
    for i, entry in enumerate(raw_networks):
        model, grid, pool = _parse_network(i, entry, depths)
        merged = {k: model_cfg[k] for k in ("activation", "filter_size", "padding") if k in model_cfg}
        merged.update(model)
        spec = model_spec_from_config(
            {**merged, "depth": grid[-1], "width": width, "sigma_w2": 1.0, "sigma_b2": 0.0}
        )
        key = f"{spec.name}_{spec.activation}" + (f"_{spec.layer}" if spec.name == "resnet" else "")
        require(key not in seen, f"experiment.networks lists {key} twice")
        seen.add(key)
        label = f"{spec.family.label} {spec.activation}"
        networks.append(NetworkEntry(key, label, merged, grid, pool_all if pool is None else pool))
    seeds_value = cfg.get("seeds", 2)
    if isinstance(seeds_value, int) and not isinstance(seeds_value, bool):
        seeds = tuple(range(_int("experiment.seeds", seeds_value, 1, 1000)))
    else:
        seeds = tuple(
            _int("experiment.seeds entry", s, 0, 2**31 - 1) for s in _seq("experiment.seeds", seeds_value)
        )
        require(
            len(seeds) > 0 and len(set(seeds)) == len(seeds),
            f"experiment.seeds={list(seeds)} must be distinct",
        )
    steps_value = _seq("experiment.steps", cfg.get("steps"))
    for s in steps_value:
        _int("experiment.steps entry", s, 1, MAX_STEPS)
    steps = validate_steps(steps_value)
    batch = cfg.get("batch_size")
    if batch is not None:
        batch = _int("experiment.batch_size", batch, 1, 10**7)
    lr_factor = _float("experiment.lr_factor", cfg.get("lr_factor", 0.5), 0.0, 1e6, open_lo=True)
    allow = cfg.get("allow_above_critical", False)
    require(isinstance(allow, bool), f"experiment.allow_above_critical={allow!r} must be true or false")
    require(
        lr_factor <= 1 or allow,
        f"experiment.lr_factor={lr_factor:g} sets η above the SGD stability bound 2/λ_max^SGD of the kernel"
        " model (allowed: (0, 1]); set experiment.allow_above_critical=true to run it (cells may diverge)",
    )
    dtype = cfg.get("dtype", "float32")
    require_choice("experiment.dtype", dtype, DTYPES)
    center = cfg.get("center", False)
    require(isinstance(center, bool), f"experiment.center={center!r} must be true or false")
    sigma_b2 = _float("experiment.sigma_b2", cfg.get("sigma_b2", 0.05), 0.0, 1e6)
    n_train, n_test = cfg.get("n_train"), cfg.get("n_test")
    return TrainabilityConfig(
        networks=tuple(networks),
        sigma_b2=sigma_b2,
        sigma_w2=parse_sigma_grid("experiment.sigma_w2", cfg.get("sigma_w2")),
        width=width,
        seeds=seeds,
        steps=steps,
        batch_size=batch,
        lr_factor=lr_factor,
        dtype=dtype,
        center=center,
        n_train=None if n_train is None else _int("experiment.n_train", n_train, 2, 10**7),
        n_test=None if n_test is None else _int("experiment.n_test", n_test, 1, 10**7),
        downsample=pool_all,
        train_threshold=_float(
            "experiment.train_threshold", cfg.get("train_threshold", 0.5), 0.0, 1.0, open_lo=True
        ),
        divergence_factor=_float(
            "experiment.divergence_factor", cfg.get("divergence_factor", 1e3), 1.0, 1e30, open_lo=True
        ),
        schoenholz_factor=_float(
            "experiment.schoenholz_factor", cfg.get("schoenholz_factor", 6.0), 0.0, 1e3, open_lo=True
        ),
        xiao_factor=_float("experiment.xiao_factor", cfg.get("xiao_factor", 8.0), 0.0, 1e3, open_lo=True),
    )


def load_inputs(data_cfg: Mapping[str, Any], tc: TrainabilityConfig) -> Dataset:
    """The dataset (``experiment.n_train``/``n_test`` override the data group's)."""
    cfg = dict(data_cfg)
    if tc.n_train is not None:
        cfg["n_train"] = tc.n_train
    if tc.n_test is not None:
        cfg["n_test"] = tc.n_test
    data = load_dataset(cfg)
    require(data.n_test >= 1, f"{NAME} needs test examples (data.n_test >= 1): test accuracy is half the map")
    validate_batch_size(tc.batch_size, data.n_train)
    return data


# ------------------------------------------------------------------------------------------ one network


def spec_at(entry: NetworkEntry, tc: TrainabilityConfig, depth: int):
    """The network of depth L (for a ResNet with γ, α = L^{-γ}: each depth is its own network)."""
    return model_spec_from_config(
        {**entry.model, "depth": depth, "width": tc.width, "sigma_w2": 1.0, "sigma_b2": tc.sigma_b2}
    )


def depth_groups(entry: NetworkEntry, tc: TrainabilityConfig) -> list[tuple[Any, list[int]]]:
    """Depths that share one network up to depth (one kernel pass each): [(spec, [depth indices])]."""
    groups: dict[Any, list[int]] = {}
    for d, depth in enumerate(entry.depths):
        shape = dataclasses.replace(spec_at(entry, tc, depth), depth=1)
        groups.setdefault(shape, []).append(d)
    return list(groups.items())


def infinite_width(entry: NetworkEntry, data: Dataset, tc: TrainabilityConfig) -> dict[str, np.ndarray]:
    """η per cell and the kernel prediction at the same τ = η·k: arrays (S, D) and (S, D, T)."""
    s_count, d_count, t_count = len(tc.sigma_w2), len(entry.depths), len(tc.steps)
    out = {k: np.full((s_count, d_count), np.nan) for k in ("eta", "lambda_max", "lambda_max_sgd")}
    out.update({k: np.full((s_count, d_count, t_count), np.nan) for k in ("train_accuracy", "test_accuracy")})
    out["nonfinite_kernel"] = np.zeros((s_count, d_count), dtype=bool)
    m, classes = data.n_train, data.num_classes
    batch = tc.batch_size or m
    for spec, indices in depth_groups(entry, tc):
        network = Network(spec, len(data.spatial_shape))
        depths = [entry.depths[d] for d in indices]
        for s, w2 in enumerate(tc.sigma_w2):
            shared = kernel_pass(network)
            train = shared.across_depth(data.x_train, None, depths, w2, tc.sigma_b2)
            test = shared.across_depth(data.x_test, data.x_train, depths, w2, tc.sigma_b2)
            for i, d in enumerate(indices):
                k_train, k_test = train.ntk[i], test.ntk[i]
                if not (np.isfinite(k_train).all() and np.isfinite(k_test).all()):
                    out["nonfinite_kernel"][s, d] = True
                    continue
                lam = float(np.linalg.eigvalsh(k_train)[-1])
                # the mean-loss bound over batches of b, in the sum-loss units of the trainer: ÷ m·C
                eta_crit = minibatch_critical_learning_rate(k_train, batch, classes) / (m * classes)
                eta = tc.lr_factor * eta_crit
                out["eta"][s, d], out["lambda_max"][s, d] = eta, lam
                out["lambda_max_sgd"][s, d] = 2.0 / eta_crit
                # evaluate_depths steps at lr_factor·2/λ_max: t = η·k / (lr_factor·2/λ_max) gives τ = η·k
                times = [eta * k * lam / (2.0 * tc.lr_factor) for k in tc.steps]
                evaluation = evaluate_depths(
                    k_train[None],
                    k_test[None],
                    data.y_train,
                    data.labels_train,
                    data.labels_test,
                    times,
                    lr_factor=tc.lr_factor,
                )
                out["train_accuracy"][s, d] = evaluation.train_accuracy[0]
                out["test_accuracy"][s, d] = evaluation.test_accuracy[0]
    return out


def finite_width(
    entry: NetworkEntry, data: Dataset, tc: TrainabilityConfig, eta: np.ndarray
) -> dict[str, Any]:
    """Train every (σ_w², seed) of each depth at once; accuracies (S, D, R, T), reasons (S, D, R), timing."""
    s_count, d_count, r_count, t_count = len(tc.sigma_w2), len(entry.depths), len(tc.seeds), len(tc.steps)
    acc = {k: np.full((s_count, d_count, r_count, t_count), np.nan) for k in ("train", "test")}
    loss = np.full((s_count, d_count, r_count, t_count), np.nan)
    reason = np.zeros((s_count, d_count, r_count), dtype=np.int64)
    seconds = np.zeros(d_count)
    y = np.asarray(data.y_train)
    for d, depth in enumerate(progress(entry.depths, d_count, f"{NAME} {entry.label}: depths")):
        spec = spec_at(entry, tc, depth)
        network = Network(spec, len(data.spatial_shape), out_dim=data.num_classes)
        usable = np.isfinite(eta[:, d])
        lrs = np.where(usable, eta[:, d], 0.0)
        tic = time.perf_counter()
        trainer = FiniteTrainer(network, depth, center=tc.center, batch_size=tc.batch_size, dtype=tc.dtype)
        run = trainer.run(data.x_train, y, data.x_test, tc.sigma_w2, tc.sigma_b2, lrs, tc.seeds, tc.steps)
        seconds[d] = time.perf_counter() - tic
        f0 = 0.0 if tc.center else run.initial_train  # the trained outputs are f − f_0 when centred
        initial_loss = 0.5 * np.sum((f0 - y) ** 2, axis=(-2, -1))  # (S, R)
        train_loss = 0.5 * np.sum((run.train - y) ** 2, axis=(-2, -1))  # (S, R, T)
        exploded = np.nanmax(np.where(np.isfinite(train_loss), train_loss, -np.inf), axis=2) > (
            tc.divergence_factor * initial_loss
        )
        reason[:, d] = np.where(run.diverged, 1, np.where(exploded, 2, 0))
        reason[~usable, d] = 3
        bad = reason[:, d] > 0
        a_train, a_test = accuracy(run.train, data.labels_train), accuracy(run.test, data.labels_test)
        a_train[bad], a_test[bad] = np.nan, np.nan
        acc["train"][:, d], acc["test"][:, d] = a_train, a_test
        loss[:, d] = train_loss
    return {"train": acc["train"], "test": acc["test"], "loss": loss, "reason": reason, "seconds": seconds}


# ------------------------------------------------------------------------------------------------ analysis


def best_constant(labels: np.ndarray, classes: int) -> float:
    """Accuracy of the best constant prediction (largest class frequency)."""
    return float(np.bincount(labels, minlength=classes).max() / len(labels))


def boundary_fit(depths: Sequence[int], xi: np.ndarray, accuracy_map: np.ndarray, threshold: float) -> dict:
    """Crossing depth per column (S,) of ``accuracy_map`` (S, D) and the fit depth = a·ξ (NaN columns out)."""
    boundary = np.array([crossing_depth(depths, accuracy_map[s], threshold) for s in range(len(xi))])
    fit = fit_proportional(xi, boundary)
    return {"depth": boundary, "fit": fit.to_dict()}


def analyse(
    entry: NetworkEntry,
    tc: TrainabilityConfig,
    theory: Mapping[str, np.ndarray],
    finite: Mapping[str, Any],
    infinite: Mapping[str, np.ndarray],
    chance_train: float,
) -> dict[str, Any]:
    """Boundaries vs ξ_c (finite: seed mean and per seed; infinite at the same τ) and the agreement."""
    j = len(tc.steps) - 1
    plain = get_family(entry.model["name"]).plain_mean_field
    xi_c = theory["xi_c_star"] if plain else np.full(len(tc.sigma_w2), np.nan)
    train = np.where(np.isnan(finite["train"][..., j]), chance_train, finite["train"][..., j])  # (S, D, R)
    mean_train = train.mean(axis=2)
    finite_fit = boundary_fit(entry.depths, xi_c, mean_train, tc.train_threshold)
    per_seed = [
        boundary_fit(entry.depths, xi_c, train[:, :, r], tc.train_threshold) for r in range(len(tc.seeds))
    ]
    seed_depths = np.stack([p["depth"] for p in per_seed])  # (R, S)
    seed_constants = np.array([p["fit"]["constant"] for p in per_seed])
    inf_train = np.where(
        np.isnan(infinite["train_accuracy"][..., j]), chance_train, infinite["train_accuracy"][..., j]
    )
    infinite_fit = boundary_fit(entry.depths, xi_c, inf_train, tc.train_threshold)

    # cell-wise agreement of the test accuracy where both the finite networks and the kernel train
    finite_test = finite["test"][..., j]  # (S, D, R)
    r_ok = np.sum(np.isfinite(finite_test), axis=2)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells (every seed divergent) stay NaN
        mean_test = np.nanmean(finite_test, axis=2)
        se_test = np.nanstd(finite_test, axis=2, ddof=1) / np.sqrt(r_ok)
    both = (mean_train >= tc.train_threshold) & (inf_train >= tc.train_threshold) & np.isfinite(mean_test)
    inf_test = infinite["test_accuracy"][..., j]
    diff = mean_test - inf_test
    se_both = se_test[both]
    se_rms = float(np.sqrt(np.nanmean(se_both**2))) if np.isfinite(se_both).any() else math.nan
    agreement = {
        "cells": int(both.sum()),
        "mean_abs_test_diff": float(np.mean(np.abs(diff[both]))) if both.any() else math.nan,
        "mean_test_diff": float(np.mean(diff[both])) if both.any() else math.nan,
        "seed_se_rms": se_rms,
        "margin": 3.0 * se_rms,
        "margin_rule": "3 × rms over the compared cells of the seed-to-seed standard error of the finite "
        "test accuracy (sd over seeds / √R)",
        "fraction_within_3se": float(np.mean(np.abs(diff[both]) <= 3 * se_test[both]))
        if both.any()
        else math.nan,
        "train_cells_agree": float(
            np.mean((mean_train >= tc.train_threshold) == (inf_train >= tc.train_threshold))
        ),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # columns with < 2 finite seed boundaries: NaN
        seed_sd = np.nanstd(seed_depths, axis=0, ddof=1) if len(tc.seeds) > 1 else np.full(len(xi_c), np.nan)
    constants = seed_constants[np.isfinite(seed_constants)]
    return {
        "label": entry.label,
        "model": entry.model,
        "depths": list(entry.depths),
        "plain_mean_field": plain,
        "boundary": {
            "threshold": tc.train_threshold,
            "step": tc.steps[j],
            "xi_c": xi_c.tolist(),
            "depth": finite_fit["depth"].tolist(),
            "seed_depths": seed_depths.tolist(),
            "seed_sd": seed_sd.tolist(),
            "fit": finite_fit["fit"],
            "seed_constants": seed_constants.tolist(),
            "constant_seed_sd": float(np.std(constants, ddof=1)) if constants.size > 1 else math.nan,
            "schoenholz_constant": tc.schoenholz_factor,
            "infinite_depth": infinite_fit["depth"].tolist(),
            "infinite_fit": infinite_fit["fit"],
            "censored_columns": int(np.sum(~np.isfinite(finite_fit["depth"]))),
        },
        "agreement": agreement,
        "divergent_runs": {
            "count": int(np.sum(finite["reason"] > 0)),
            "by_reason": {REASONS[k]: int(np.sum(finite["reason"] == k)) for k in (1, 2, 3)},
            "cells": [
                [
                    float(tc.sigma_w2[s]),
                    int(entry.depths[d]),
                    int(tc.seeds[r]),
                    REASONS[int(finite["reason"][s, d, r])],
                ]
                for s, d, r in np.argwhere(finite["reason"] > 0)
            ],
        },
        "timing_s": {"training_by_depth": finite["seconds"].tolist()},
    }


def compare_resnet(summary: Mapping[str, Any], tc: TrainabilityConfig, finite: Mapping[str, Mapping]) -> dict:
    """Each ResNet against the FCN of the same activation: boundary (beyond the grid = deeper) and the test
    and
    train accuracy at the deepest common depth (seed means, with the seed standard errors)."""
    out = {}
    j = len(tc.steps) - 1
    for key, entry in summary.items():
        if entry["model"]["name"] != "resnet":
            continue
        fcn_key = f"fcn_{key.split('_')[1]}"
        if fcn_key not in summary:
            continue
        fcn = summary[fcn_key]
        common = sorted(set(entry["depths"]) & set(fcn["depths"]))
        if not common:
            continue
        deepest = common[-1]
        beyond = float(deepest) + 1.0
        res_b = np.asarray(entry["boundary"]["depth"], dtype=float)
        fcn_b = np.asarray(fcn["boundary"]["depth"], dtype=float)
        informative = np.isfinite(fcn_b)
        deeper = np.where(np.isfinite(res_b), res_b, beyond) >= fcn_b
        at = {}
        for name, k in (("resnet", key), ("fcn", fcn_key)):
            d = summary[k]["depths"].index(deepest)
            for split in ("train", "test"):
                v = finite[k][split][:, d, :, j]
                at[f"{name}_{split}"] = np.nanmean(v, axis=1).tolist()
                at[f"{name}_{split}_se"] = (
                    np.nanstd(v, axis=1, ddof=1) / np.sqrt(np.sum(np.isfinite(v), axis=1))
                ).tolist()
        out[key] = {
            "fcn": fcn_key,
            "deepest_depth": deepest,
            "sigma_w2": list(tc.sigma_w2),
            "resnet_boundary": res_b.tolist(),
            "fcn_boundary": fcn_b.tolist(),
            "informative_columns": int(informative.sum()),
            "resnet_deeper_fraction": float(np.mean(deeper[informative])) if informative.any() else math.nan,
            **at,
        }
    return out


# ---------------------------------------------------------------------------------------------- experiment


def theory_columns(activation: str, tc: TrainabilityConfig) -> dict[str, Any]:
    summaries = [mean_field_summary(activation, w2, tc.sigma_b2) for w2 in tc.sigma_w2]
    out: dict[str, Any] = {
        key: np.array([getattr(m, key) for m in summaries], dtype=np.float64)
        for key in ("q_star", "chi_1", "chi_c_star", "xi_1", "xi_c_star", "xi_star")
    }
    out["phase"] = [m.phase for m in summaries]
    out["critical_sigma_w2"] = critical_sigma_w2(activation, tc.sigma_b2)
    return out


def run_trainability(cfg: Mapping[str, Any], job_dir: Path) -> ExperimentOutput:
    """Finite (SGD) and infinite-width trainability/generalization maps per network, with their analysis."""
    started = time.perf_counter()
    tc = parse_config(cfg["experiment"], cfg["model"])
    data = load_inputs(cfg["data"], tc)
    for entry in tc.networks:
        spec = spec_at(entry, tc, entry.depths[0])
        if entry.downsample > 1 or spec.is_convolutional:
            downsample(data, entry.downsample)  # validates the factor against the spatial shape
        if spec.is_convolutional and not data.spatial_shape:
            raise ConfigError(
                f"experiment.networks entry {entry.key} is a CNN and needs image or signal inputs, but"
                f" data={data.name} is flat; use mnist1d, digits or synthetic with spatial_shape"
            )
    chance_train = best_constant(data.labels_train, data.num_classes)
    chance_test = best_constant(data.labels_test, data.num_classes)
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
            theory = theory_columns(activation, tc)
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
