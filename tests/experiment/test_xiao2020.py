"""Xiao et al. 2020 heat maps: σ-traced kernel pass and networks, η conventions, finite training."""

import json

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from ntk_bench.cli import CONF_DIR
from ntk_bench.errors import ConfigError
from ntk_bench.experiment.xiao2020 import parse_experiment_config
from ntk_bench.results import load_run
from ntk_bench.runner import run_job

# ------------------------------------------------------------------------------------ the experiment

TINY = [
    "tracker=none",
    "data.n_train=64",
    "data.n_test=64",
    "experiment.sigma_w2=[0.5,1.0,2.5,3.0]",
    "experiment.depths=[0,1,2,4,8,16,32]",
    "experiment.times=[1,64,4096]",
    "experiment.workers=1",
]


def _config(overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return OmegaConf.to_container(compose(config_name="config", overrides=overrides), resolve=True)


@pytest.fixture(scope="module")
def fcn_run(tmp_path_factory):
    job_dir = tmp_path_factory.mktemp("xiao2020_fcn")
    run_job(_config(["experiment=xiao2020_fcn", *TINY]), job_dir)
    return load_run(job_dir)


def test_fcn_end_to_end_writes_maps_figures_and_theory(fcn_run):
    arrays, summary = fcn_run.arrays, fcn_run.document["summary"]
    assert arrays["fcn/train_accuracy"].shape == (4, 7, 3)
    assert arrays["fcn/train_accuracy"].dtype == np.float64
    for key in ("eta", "eta_nt", "lambda_max", "lambda_bulk", "kappa_bulk", "mean_predictor_rms"):
        assert arrays[f"fcn/{key}"].shape == (4, 7)
    np.testing.assert_allclose(arrays["fcn/eta"] * arrays["fcn/lambda_max"], 2.0, rtol=1e-12)  # η = 2/λ_max
    np.testing.assert_allclose(arrays["fcn/eta_nt"], arrays["fcn/eta"] * 64 * 10, rtol=1e-12)  # η·|Y|
    assert summary["fcn"]["crosscheck_max_rel_error"] < 1e-8  # spectral closed form == nt's predictor
    assert summary["theory"]["phase"] == ["ordered", "ordered", "chaotic", "chaotic"]
    assert 1.7 < summary["theory"]["critical_sigma_w2"] < 1.8
    for name in ("heatmaps_fcn", "spectra_fcn", "depth_scales_fcn", "time_dependence_fcn"):
        for suffix in (".png", ".svg"):
            assert (fcn_run.path / f"{name}{suffix}").stat().st_size > 0
    # finite networks at depth are experiment=schoenholz2017_trainability's
    assert "finite_width" not in summary["fcn"]


def test_ordered_deep_columns_do_not_train_at_small_t_and_chaotic_deep_columns_do_not_generalize(fcn_run):
    train, test = fcn_run.arrays["fcn/train_accuracy"], fcn_run.arrays["fcn/test_accuracy"]
    depth = {d: i for i, d in enumerate(fcn_run.arrays["depths"])}
    # ordered σ_w² = 0.5 (ξ_1 ≈ 1.2): trains when shallow, stuck near the majority class when deep
    assert train[0, depth[1], 1] > 0.9
    assert train[0, depth[32], 1] < 0.3
    # chaotic σ_w² = 3.0 (ξ_* ≈ 2.4): deep networks still fit the training set, but test accuracy is at chance
    assert train[3, depth[32], 2] == 1.0
    assert test[3, depth[2], 2] > 0.5
    chance = fcn_run.document["summary"]["chance_accuracy"]
    assert test[3, depth[32], 2] <= chance + 0.05


def test_above_critical_rate_is_refused_without_the_flag_and_reported_divergent_with_it(tmp_path):
    with pytest.raises(ConfigError, match="above the critical rate.*allow_above_critical"):
        parse_experiment_config(
            {"name": "x", "sigma_w2": [1.0], "depths": [1, 2], "times": [1], "lr_factor": 1.5}
        )
    overrides = [
        "experiment=xiao2020_fcn",
        *TINY,
        "experiment.lr_factor=1.5",
        "experiment.allow_above_critical=true",
        "experiment.sigma_w2=[1.0]",
        "experiment.depths=[1,2]",
    ]
    run_job(_config(overrides), tmp_path)
    run = load_run(tmp_path)
    assert run.arrays["fcn/divergent"].all()
    assert np.isnan(run.arrays["fcn/train_accuracy"]).all()
    assert run.document["summary"]["fcn"]["divergent_cells"] == 2


BASE = {"name": "x", "sigma_w2": [1.0, 2.0], "depths": [0, 1], "times": [1, 8]}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            {"sigma_w2": []},
            r"experiment.sigma_w2=\[\] must be an increasing list of σ_w² > 0 or \{start, stop, num\}",
        ),
        ({"sigma_w2": [2.0, 1.0]}, "must be an increasing list of σ_w² > 0"),
        ({"sigma_w2": {"start": 3.0, "stop": 1.0, "num": 4}}, "must be < stop"),
        ({"sigma_w2": None, "sigma_w2_range": {"start": 1.0, "stop": 2.0}}, "sigma_w2_range.num"),
        ({"sigma_w2": [0.0, 1.0]}, r"experiment.sigma_w2\[0\]=0.0 must be a finite number > 0"),
        ({"depths": []}, r"experiment.depths=\[\] must be a list of at least 2 strictly increasing entries"),
        ({"depths": [4, 2]}, "strictly increasing"),
        ({"times": []}, r"experiment.times=\[\] must be a list of strictly increasing entries"),
        ({"times": [8, 1]}, "strictly increasing"),
        ({"times": None}, "experiment.times=None must be a list"),
        ({"models": ["mlp"]}, r"unknown experiment.models\[0\] 'mlp'"),
        ({"predictor": "exact"}, "unknown experiment.predictor"),
        ({"labels": "centered"}, "unknown experiment.labels"),
        ({"typo": 1}, "unknown key experiment.typo"),
        ({"finite": {"enabled": True}}, "unknown key experiment.finite"),
        ({"analysis": {"time": 3}}, "must be one of experiment.times"),
        (
            {"analysis": {"train_threshold": 1.0}},
            r"analysis.train_threshold=1.0 must be a finite number in \(0, 1\)",
        ),
        ({"analysis": {"bins": 3}}, "unknown key experiment.analysis.bins; allowed: time, train_threshold"),
        ({"sigma_w2": None}, "experiment.sigma_w2 is null and so is experiment.sigma_w2_range"),
        ({"crosscheck_cells": -1}, "experiment.crosscheck_cells=-1 must be an integer >= 0"),
        ({"allow_above_critical": "no"}, "experiment.allow_above_critical='no' must be true or false"),
        ({"n_train": 64}, "^experiment.n_train moved to data.n_train$"),
        ({"n_test": None}, "^experiment.n_test moved to data.n_test$"),
        ({"stratify": True}, "^experiment.stratify moved to data.stratify$"),
    ],
)
def test_bad_experiment_config_is_a_one_line_config_error(change, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        parse_experiment_config({**BASE, **change})
    assert "\n" not in str(info.value)


def test_cnn_on_flat_data_is_refused(tmp_path):
    overrides = [
        "experiment=xiao2020_cnn",
        "tracker=none",
        "data=synthetic",
        "experiment.downsample=1",
    ]
    with pytest.raises(ConfigError, match="is a CNN and needs image or signal inputs") as info:
        run_job(_config(overrides), tmp_path)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "results.json").exists()


def test_cli_bad_grid_exits_2_with_one_line(cli_bad_input):
    errors = cli_bad_input("experiment=xiao2020_fcn", "tracker=none", "experiment.times=[]")
    assert errors == [
        "ntk-bench: error: experiment.times=[] must be a list of strictly increasing entries,"
        " each a finite number >= 0"
    ]


def test_results_json_is_loadable(fcn_run):
    document = json.loads((fcn_run.path / "results.json").read_text())
    assert document["axis"] == "sigma_w2" and document["series"]["sigma_w2"] == [0.5, 1.0, 2.5, 3.0]
