"""Config checks the experiments share: σ_w² grids, depth grids, the critical-rate rule, moved data keys."""

from __future__ import annotations

import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.experiment.checks import (
    MOVED_KEYS,
    depth_grid,
    require_below_critical,
    sigma_grid,
)


def test_sigma_grid_is_a_list_or_a_linspace():
    assert sigma_grid()("experiment.sigma_w2", [1, 2.5]) == (1.0, 2.5)
    assert sigma_grid()("experiment.sigma_w2", {"start": 0.5, "stop": 3.0, "num": 6}) == (
        0.5,
        1.0,
        1.5,
        2.0,
        2.5,
        3.0,
    )
    assert sigma_grid()("k", {"start": 2.0, "stop": 2.0, "num": 1}) == (2.0,)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "k=[] must be an increasing list of σ_w² > 0 or {start, stop, num}"),
        ([2.0, 1.0], "k=[2.0, 1.0] must be an increasing list of σ_w² > 0 or {start, stop, num}"),
        ("1,2", "k='1,2' must be an increasing list of σ_w² > 0 or {start, stop, num}"),
        ([0.0, 1.0], "k[0]=0.0 must be a finite number > 0"),
        ([1.0, True], "k[1]=True must be a finite number > 0"),
        ({"start": 2.0, "stop": 1.0, "num": 3}, "k: start=2 must be < stop=1"),
        ({"start": 0.0, "stop": 1.0, "num": 3}, "k=[0.0, 0.5, 1.0] must contain only σ_w² > 0"),
        ({"start": 1.0, "stop": 2.0}, "k.num is required"),
        ({"start": 1.0, "stop": 2.0, "num": 0}, "k.num=0 must be an integer >= 1"),
        ({"start": 1.0, "stop": 2.0, "num": 3, "step": 1}, "unknown key k.step; allowed: start, stop, num"),
    ],
)
def test_bad_sigma_grid_is_one_line(value, message):
    with pytest.raises(ConfigError) as info:
        sigma_grid()("k", value)
    assert str(info.value) == message


def test_depth_grid_needs_two_increasing_depths_in_range():
    assert depth_grid(0)("k", [0, 1, 5]) == (0, 1, 5)
    with pytest.raises(
        ConfigError, match=r"k=\[3\] must be a list of at least 2 strictly increasing entries"
    ):
        depth_grid(0)("k", [3])
    with pytest.raises(ConfigError, match=r"k\[1\]=1001 must be an integer in \[1, 1000\]"):
        depth_grid(1, 1000)("k", [2, 1001])
    assert depth_grid(0, min_len=1)("k", [4]) == (4,)


def test_above_the_critical_rate_needs_the_opt_in():
    require_below_critical(1.0, False, "above x", "y")
    require_below_critical(3.0, True, "above x", "y")
    with pytest.raises(ConfigError) as info:
        require_below_critical(3.0, False, "above the bound", "cells may diverge")
    assert str(info.value) == (
        "experiment.lr_factor=3 sets η above the bound; set experiment.allow_above_critical=true to run it"
        " anyway (cells may diverge)"
    )


def test_the_moved_keys_name_the_group_they_moved_to():
    assert {key: where.split(".")[0] for key, where in MOVED_KEYS.items()} == {
        "n_train": "data",
        "n_test": "data",
        "stratify": "data",
        "depth": "model",
        "activation": "model",
        "sigma_w2": "model",
        "sigma_b2": "model",
        "parameterization": "model",
    }
    assert all(where == f"{where.split('.')[0]}.{key}" for key, where in MOVED_KEYS.items())
