"""The ``experiment`` group of ``xiao2020_fcn`` / ``xiao2020_cnn`` as a schema (:mod:`ntk_bench.schema`).

Keys and their meaning: ``conf/experiment/xiao2020_fcn.yaml``. The data draw (``data.n_train``,
``data.n_test``, ``data.stratify``) is the data group's; ``experiment.n_train`` & co. are an error naming
where they moved.

Every bad value is a one-line :class:`~ntk_bench.errors.ConfigError` naming the key, the value and what is
allowed (exit 2, nothing written: validation runs before any data is loaded or any file is written).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ntk_bench.errors import require
from ntk_bench.experiment.checks import depth_grid, parse_experiment, require_below_critical, sigma_grid
from ntk_bench.model import MODELS
from ntk_bench.schema import (
    boolean,
    choice,
    integer,
    optional,
    real,
    section,
    sequence,
    setting,
    text,
)

PREDICTORS = ("spectral", "neural_tangents")
# as_given: the labels of the data group (the authors' recipe); train_centred: Y − 1ȳᵀ over the training set
LABELS = ("as_given", "train_centred")


@dataclass(frozen=True, kw_only=True)
class XiaoAnalysis:
    """``experiment.analysis``: the time of the depth-scale regressions (null: the largest of
    ``experiment.times``), the trainable threshold and the at-chance margin (null: derived from the test
    set's size, :func:`ntk_bench.analysis.depth_scales.chance_noise_margin`)."""

    time: float | None = setting(optional(real(0)), None)
    train_threshold: float = setting(real(0, 1, open_minimum=True, open_maximum=True), 0.5)
    chance_margin: float | None = setting(optional(real(0, 1, open_maximum=True)), 0.1)


@dataclass(frozen=True, kw_only=True)
class XiaoConfig:
    """The validated ``experiment`` group (see ``conf/experiment/xiao2020_fcn.yaml`` for each key).

    ``labels``: the label conventions evaluated from the same kernels; the first drives the heat maps and
    the headline analyses, each one gets its own boundaries. ``sigma_w2`` is the grid (``sigma_w2_range``
    when ``sigma_w2`` is null).
    """

    name: str = setting(text(), "xiao2020_fcn")
    models: tuple[str, ...] = setting(sequence(choice(MODELS, "a model family"), unique=True), ["fcn"])
    sigma_b2: float | None = setting(optional(real(0)), 0.18)
    sigma_w2: tuple[float, ...] | None = setting(optional(sigma_grid()), None)
    sigma_w2_range: tuple[float, ...] | None = setting(optional(sigma_grid()), None)
    # a boundary (a crossing depth) needs grid depths on both sides of it
    depths: tuple[int, ...] = setting(depth_grid(0))
    times: tuple[float, ...] = setting(sequence(real(0), increasing=True))
    lr_factor: float = setting(real(0, open_minimum=True), 1.0)
    allow_above_critical: bool = setting(boolean(), False)
    predictor: str = setting(choice(PREDICTORS), "spectral")
    labels: tuple[str, ...] = setting(
        sequence(choice(LABELS, " or ".join(LABELS)), unique=True, scalar_ok=True), "as_given"
    )
    crosscheck_cells: int = setting(integer(0), 2)
    downsample: int = setting(integer(1), 1)
    workers: int = setting(integer(1), 2)
    max_block_bytes: float = setting(real(0, open_minimum=True), 1e9)
    line_factor: float = setting(real(0, open_minimum=True), 8.0)
    analysis: XiaoAnalysis = section(XiaoAnalysis)

    def __post_init__(self):
        if self.sigma_w2 is None:
            require(
                self.sigma_w2_range is not None,
                "experiment.sigma_w2 is null and so is experiment.sigma_w2_range; give an increasing list of"
                " σ_w² > 0 or sigma_w2_range: {start, stop, num}",
            )
            object.__setattr__(self, "sigma_w2", self.sigma_w2_range)
        require_below_critical(
            self.lr_factor,
            self.allow_above_critical,
            f"= {self.lr_factor:g}·2/λ_max, above the critical rate 2/λ_max where gradient descent diverges",
            "cells are then reported as divergent",
        )
        time = self.analysis.time
        if time is None:
            object.__setattr__(self, "analysis", dataclasses.replace(self.analysis, time=self.times[-1]))
        require(
            self.analysis.time in self.times,
            f"experiment.analysis.time={time!r} must be one of experiment.times {list(self.times)}",
        )

    @property
    def analysis_time(self) -> float:
        return self.analysis.time

    @property
    def train_threshold(self) -> float:
        return self.analysis.train_threshold

    @property
    def chance_margin(self) -> float | None:
        return self.analysis.chance_margin


def parse_experiment_config(cfg: Mapping[str, Any]) -> XiaoConfig:
    """Validate the ``experiment`` group; every bad value is a one-line :class:`ConfigError`."""
    return parse_experiment(XiaoConfig, cfg)
