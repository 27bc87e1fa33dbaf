"""The trainability ``experiment`` schema: defaults, network entries merged with the model group, errors."""

from __future__ import annotations

import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.experiment.trainability.config import NetworkEntry, parse_config

BASE = {"networks": [{"name": "fcn"}], "sigma_w2": [1.0, 2.0], "depths": [1, 2], "steps": [5]}
MODEL = {"name": "fcn", "activation": "tanh", "filter_size": 5, "depth": 9}


def test_defaults_and_network_entries():
    tc = parse_config(
        {**BASE, "networks": [{"name": "fcn"}, {"name": "cnn_pool", "depths": [2, 4], "downsample": 8}]},
        MODEL,
    )
    assert (tc.width, tc.seeds, tc.batch_size, tc.lr_factor, tc.dtype) == (128, (0, 1), None, 0.5, "float32")
    assert tc.sigma_b2 == 0.05 and tc.downsample == 1 and tc.center is False
    fcn, pool = tc.networks
    # the model group gives activation, filter_size, padding; the entry's own keys win
    assert fcn == NetworkEntry(
        "fcn_tanh", "FCN tanh", {"activation": "tanh", "filter_size": 5, "name": "fcn"}, (1, 2), 1
    )
    assert pool.key == "cnn_pool_tanh" and pool.depths == (2, 4) and pool.downsample == 8
    assert parse_config({**BASE, "seeds": [7, 3]}, MODEL).seeds == (7, 3)
    assert parse_config({**BASE, "sigma_w2": {"start": 1, "stop": 2, "num": 3}}, MODEL).sigma_w2 == (
        1.0,
        1.5,
        2.0,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_train": 128}, "experiment.n_train moved to data.n_train"),
        ({"n_test": 256}, "experiment.n_test moved to data.n_test"),
        (
            {"seeds": 1.5},
            "experiment.seeds=1.5 must be a list of distinct entries, each an integer in" " [0, 2147483647]",
        ),
        ({"divergence_factor": 1}, "experiment.divergence_factor=1 must be a finite number in (1, 1e+30]"),
        (
            {"sigma_w2": None},
            "experiment.sigma_w2=None must be an increasing list of σ_w² > 0 or" " {start, stop, num}",
        ),
        (
            {"steps": [10, 10]},
            "experiment.steps=[10, 10] must be a list of strictly increasing entries, each an"
            " integer in [1, 1000000]",
        ),
    ],
)
def test_bad_values_are_one_line(change, message):
    with pytest.raises(ConfigError) as info:
        parse_config({**BASE, **change}, MODEL)
    assert str(info.value) == message


def test_required_keys_are_named():
    for key in ("networks", "sigma_w2", "depths", "steps"):
        with pytest.raises(ConfigError, match=f"^experiment.{key} is required$"):
            parse_config({k: v for k, v in BASE.items() if k != key}, MODEL)
