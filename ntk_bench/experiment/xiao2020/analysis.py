"""The analyses of the heat maps (Xiao, Pennington & Schoenholz 2020, §4-§5): boundaries
read off the maps and set against the mean-field depth scales, per label convention.

Estimators come from :mod:`ntk_bench.analysis.depth_scales`; this module assembles them into the run's
summary (verdicts are the claims' job, :mod:`ntk_bench.claims.xiao2020`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ntk_bench.analysis.depth_scales import (
    crossing_depth,
    fit_mean_predictor_decay,
    fit_proportional,
    trainable_depth_time_fit,
)
from ntk_bench.experiment.xiao2020.config import XiaoConfig
from ntk_bench.experiment.xiao2020.maps import ModelMaps

# the mean-predictor comparison: depth where rms falls to 1e-3 of its depth-1 value
MEAN_PREDICTOR_LEVEL = 1e-3
# A mean predictor that fell by more than 14 decades (rms ratio < 1e-14 ≈ 45 ε) is at float64 round-off: its
# log10 drop is recorded as this floor (with the columns that reached it), not as a round-off number that
# changes from run to run (measured −15.69 and −15.71 for the same CNN-P column in two nightly runs).
ROUNDOFF_DECADES = -14.0


def finite_stat(statistic, values: np.ndarray) -> float:
    """``statistic`` (np.nanmin, np.nanmax, …) of ``values``, NaN when none is finite (divergent cells)."""
    return float(statistic(values)) if np.isfinite(values).any() else math.nan


def depths_by_time(depths, accuracy_map: np.ndarray, threshold: float) -> np.ndarray:
    """(S, T): the crossing depth of each column at each time (NaN: censored, never a number)."""
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
        "censored_sigma_w2": sigma[mask & ~np.isfinite(depth[:, jt])].tolist(),
        "constant_by_time": [f.constant for f in fits],
        "r_squared_by_time": [f.r_squared for f in fits],
    }


def boundaries(
    maps: ModelMaps, convention: str, theory: Mapping[str, Any], xc: XiaoConfig, chance: float, margin: float
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The trainable boundary (ordered side, train accuracy < threshold, regressed on ξ_1 and on ln t) and
    the generalizing boundary (chaotic side, test accuracy ≤ chance + margin, regressed on ξ_*)."""
    depths = np.asarray(xc.depths, dtype=np.float64)
    sigma = np.asarray(xc.sigma_w2)
    train, test = maps.stack("train_accuracy", convention), maps.stack("test_accuracy", convention)
    jt = xc.times.index(xc.analysis_time)
    phases = np.asarray(theory["phase"])
    ordered, chaotic = phases == "ordered", phases == "chaotic"
    trainable = depths_by_time(depths, train, xc.train_threshold)
    chance_depth = depths_by_time(depths, test, chance + margin)

    ordered_block = _fit_block(theory["xi_1"], trainable, ordered, jt, sigma)
    time_fit = trainable_depth_time_fit(np.asarray(xc.times), trainable[ordered], theory["xi_1"][ordered])
    ordered_block.update(
        time=xc.analysis_time,
        threshold=xc.train_threshold,
        time_fit={**time_fit.to_dict(), "theory_slope": 1.0, "quantity": "l/ξ_1 − ln l against ln t"},
    )
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
        margin=margin,
        threshold=chance + margin,
        train_accuracy_beyond={
            "mean": float(beyond_values.mean()) if beyond_values.size else math.nan,
            "min": float(beyond_values.min()) if beyond_values.size else math.nan,
            "cells": int(beyond_values.size),
        },
    )
    summary = {"ordered_trainable_depth": ordered_block, "chaotic_test_chance_depth": chaotic_block}
    return summary, {"trainable_depth": trainable, "test_chance_depth": chance_depth}


