"""The claims registry: correct kernels pass, deliberately wrong inputs fail the right claims, absent
measurements are not-run (never a silent pass)."""

from __future__ import annotations

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from ntk_bench.cli import CONF_DIR
from ntk_bench.results import Run


def _xiao_run(tmp_path, r_squared, n_points, train_min):
    fit = {"constant": 10.0, "r_squared": r_squared, "n_points": n_points}
    summary = {
        "models": ["fcn"],
        "fcn": {
            "ordered_trainable_depth": {"fit": fit},
            "chaotic_test_chance_depth": {
                "fit": fit,
                "train_accuracy_beyond": {"min": train_min, "mean": train_min, "cells": 10},
            },
        },
    }
    return Run(tmp_path, {"experiment": "xiao2020_fcn", "summary": summary, "config": {}})


@pytest.mark.parametrize(
    ("r_squared", "n_points", "train_min", "expected"),
    [
        (0.9997, 6, 1.0, ["pass", "pass", "pass"]),  # the measured FCN values on digits
        (0.5, 6, 0.4, ["fail", "fail", "fail"]),  # depth boundaries unrelated to ξ; chaotic cells not fitting
        (0.99, 2, 1.0, ["not-run", "not-run", "pass"]),  # too few columns cross the boundary to fit
    ],
)
def test_xiao2020_claims_read_the_depth_scale_fits(tmp_path, r_squared, n_points, train_min, expected):
    from ntk_bench.claims import xiao2020

    run = _xiao_run(tmp_path, r_squared, n_points, train_min)
    claims = (xiao2020.trainable_depth_xi_1, xiao2020.generalizing_depth_xi_star, xiao2020.chaotic_memorizes)
    verdicts = [next(iter(fn([run]))).verdict for fn in claims]
    assert verdicts == expected


def _pool_run(tmp_path, flat_depth, pool_depth, rms_ratio, flat_peak=0.5):
    """A CNN run whose comparison comes from the experiment's own compare_pool_flatten on made-up maps
    (``flat_peak``: CNN-F's peak test accuracy, against a clear-generalization level of 0.3)."""
    from ntk_bench.experiment.xiao2020 import parse_experiment_config
    from ntk_bench.experiment.xiao2020.analysis import compare_pool_flatten, pool_vs_flatten_boundaries

    cfg = OmegaConf.to_container(compose_experiment("xiao2020_cnn"), resolve=True)
    xc = parse_experiment_config({**cfg["experiment"], "sigma_w2": [1.0, 2.5, 3.0], "analysis": {}})
    # the grid reaches 40 = 10·ξ_* and 16·ξ_*: both columns are deep enough for the mean-predictor claim
    theory = {"phase": ["ordered", "chaotic", "chaotic"], "xi_star": np.array([np.nan, 4.0, 2.5])}
    jt = len(xc.times) - 1
    chance = {name: np.full((3, len(xc.times)), np.nan) for name in ("cnn_flatten", "cnn_pool")}
    chance["cnn_flatten"][1:, jt] = flat_depth
    chance["cnn_pool"][1:, jt] = pool_depth
    rms = {"cnn_flatten": np.ones((3, len(xc.depths))), "cnn_pool": np.ones((3, len(xc.depths)))}
    rms["cnn_pool"][:, -1] = rms_ratio
    peaks = {"cnn_flatten": np.full(3, flat_peak), "cnn_pool": np.full(3, 0.6)}
    boundaries = pool_vs_flatten_boundaries(chance, peaks, theory, xc, 0.3)
    summary = {"cnn_pool_vs_flatten": compare_pool_flatten(boundaries, rms, theory, xc, 16, 0.3)}
    return Run(tmp_path, {"experiment": "xiao2020_cnn", "summary": summary, "config": {}})


def compose_experiment(name: str, *overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=[f"experiment={name}", *overrides])


@pytest.mark.parametrize(
    ("flat_depth", "pool_depth", "rms_ratio", "flat_peak", "expected"),
    [
        ([20.0, 12.0], [31.0, 19.0], 14.0, 0.5, ["pass", "pass"]),  # the paper's picture
        ([29.5, 23.7], [24.8, 17.8], 1.3, 0.5, ["fail", "pass"]),  # measured on 4×4 digits, m = 128
        ([20.0, 12.0], [31.0, 11.0], 0.5, 0.5, ["fail", "fail"]),  # one column shallower; faster decay
        ([np.nan, np.nan], [np.nan, np.nan], 2.0, 0.5, ["not-run", "pass"]),  # no column reaches chance
        ([20.0, 12.0], [11.0, 9.0], 14.0, 0.25, ["not-run", "pass"]),  # CNN-F never clearly generalizes
    ],
)
def test_pool_vs_flatten_claims(tmp_path, flat_depth, pool_depth, rms_ratio, flat_peak, expected):
    from ntk_bench.claims import xiao2020

    run = _pool_run(tmp_path, flat_depth, pool_depth, rms_ratio, flat_peak)
    claims = (xiao2020.pool_generalizes_deeper, xiao2020.pool_slows_mean_predictor_decay)
    assert [next(iter(fn([run]))).verdict for fn in claims] == expected


def test_pool_mean_predictor_claim_judges_only_deep_columns(tmp_path):
    from ntk_bench.claims import xiao2020

    run = _pool_run(tmp_path, [20.0, 12.0], [31.0, 19.0], 0.9)
    comparison = run.summary["cnn_pool_vs_flatten"]
    assert comparison["deepest_depth_over_xi_star"] == [10.0, 16.0]
    assert next(iter(xiao2020.pool_slows_mean_predictor_decay([run]))).verdict == "fail"
    comparison["deepest_depth_over_xi_star"] = [3.8, 4.9]  # near the critical line: not deep enough to judge
    assert next(iter(xiao2020.pool_slows_mean_predictor_decay([run]))).verdict == "not-run"
