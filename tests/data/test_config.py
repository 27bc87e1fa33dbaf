"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

from pathlib import Path

import data_fixtures as fx  # tests/data_fixtures.py (pythonpath = ["tests"])
import pytest
from omegaconf import OmegaConf

from ntk_bench.data import DATASETS, load_dataset
from ntk_bench.errors import ConfigError

CONF_DIR = Path(__file__).resolve().parents[2] / "conf" / "data"


def config_error(cfg: dict, *fragments: str) -> ConfigError:
    """Assert ``load_dataset(cfg)`` raises a one-line ConfigError containing every fragment."""
    with pytest.raises(ConfigError) as info:
        load_dataset(cfg)
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return info.value


def cfg_for(name: str, mnist1d_dir, **overrides) -> dict:
    cfg = {"name": name, **overrides}
    if name == "mnist1d":
        cfg.setdefault("cache_dir", str(mnist1d_dir["dir"]))
    return cfg


# ------------------------------------------------------------------------------------------ bad config


def test_too_many_samples_reports_allowed_range(mnist1d_dir):
    config_error(
        {"name": "digits", "n_train": 5000}, "data.n_train=5000", "1348 examples", "(allowed: 1..1348)"
    )
    config_error({"name": "digits", "n_test": 450}, "data.n_test=450", "(allowed: 0..449)")
    config_error(
        {"name": "digits", "classes": [0, 1], "n_train": 300},
        "train pool restricted to classes [0, 1]",
        "allowed: 1..",
    )
    config_error(cfg_for("mnist1d", mnist1d_dir, n_train=4001), "(allowed: 1..4000)")
    config_error({"name": "digits", "n_train": 0}, "data.n_train must be an integer >= 1 or null, got 0")


def test_unknown_dataset_lists_allowed_names():
    err = config_error({"name": "imagenet"}, "unknown dataset 'imagenet'", "allowed:")
    for name in DATASETS:
        assert name in str(err)


@pytest.mark.parametrize(
    ("cfg", "fragments"),
    [
        ({"name": "digits", "classes": [3, 10]}, ("invalid class id 10", "0..9")),
        ({"name": "digits", "classes": [3]}, ("at least 2 distinct",)),
        ({"name": "digits", "classes": [3, 3]}, ("at least 2 distinct",)),
        ({"name": "digits", "classes": "3,4"}, ("data.classes must be a list",)),
        ({"name": "digits", "n_trian": 10}, ("unknown key data.n_trian", "n_train")),
        ({"name": "digits", "correlation": 0.5}, ("unknown key data.correlation",)),
        ({"name": "digits", "n_train": "10"}, ("data.n_train must be an integer",)),
        ({"name": "digits", "standardize": "yes"}, ("data.standardize must be true or false",)),
        ({"name": "digits", "seed": -1}, ("data.seed must be an integer >= 0",)),
        ({"name": "synthetic", "correlation": 1.0}, ("data.correlation must be a number in [0, 1)",)),
        ({"name": "synthetic", "num_classes": 1}, ("data.num_classes must be an integer >= 2",)),
        ({"name": "synthetic", "spatial_shape": [2, 2, 2, 2]}, ("1 to 3 sizes",)),
    ],
)
def test_bad_values_are_one_line_config_errors(cfg, fragments):
    config_error(cfg, *fragments)


def test_shipped_yaml_configs_are_accepted(tmp_path, mnist1d_dir, no_md5):
    assert sorted(p.stem for p in CONF_DIR.glob("*.yaml")) == sorted(DATASETS)
    fx.write_mnist_like(tmp_path / "mnist")
    fx.write_mnist_like(tmp_path / "fashion_mnist")
    fx.write_cifar_like(tmp_path / "cifar10")
    for name in DATASETS:
        cfg = OmegaConf.load(CONF_DIR / f"{name}.yaml")
        assert cfg.name == name and cfg.download is False
        cfg.cache_dir = str(mnist1d_dir["dir"] if name == "mnist1d" else tmp_path)
        if name == "digits":
            cfg.classes = [1, 2]  # a ListConfig is accepted as the list
            cfg.n_test = 50
        small = name in ("mnist", "fashion_mnist", "cifar10")
        if small:
            cfg.n_train, cfg.n_test = 5, 5
        ds = load_dataset(cfg)  # a DictConfig works as the mapping
        assert ds.n_train == (5 if small else 256)
        assert ds.num_classes == (2 if name == "digits" else 10)