def mean_predictor_decay(
    rms: np.ndarray, theory: Mapping[str, Any], xc: XiaoConfig
) -> tuple[dict[str, Any], np.ndarray]:
    """The data-dependent mean predictor's per-layer decay in the chaotic columns against
    O(l·(χ_c*/χ_1)^l), and its drop over the grid in every column (the ordered phase keeps a
    data-dependent prediction: Θ → p*·11ᵀ + O(l·χ_1^l) bulk, and Θ⁻¹ on centred labels cancels that scale);
    a drop below :data:`ROUNDOFF_DECADES` is at round-off and recorded as that floor."""
    depths = np.asarray(xc.depths, dtype=np.float64)
    sigma = np.asarray(xc.sigma_w2)
    phases = np.asarray(theory["phase"])
    rate_theory = np.log(theory["chi_c_star"] / theory["chi_1"])
    curve = np.full_like(rms, np.nan)
    decay: dict[str, Any] = {
        "sigma_w2": [],
        "fitted_rate": [],
        "theory_rate": [],
        "ratio": [],
        "n_points": [],
    }
    for s in np.flatnonzero(phases == "chaotic"):
        fit = fit_mean_predictor_decay(depths, rms[s], rate_theory[s])
        for key in ("fitted_rate", "theory_rate", "ratio", "n_points"):
            decay[key].append(getattr(fit, key))
        decay["sigma_w2"].append(float(sigma[s]))
        start = np.flatnonzero(depths >= 1)
        if start.size:
            l0 = start[0]
            later = depths >= depths[l0]
            curve[s, later] = (
                rms[s, l0]
                * depths[later]
                / depths[l0]
                * np.exp(rate_theory[s] * (depths[later] - depths[l0]))
            )
    decay["median_ratio"] = finite_stat(np.nanmedian, np.asarray(decay["ratio"], dtype=np.float64))
    first = np.flatnonzero(depths >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.log10(rms[:, -1] / rms[:, first[0]]) if first.size else np.full(len(sigma), np.nan)
    at_floor = drop < ROUNDOFF_DECADES  # NaN (no rms) stays NaN
    decay["log10_drop_over_grid"] = {
        "from_depth": float(depths[first[0]]) if first.size else math.nan,
        "to_depth": float(depths[-1]),
        "phase": phases.tolist(),
        "sigma_w2": sigma.tolist(),
        "value": [float(v) for v in np.where(at_floor, ROUNDOFF_DECADES, drop)],
        "roundoff_floor": ROUNDOFF_DECADES,
        "at_roundoff_floor": [bool(v) for v in at_floor],
    }
    return decay, curve


def chaotic_offdiagonal_limit(maps: ModelMaps, theory: Mapping[str, Any], xc: XiaoConfig) -> dict[str, Any]:
    """Off-diagonal NTK entries at the deepest depth against their chaotic-phase limit
    Θ* = q*·c*/(1 − χ_c*) (the fixed point of Θ^{l+1}_ab = q*c* + χ_c*·Θ^l_ab; Xiao et al. 2020 §4)."""
    chaotic = np.flatnonzero(np.asarray(theory["phase"]) == "chaotic")
    limit = theory["q_star"] * theory["c_star"] / (1.0 - theory["chi_c_star"])
    measured = maps.ntk_offdiagonal[:, -1]
    return {
        "depth": int(xc.depths[-1]),
        "sigma_w2": [float(xc.sigma_w2[s]) for s in chaotic],
        "measured": [float(measured[s]) for s in chaotic],
        "theory": [float(limit[s]) for s in chaotic],
        "relative_error": [float(abs(measured[s] / limit[s] - 1.0)) for s in chaotic],
        "depth_over_xi_c_star": [float(xc.depths[-1] / theory["xi_c_star"][s]) for s in chaotic],
        "chi_c_star_power_depth": [float(theory["chi_c_star"][s] ** xc.depths[-1]) for s in chaotic],
    }


def analyse_model(
    maps: ModelMaps, theory: Mapping[str, Any], xc: XiaoConfig, chance: float, margin: float
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every analysis of one architecture: (summary, arrays); the primary label convention at the top
    level, each convention's boundaries under ``by_labels``."""
    primary = xc.labels[0]
    summary, arrays = boundaries(maps, primary, theory, xc, chance, margin)
    summary["by_labels"] = {}
    for convention in xc.labels:
        block, block_arrays = (
            (summary, arrays)
            if convention == primary
            else boundaries(maps, convention, theory, xc, chance, margin)
        )
        summary["by_labels"][convention] = {
            "trainable_depth": block["ordered_trainable_depth"]["depth"],
            "trainable_sigma_w2": block["ordered_trainable_depth"]["sigma_w2"],
            "chance_depth": block["chaotic_test_chance_depth"]["depth"],
            "chance_sigma_w2": block["chaotic_test_chance_depth"]["sigma_w2"],
            "chance_depth_fit": block["chaotic_test_chance_depth"]["fit"],
            "censored_chaotic_columns": block["chaotic_test_chance_depth"]["censored_columns"],
        }
        if convention != primary:
            for key, value in block_arrays.items():
                arrays[f"{convention}/{key}"] = value
    decay, curve = mean_predictor_decay(maps.stack("mean_predictor_rms"), theory, xc)
    eta, eta_nt, divergent = maps.stack("eta"), maps.stack("eta_nt"), maps.stack("divergent")
    nonfinite = maps.stack("nonfinite_kernel")
    crosscheck = np.array([c.crosscheck_rel_error for c in maps.columns[primary]])
    summary.update(
        mean_predictor_decay=decay,
        chaotic_offdiagonal_limit=chaotic_offdiagonal_limit(maps, theory, xc),
        learning_rate={
            "lr_factor": xc.lr_factor,
            "eta_min": finite_stat(np.nanmin, eta),
            "eta_max": finite_stat(np.nanmax, eta),
            "eta_nt_min": finite_stat(np.nanmin, eta_nt),
            "eta_nt_max": finite_stat(np.nanmax, eta_nt),
        },
        divergent_cells=int(np.sum(divergent)),
        # cells whose analytic kernel held a NaN/Inf: divergent, all their values NaN (never silent numbers)
        nonfinite_kernel_cells={
            "count": int(np.sum(nonfinite)),
            "cells": [[float(xc.sigma_w2[c]), int(xc.depths[d])] for c, d in np.argwhere(nonfinite)],
            "reason": "analytic NTK not finite (NaN/Inf) at these (σ_w², depth) cells",
        },
        crosscheck_max_rel_error=finite_stat(np.nanmax, crosscheck),
        timing_s={"kernels": maps.kernel_s, "evaluation": maps.evaluation_s},
    )
    arrays["mean_predictor_decay_theory"] = curve
    arrays["ntk_diagonal"] = maps.ntk_diagonal
    arrays["ntk_offdiagonal"] = maps.ntk_offdiagonal
    return summary, arrays


def mean_predictor_depth(depths: Sequence[int], rms: np.ndarray) -> float:
    """Depth where the mean predictor's rms falls to :data:`MEAN_PREDICTOR_LEVEL` of its depth-1 value."""
    depths = np.asarray(depths, dtype=np.float64)
    start = np.flatnonzero(depths >= 1)
    if start.size == 0 or not rms[start[0]] > 0:
        return math.nan
    relative = np.log10(np.maximum(rms[start] / rms[start[0]], 1e-300))
    return crossing_depth(depths[start], relative, math.log10(MEAN_PREDICTOR_LEVEL))


def pool_vs_flatten_boundaries(
    chance_depth: Mapping[str, np.ndarray],
    peak_accuracy: Mapping[str, np.ndarray],
    theory: Mapping[str, Any],
    xc: XiaoConfig,
    clear_level: float,
) -> dict[str, Any]:
    """CNN-P vs CNN-F under one label convention: the depth where test accuracy reaches chance, per chaotic
    σ_w² column.

    A column is informative when both architectures clearly generalize in it at some depth (peak test
    accuracy at the analysis time ≥ ``clear_level``, i.e. chance + two margins: a boundary of a model that
    never rises clearly above chance measures the test set's noise) and at least one of them reaches chance
    within the grid; a depth beyond the grid (censored) counts as deeper than any finite one. Only
    informative columns enter ``pool_deeper_fraction``.
    """
    jt = xc.times.index(xc.analysis_time)
    chaotic = np.flatnonzero(np.asarray(theory["phase"]) == "chaotic")
    flat, pool = chance_depth["cnn_flatten"][chaotic, jt], chance_depth["cnn_pool"][chaotic, jt]
    beyond = float(xc.depths[-1]) + 1.0
    flat_c, pool_c = np.where(np.isfinite(flat), flat, beyond), np.where(np.isfinite(pool), pool, beyond)
    peaks = {name: np.asarray(peak_accuracy[name])[chaotic] for name in ("cnn_flatten", "cnn_pool")}
    clear = (peaks["cnn_flatten"] >= clear_level) & (peaks["cnn_pool"] >= clear_level)
    informative = clear & (np.isfinite(flat) | np.isfinite(pool))
    deeper = pool_c > flat_c
    return {
        "cnn_flatten_depth": flat.tolist(),
        "cnn_pool_depth": pool.tolist(),
        "pool_deeper": deeper.tolist(),
        "peak_test_accuracy_cnn_flatten": peaks["cnn_flatten"].tolist(),
        "peak_test_accuracy_cnn_pool": peaks["cnn_pool"].tolist(),
        "informative": informative.tolist(),
        "informative_columns": int(np.sum(informative)),
        "pool_deeper_fraction": float(np.mean(deeper[informative])) if informative.any() else math.nan,
    }


def compare_pool_flatten(
    boundaries: Mapping[str, Any],
    mean_predictor_rms: Mapping[str, np.ndarray],
    theory: Mapping[str, Any],
    xc: XiaoConfig,
    positions: int,
    clear_level: float,
) -> dict[str, Any]:
    """CNN-P vs CNN-F: the primary convention's ``boundaries`` (:func:`pool_vs_flatten_boundaries`) with the
    mechanism beside them, which does not depend on the label convention: the depth where the data-dependent
    mean predictor falls to ``MEAN_PREDICTOR_LEVEL`` of its depth-1 value, and the ratio rms_P/rms_F of the
    data-dependent mean predictors at the deepest grid depth. Pooling divides the growing diagonal of the
    chaotic NTK by up to d positions, so the ratio rises towards ~d with depth and the pooled prediction
    reaches any level ξ_*·ln d layers later (Xiao et al. 2020 §5); ``extra_depth_mean_predictor`` =
    ξ_*·ln(rms_P/rms_F) at the deepest depth measures that shift.
    """
    chaotic = np.flatnonzero(np.asarray(theory["phase"]) == "chaotic")
    flat = np.asarray(boundaries["cnn_flatten_depth"], dtype=np.float64)
    pool = np.asarray(boundaries["cnn_pool_depth"], dtype=np.float64)
    both = np.isfinite(flat) & np.isfinite(pool)
    ratio = np.array(
        [mean_predictor_rms["cnn_pool"][s, -1] / mean_predictor_rms["cnn_flatten"][s, -1] for s in chaotic]
    )
    xi_star = theory["xi_star"][chaotic]
    return {
        "time": xc.analysis_time,
        "sigma_w2": [xc.sigma_w2[s] for s in chaotic],
        **boundaries,
        "clear_generalization_level": clear_level,
        "mean_extra_depth_where_both_finite": float(np.mean(pool[both] - flat[both]))
        if both.any()
        else math.nan,
        "theory_extra_depth_xi_star_ln_d": (xi_star * math.log(positions)).tolist(),
        "mean_predictor_level": MEAN_PREDICTOR_LEVEL,
        "mean_predictor_depth_cnn_flatten": [
            mean_predictor_depth(xc.depths, mean_predictor_rms["cnn_flatten"][s]) for s in chaotic
        ],
        "mean_predictor_depth_cnn_pool": [
            mean_predictor_depth(xc.depths, mean_predictor_rms["cnn_pool"][s]) for s in chaotic
        ],
        "mean_predictor_ratio_deepest": ratio.tolist(),
        "extra_depth_mean_predictor": (xi_star * np.log(ratio)).tolist(),
        "deepest_depth": int(xc.depths[-1]),
        "deepest_depth_over_xi_star": (xc.depths[-1] / xi_star).tolist(),
        "spatial_positions_d": positions,
    }
