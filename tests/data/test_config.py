"""Tests for ntk_bench.data: layouts, preprocessing, determinism, file formats and every user-facing error."""

from __future__ import annotations

from pathlib import Path

import data_fixtures as fx  # tests/data_fixtures.py (pythonpath = ["tests"])
import pytest
from omegaconf import OmegaConf

from ntk_bench.data import DATASETS, load_dataset

CONF_DIR = Path(__file__).resolve().parents[2] / "conf" / "data"


def cfg_for(name: str, mnist1d_dir, **overrides) -> dict:
    cfg = {"name": name, **overrides}
    if name == "mnist1d":
        cfg.setdefault("cache_dir", str(mnist1d_dir["dir"]))
    return cfg


# ------------------------------------------------------------------------------------------ bad config


def test_too_many_samples_reports_allowed_range(mnist1d_dir):
    fx.config_error(
        {"name": "digits", "n_train": 5000}, "data.n_train=5000", "1348 examples", "(allowed: 1..1348)"
    )
    fx.config_error({"name": "digits", "n_test": 450}, "data.n_test=450", "(allowed: 0..449)")
    fx.config_error(
        {"name": "digits", "classes": [0, 1], "n_train": 300},
        "train pool restricted to classes [0, 1]",
        "allowed: 1..",
    )
    fx.config_error(cfg_for("mnist1d", mnist1d_dir, n_train=4001), "(allowed: 1..4000)")
    fx.config_error({"name": "digits", "n_train": 0}, "data.n_train=0 must be an integer >= 1 or null")


def test_unknown_dataset_lists_allowed_names():
    err = fx.config_error({"name": "imagenet"}, "unknown data.name 'imagenet'", "allowed:")
    for name in DATASETS:
        assert name in str(err)


@pytest.mark.parametrize(
    ("cfg", "fragments"),
    [
        ({"name": "digits", "classes": [3, 10]}, ("invalid class id 10", "0..9")),
        ({"name": "digits", "classes": [3]}, ("at least 2 distinct",)),
        ({"name": "digits", "classes": [3, 3]}, ("at least 2 distinct",)),
        ({"name": "digits", "classes": "3,4"}, ("data.classes='3,4' must be a list",)),
        ({"name": "digits", "n_trian": 10}, ("unknown key data.n_trian", "n_train")),
        ({"name": "digits", "correlation": 0.5}, ("unknown key data.correlation",)),
        ({"name": "digits", "n_train": "10"}, ("data.n_train='10' must be an integer",)),
        ({"name": "digits", "standardize": "yes"}, ("data.standardize='yes' must be true or false",)),
        ({"name": "digits", "seed": -1}, ("data.seed=-1 must be an integer >= 0",)),
        (
            {"name": "synthetic", "correlation": 1.0},
            ("data.correlation=1.0 must be a finite number in [0, 1)",),
        ),
        ({"name": "synthetic", "num_classes": 1}, ("data.num_classes=1 must be an integer >= 2",)),
        ({"name": "synthetic", "spatial_shape": [2, 2, 2, 2]}, ("1 to 3 sizes",)),
        (
            {"name": "synthetic", "dim": None},
            ("data.dim=None must be an integer >= 1 when data.spatial_shape",),
        ),
        (
            {"name": "digits", "sha256": {"f": "abc"}},
            ("data.sha256.f='abc' must be a 64-character hex string",),
        ),
        ({"name": "digits", "cache_dir": 3}, ("data.cache_dir=3 must be a path or null",)),
    ],
)
def test_bad_values_are_one_line_config_errors(cfg, fragments):
    fx.config_error(cfg, *fragments)


def _composed_data(name: str, *overrides: str):
    """The ``data`` group of ``ntk-bench data=NAME OVERRIDES`` as Hydra composes it (with the shared keys of
    conf/data_common.yaml)."""
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(CONF_DIR.parent), version_base="1.3"):
        return compose("config", overrides=[f"data={name}", *overrides]).data


def test_shipped_yaml_configs_are_accepted(tmp_path, mnist1d_dir, no_md5):
    assert sorted(p.stem for p in CONF_DIR.glob("*.yaml")) == sorted(DATASETS)
    fx.write_mnist_like(tmp_path / "mnist")
    fx.write_mnist_like(tmp_path / "fashion_mnist")
    fx.write_cifar_like(tmp_path / "cifar10")
    for name in DATASETS:
        cfg = _composed_data(name)
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


def test_common_data_keys_are_defined_once_and_reach_every_dataset():
    """conf/data_common.yaml holds the shared keys; a dataset's yaml keeps only what differs, every dataset
    shows every key, a shared key is overridden without ``+``, and the schema's defaults are the yaml's."""
    from dataclasses import fields

    from ntk_bench.data.config import DataConfig, SyntheticConfig, parse_config

    common = OmegaConf.load(CONF_DIR.parent / "data_common.yaml")
    shared = [f.name for f in fields(DataConfig)]
    assert list(common) == shared
    for name in DATASETS:
        own = OmegaConf.load(CONF_DIR / f"{name}.yaml")
        assert list(own.defaults) == ["/data_common", "_self_"], name
        repeated = [k for k in own if k in common and k != "name" and own[k] == common[k]]
        assert not repeated, (name, repeated)  # a shared key repeated with the shared value
        cfg = _composed_data(name, "data.standardize=false", "data.n_train=7")
        assert list(cfg)[: len(shared)] == shared and cfg.standardize is False and cfg.n_train == 7
        schema = SyntheticConfig if name == "synthetic" else DataConfig
        defaults = _composed_data(name)
        parsed = parse_config({**OmegaConf.to_container(defaults), "cache_dir": None})
        assert type(parsed) is schema
        assert parsed == parse_config({"name": name, "cache_dir": None}), name  # schema defaults = yaml
