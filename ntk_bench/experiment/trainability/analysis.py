"""Boundaries read off the maps (finite, per seed, infinite at the same τ) and fitted against ξ_c; finite vs
infinite agreement where both train; ResNet vs FCN."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ntk_bench.analysis.depth_scales import crossing_depth, fit_proportional
from ntk_bench.experiment.trainability.config import REASONS, NetworkEntry, TrainabilityConfig
from ntk_bench.model import get_family


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
