"""The validated ``experiment`` group of ``schoenholz2017_trainability`` and its inputs: one-line errors for
widths, depths, batch sizes and step counts out of range, a batch larger than the training set, a step size
above the SGD stability bound without ``allow_above_critical``."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ntk_bench.data import Dataset, load_dataset
from ntk_bench.dynamics.finite_training import DTYPES, validate_batch_size, validate_steps
from ntk_bench.errors import require, require_choice
from ntk_bench.experiment.xiao2020 import parse_sigma_grid
from ntk_bench.model import get_family, model_spec_from_config

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
