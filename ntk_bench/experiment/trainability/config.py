"""The ``experiment`` group of ``schoenholz2017_trainability`` as a schema (:mod:`ntk_bench.schema`) and its
inputs: one-line errors for widths, depths, batch sizes and step counts out of range, a batch larger than the
training set, a step size above the SGD stability bound without ``allow_above_critical``. The data draw
(``data.n_train``, ``data.n_test``) is the data group's; ``experiment.n_train``/``n_test`` are an error naming
where they moved."""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ntk_bench.data import Dataset, load_dataset
from ntk_bench.dynamics.finite_training import DTYPES, validate_batch_size
from ntk_bench.errors import require
from ntk_bench.experiment.checks import depth_grid, parse_experiment, require_below_critical, sigma_grid
from ntk_bench.model import get_family, model_spec_from_config
from ntk_bench.schema import (
    Check,
    boolean,
    choice,
    integer,
    optional,
    parse_section,
    real,
    sequence,
    setting,
    text,
)
from ntk_bench.schema.fields import reject

NAME = "schoenholz2017_trainability"
# the keys of an experiment.networks entry that are the model family's (merged over the model group's)
NETWORK_MODEL_KEYS = ("name", "activation", "gamma", "alpha", "layer", "readout", "filter_size", "padding")
MODEL_GROUP_KEYS = (
    "activation",
    "filter_size",
    "padding",
)  # taken from the model group unless the entry sets them
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


@dataclass(frozen=True, kw_only=True)
class NetworkGrid:
    """An ``experiment.networks`` entry's own grid (null: the experiment's ``depths`` / ``downsample``)."""

    depths: tuple[int, ...] | None = setting(optional(depth_grid(1, MAX_DEPTH)), None)
    downsample: int | None = setting(optional(integer(1, 1024)), None)


@dataclass(frozen=True)
class NetworkChoice:
    """One parsed ``experiment.networks`` entry: its model keys and its own grid (before the model group's
    settings are merged in, :func:`parse_config`)."""

    model: dict[str, Any]
    grid: NetworkGrid


def network() -> Check:
    """An ``experiment.networks`` entry: a registry family's model keys, ``depths``, ``downsample``."""
    what = "a mapping with at least 'name'"

    def parse(key: str, value: Any) -> NetworkChoice:
        if not isinstance(value, Mapping):
            reject(key, value, what)
        grid = parse_section(NetworkGrid, value, key, extra_keys=NETWORK_MODEL_KEYS)
        get_family(value.get("name"))
        return NetworkChoice({k: v for k, v in value.items() if k not in ("depths", "downsample")}, grid)

    return Check(parse, what)


def seeds() -> Check:
    """A count ``n`` (seeds 0..n-1, n in [1, 1000]) or a list of distinct seeds."""
    count = integer(1, 1000)
    listed = sequence(integer(0, 2**31 - 1), unique=True)

    def parse(key: str, value: Any) -> tuple[int, ...]:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return tuple(range(count(key, value)))
        return listed(key, value)

    return Check(parse, f"{count.what} or {listed.what}")


@dataclass(frozen=True)
class NetworkEntry:
    """One network of ``experiment.networks``: its key in the results, label, model keys and depth grid."""

    key: str
    label: str
    model: dict[str, Any]
    depths: tuple[int, ...]
    downsample: int


@dataclass(frozen=True, kw_only=True)
class TrainabilityConfig:
    """The validated ``experiment`` group (``conf/experiment/schoenholz2017_trainability.yaml``).

    ``networks`` holds :class:`NetworkEntry` once :func:`parse_config` has merged the model group in.
    """

    name: str = setting(text(), NAME)
    networks: tuple[NetworkEntry, ...] = setting(sequence(network()))
    sigma_b2: float = setting(real(0, 1e6), 0.05)
    sigma_w2: tuple[float, ...] = setting(sigma_grid())
    depths: tuple[int, ...] = setting(depth_grid(1, MAX_DEPTH))
    width: int = setting(integer(1, MAX_WIDTH), 128)
    seeds: tuple[int, ...] = setting(seeds(), 2)
    steps: tuple[int, ...] = setting(sequence(integer(1, MAX_STEPS), increasing=True))
    batch_size: int | None = setting(optional(integer(1, 10**7)), None)
    lr_factor: float = setting(real(0, 1e6, open_minimum=True), 0.5)
    allow_above_critical: bool = setting(boolean(), False)
    dtype: str = setting(choice(DTYPES), "float32")
    center: bool = setting(boolean(), False)
    downsample: int = setting(integer(1, 1024), 1)
    train_threshold: float = setting(real(0, 1, open_minimum=True), 0.5)
    divergence_factor: float = setting(real(1, 1e30, open_minimum=True), 1e3)
    schoenholz_factor: float = setting(real(0, 1e3, open_minimum=True), 6.0)
    xiao_factor: float = setting(real(0, 1e3, open_minimum=True), 8.0)

    def __post_init__(self):
        require_below_critical(
            self.lr_factor,
            self.allow_above_critical,
            "above the SGD stability bound 2/λ_max^SGD of the kernel model (allowed: (0, 1])",
            "cells may diverge",
        )


def network_entry(
    choice: NetworkChoice, tc: TrainabilityConfig, model_cfg: Mapping[str, Any]
) -> NetworkEntry:
    """``choice`` with the model group's shared settings merged in, its key, label, grid and pooling."""
    grid = choice.grid.depths or tc.depths
    merged = {k: model_cfg[k] for k in MODEL_GROUP_KEYS if k in model_cfg}
    merged.update(choice.model)
    spec = model_spec_from_config(
        {**merged, "depth": grid[-1], "width": tc.width, "sigma_w2": 1.0, "sigma_b2": 0.0}
    )
    key = f"{spec.name}_{spec.activation}" + (f"_{spec.layer}" if spec.name == "resnet" else "")
    label = f"{spec.family.label} {spec.activation}"
    pool = tc.downsample if choice.grid.downsample is None else choice.grid.downsample
    return NetworkEntry(key, label, merged, grid, pool)


def parse_config(cfg: Mapping[str, Any], model_cfg: Mapping[str, Any]) -> TrainabilityConfig:
    """Validate ``experiment`` (and each network's model keys); every bad value is a one-line ConfigError."""
    tc = parse_experiment(TrainabilityConfig, cfg)
    networks = tuple(network_entry(choice, tc, model_cfg) for choice in tc.networks)
    keys = [entry.key for entry in networks]
    for key in keys:
        require(keys.count(key) == 1, f"experiment.networks lists {key} twice")
    return dataclasses.replace(tc, networks=networks)


def load_inputs(data_cfg: Mapping[str, Any], tc: TrainabilityConfig) -> Dataset:
    """The dataset the ``data`` group describes (the presets set ``data.n_train`` / ``data.n_test``)."""
    data = load_dataset(data_cfg)
    require(data.n_test >= 1, f"{NAME} needs test examples (data.n_test >= 1): test accuracy is half the map")
    validate_batch_size(tc.batch_size, data.n_train)
    return data
