"""The xiao2020 ``experiment`` schemas (heat maps, pool depth): defaults, derived fields, one-line errors."""

from __future__ import annotations

import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.experiment.xiao2020.config import XiaoAnalysis, XiaoConfig, parse_experiment_config
from ntk_bench.experiment.xiao2020.pool_depth import parse_pool_depth_config

BASE = {"depths": [0, 1], "times": [1, 8], "sigma_w2_range": {"start": 1.0, "stop": 2.0, "num": 3}}


def test_defaults_and_the_derived_grid_and_analysis_time():
    xc = parse_experiment_config(BASE)
    assert xc.sigma_w2 == (1.0, 1.5, 2.0)  # from sigma_w2_range when sigma_w2 is null
    assert xc.models == ("fcn",) and xc.labels == ("as_given",) and xc.sigma_b2 == 0.18
    assert xc.analysis == XiaoAnalysis(time=8.0, train_threshold=0.5, chance_margin=0.1)  # null: last time
    assert (xc.analysis_time, xc.train_threshold, xc.chance_margin) == (8.0, 0.5, 0.1)
    listed = parse_experiment_config({**BASE, "sigma_w2": [0.5, 4], "analysis": {"time": 1}})
    assert listed.sigma_w2 == (0.5, 4.0) and listed.analysis_time == 1.0
    assert parse_experiment_config({**BASE, "analysis": None}).analysis_time == 8.0
    assert isinstance(xc, XiaoConfig)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_train": 64}, "experiment.n_train moved to data.n_train"),
        ({"n_test": 1000}, "experiment.n_test moved to data.n_test"),
        ({"stratify": True}, "experiment.stratify moved to data.stratify"),
        ({"workers": 0}, "experiment.workers=0 must be an integer >= 1"),
        ({"downsample": 1.5}, "experiment.downsample=1.5 must be an integer >= 1"),
        ({"sigma_b2": -1}, "experiment.sigma_b2=-1 must be a finite number >= 0 or null"),
        ({"predictor": "exact"}, "unknown experiment.predictor 'exact'; allowed: spectral, neural_tangents"),
        (
            {"models": ["fcn", "fcn"]},
            "experiment.models=['fcn', 'fcn'] must be a list of distinct entries," " each a model family",
        ),
        (
            {"analysis": {"chance_margin": 1}},
            "experiment.analysis.chance_margin=1 must be a finite number in" " [0, 1) or null",
        ),
        ({"lr_factor": 0}, "experiment.lr_factor=0 must be a finite number > 0"),
    ],
)
def test_bad_values_are_one_line(change, message):
    with pytest.raises(ConfigError) as info:
        parse_experiment_config({**BASE, **change})
    assert str(info.value) == message


POOL = {"sigma_w2": [3.0, 4.0], "lengths": [10, 20], "depths": [0, 1, 2]}


def test_pool_depth_schema_and_its_column_config():
    pc = parse_pool_depth_config(POOL)
    assert pc.sigma_b2 == 0.18 and pc.workers == 2 and pc.max_block_bytes == 1e9
    xc = pc.column_config()
    assert xc.models == ("cnn_flatten", "cnn_pool") and xc.sigma_w2 == (3.0, 4.0) and xc.depths == (0, 1, 2)
    assert xc.analysis_time == 1.0 and xc.chance_margin is None and xc.labels == ("as_given",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_train": 32}, "experiment.n_train moved to data.n_train"),
        ({"stratify": True}, "experiment.stratify moved to data.stratify"),
        (
            {"lengths": [20, 10]},
            "experiment.lengths=[20, 10] must be a list of at least 2 strictly increasing"
            " entries, each an integer >= 2",
        ),
        (
            {"times": [1]},
            "unknown key experiment.times; allowed: name, sigma_b2, sigma_w2, lengths, depths,"
            " workers, max_block_bytes",
        ),
    ],
)
def test_pool_depth_bad_values_are_one_line(change, message):
    with pytest.raises(ConfigError) as info:
        parse_pool_depth_config({**POOL, **change})
    assert str(info.value) == message
