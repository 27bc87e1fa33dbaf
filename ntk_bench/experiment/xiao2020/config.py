"""The validated ``experiment`` group of ``xiao2020_fcn`` / ``xiao2020_cnn``.

Keys and their meaning: ``conf/experiment/xiao2020_fcn.yaml``.

Every bad value is a one-line :class:`~ntk_bench.errors.ConfigError` naming the key, the value and what is
allowed (exit 2, nothing written: validation runs before any data is loaded or any file is written).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ntk_bench.errors import require, require_choice
from ntk_bench.kernels import validate_depths
from ntk_bench.model import MODELS

PREDICTORS = ("spectral", "neural_tangents")
# as_given: the labels of the data group (the authors' recipe); train_centred: Y − 1ȳᵀ over the training set
LABELS = ("as_given", "train_centred")
# a boundary (a crossing depth) needs grid depths on both sides of it
MIN_GRID_DEPTHS = 2

TOP_KEYS = {
    "name",
    "models",
    "sigma_b2",
    "sigma_w2",
    "sigma_w2_range",
    "depths",
    "times",
    "lr_factor",
    "allow_above_critical",
    "predictor",
    "labels",
    "crosscheck_cells",
    "n_train",
    "n_test",
    "stratify",
    "downsample",
    "workers",
    "max_block_bytes",
    "line_factor",
    "analysis",
}
ANALYSIS_KEYS = {"time", "train_threshold", "chance_margin"}



@dataclass(frozen=True)
class XiaoConfig:
    """The validated ``experiment`` group (see ``conf/experiment/xiao2020_fcn.yaml`` for each key).

    ``labels``: the label conventions evaluated from the same kernels; the first drives the heat maps and
    the headline analyses, each one gets its own boundaries. ``chance_margin`` None: derived from the
    test set's size (:func:`ntk_bench.analysis.depth_scales.chance_noise_margin`).
    """

    name: str
    models: tuple[str, ...]
    sigma_b2: float | None
    sigma_w2: tuple[float, ...]
    depths: tuple[int, ...]
    times: tuple[float, ...]
    lr_factor: float
    allow_above_critical: bool
    predictor: str
    labels: tuple[str, ...]
    crosscheck_cells: int
    n_train: int | None
    n_test: int | None
    stratify: bool
    downsample: int
    workers: int
    max_block_bytes: float
    line_factor: float
    analysis_time: float
    train_threshold: float
    chance_margin: float | None


def unknown_keys(section: str, cfg: Mapping[str, Any], allowed: set[str]) -> None:
    for key in cfg:
        require(key in allowed, f"unknown key {section}.{key}; allowed: {', '.join(sorted(allowed))}")


def number(key: str, value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    require(ok, f"{key}={value!r} must be a finite number")
    return float(value)


def integer(key: str, value: Any, minimum: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    require(ok, f"{key}={value!r} must be an integer >= {minimum}")
    return int(value)


def boolean(key: str, value: Any) -> bool:
    require(isinstance(value, bool), f"{key}={value!r} must be true or false")
    return bool(value)


def as_list(key: str, value: Any) -> list[Any]:
    require(
        value is not None and not isinstance(value, str | bytes | Mapping) and hasattr(value, "__iter__"),
        f"{key}={value!r} must be a list",
    )
    return list(value)


def increasing(key: str, values: Sequence[float], what: str) -> None:
    require(len(values) > 0, f"{key} is empty; give {what}")
    require(
        all(a < b for a, b in itertools.pairwise(values)),
        f"{key}={list(values)} must be strictly increasing ({what})",
    )


def parse_sigma_grid(key: str, value: Any, range_value: Any = None) -> tuple[float, ...]:
    """A σ_w² grid: an increasing list of numbers > 0, or ``{start, stop, num}`` (numpy.linspace).

    ``range_value`` (the ``<key>_range`` mapping) is used when ``value`` is null.
    """
    if value is None and range_value is not None:
        key, value = f"{key}_range", range_value
    if isinstance(value, Mapping):
        unknown_keys(key, value, {"start", "stop", "num"})
        start, stop = number(f"{key}.start", value.get("start")), number(f"{key}.stop", value.get("stop"))
        num = integer(f"{key}.num", value.get("num"), 1)
        require(num == 1 or start < stop, f"{key}: start={start} must be < stop={stop}")
        grid = [float(v) for v in np.linspace(start, stop, num)]
    else:
        grid = [number(f"{key} entry", v) for v in as_list(key, value)]
    increasing(key, grid, "an increasing list of σ_w² > 0 or {start, stop, num}")
    require(grid[0] > 0, f"{key}={grid} must contain only σ_w² > 0")
    return tuple(grid)


def parse_depths(key: str, value: Any, minimum_count: int = 1) -> tuple[int, ...]:
    """An increasing list of ≥ ``minimum_count`` integer depths ≥ 0."""
    items = as_list(key, value)
    what = "an increasing list of depths >= 0"
    require(len(items) > 0, f"{key} is empty; give {what}")
    for item in items:
        require(isinstance(item, int) and not isinstance(item, bool), f"{key}={items} must be integers")
    increasing(key, items, "depths >= 0")
    require(
        len(items) >= minimum_count,
        f"{key}={items} has {len(items)} depths; a boundary between grid depths needs at least"
        f" {minimum_count} ({what})",
    )
    return validate_depths(items)


def parse_labels(key: str, value: Any) -> tuple[str, ...]:
    """One label convention or a list of them (the first is the primary one), from :data:`LABELS`."""
    items = [value] if isinstance(value, str) else as_list(key, value)
    require(len(items) > 0, f"{key} is empty; allowed: {', '.join(LABELS)}")
    for item in items:
        require_choice(f"{key} entry", item, LABELS)
    require(len(set(items)) == len(items), f"{key}={items} lists a convention twice")
    return tuple(items)


def parse_models(key: str, value: Any) -> tuple[str, ...]:
    models = tuple(as_list(key, value))
    require(len(models) > 0, f"{key} is empty; allowed: {', '.join(MODELS)}")
    for name in models:
        require_choice(f"{key} entry", name, MODELS)
    require(len(set(models)) == len(models), f"{key}={list(models)} lists a model twice")
    return models


def parse_sigma_b2(key: str, value: Any) -> float | None:
    if value is None:
        return None
    sigma_b2 = number(key, value)
    require(sigma_b2 >= 0, f"{key}={sigma_b2} must be >= 0")
    return sigma_b2


def parse_sample_count(key: str, value: Any, minimum: int) -> int | None:
    return None if value is None else integer(key, value, minimum)


def parse_experiment_config(cfg: Mapping[str, Any]) -> XiaoConfig:
    """Validate the ``experiment`` group; every bad value is a one-line :class:`ConfigError`."""
    unknown_keys("experiment", cfg, TOP_KEYS)
    models = parse_models("experiment.models", cfg.get("models", ["fcn"]))
    times = [number("experiment.times entry", t) for t in as_list("experiment.times", cfg.get("times"))]
    increasing("experiment.times", times, "increasing training times t >= 0 (full-batch steps)")
    require(times[0] >= 0, f"experiment.times={times} must be >= 0")
    lr_factor = number("experiment.lr_factor", cfg.get("lr_factor", 1.0))
    require(lr_factor > 0, f"experiment.lr_factor={lr_factor} must be > 0")
    allow = boolean("experiment.allow_above_critical", cfg.get("allow_above_critical", False))
    require(
        lr_factor <= 1 or allow,
        f"experiment.lr_factor={lr_factor:g} sets η = {lr_factor:g}·2/λ_max, above the critical rate 2/λ_max"
        " where gradient descent diverges; set experiment.allow_above_critical=true to run it anyway (cells"
        " are then reported as divergent)",
    )
    predictor = cfg.get("predictor", "spectral")
    require_choice("experiment.predictor", predictor, PREDICTORS)
    analysis = cfg.get("analysis") or {}
    unknown_keys("experiment.analysis", analysis, ANALYSIS_KEYS)
    analysis_time = analysis.get("time")
    if analysis_time is None:
        analysis_time = times[-1]
    require(
        analysis_time in times,
        f"experiment.analysis.time={analysis_time!r} must be one of experiment.times {times}",
    )
    threshold = number("experiment.analysis.train_threshold", analysis.get("train_threshold", 0.5))
    require(0 < threshold < 1, f"experiment.analysis.train_threshold={threshold} must be in (0, 1)")
    margin = analysis.get("chance_margin", 0.1)
    if margin is not None:
        margin = number("experiment.analysis.chance_margin", margin)
        require(
            0 <= margin < 1,
            f"experiment.analysis.chance_margin={margin} must be in [0, 1), or null (two binomial standard"
            " errors of a chance-level classifier on the test set)",
        )
    return XiaoConfig(
        name=str(cfg.get("name")),
        models=models,
        sigma_b2=parse_sigma_b2("experiment.sigma_b2", cfg.get("sigma_b2", 0.18)),
        sigma_w2=parse_sigma_grid("experiment.sigma_w2", cfg.get("sigma_w2"), cfg.get("sigma_w2_range")),
        depths=parse_depths("experiment.depths", cfg.get("depths"), MIN_GRID_DEPTHS),
        times=tuple(times),
        lr_factor=lr_factor,
        allow_above_critical=allow,
        predictor=predictor,
        labels=parse_labels("experiment.labels", cfg.get("labels", "as_given")),
        crosscheck_cells=integer("experiment.crosscheck_cells", cfg.get("crosscheck_cells", 2), 0),
        n_train=parse_sample_count("experiment.n_train", cfg.get("n_train"), 2),
        n_test=parse_sample_count("experiment.n_test", cfg.get("n_test"), 1),
        stratify=boolean("experiment.stratify", cfg.get("stratify", False)),
        downsample=integer("experiment.downsample", cfg.get("downsample", 1), 1),
        workers=integer("experiment.workers", cfg.get("workers", 2), 1),
        max_block_bytes=number("experiment.max_block_bytes", cfg.get("max_block_bytes", 1e9)),
        line_factor=number("experiment.line_factor", cfg.get("line_factor", 8.0)),
        analysis_time=float(analysis_time),
        train_threshold=threshold,
        chance_margin=margin,
    )
