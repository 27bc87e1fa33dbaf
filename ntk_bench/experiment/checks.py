"""Config checks that several experiments share (on top of :mod:`ntk_bench.schema`'s vocabulary).

- :func:`sigma_grid` — a σ_w² grid, as an increasing list of σ_w² > 0 or ``{start, stop, num}``
  (``numpy.linspace``);
- :func:`depth_grid` — a strictly increasing list of integer depths (a crossing depth needs grid depths on
  both sides of it: at least two by default);
- :func:`require_below_critical` — ``lr_factor > 1`` (a step above the critical rate) only with
  ``allow_above_critical``;
- :func:`parse_experiment` — an ``experiment`` group through its schema, the moved keys answered;
- :data:`MOVED_KEYS` — the data and model keys the experiment groups no longer shadow (and the CLI).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ntk_bench.errors import require
from ntk_bench.schema import Check, integer, parse_section, real, reworded, sequence, setting

# Experiment keys that shadowed the data and model groups until issue #15, and where they went: the
# presets set data.* / model.* directly. parse_experiment and the CLI (cli.py) answer an old
# key with "experiment.<key> moved to <where>" wherever the experiment's schema does not declare it.
MOVED_KEYS = {
    "n_train": "data.n_train",
    "n_test": "data.n_test",
    "stratify": "data.stratify",
    "depth": "model.depth",
    "activation": "model.activation",
    "sigma_w2": "model.sigma_w2",
    "sigma_b2": "model.sigma_b2",
    "parameterization": "model.parameterization",
}
T = TypeVar("T")
SIGMA_GRID = "an increasing list of σ_w² > 0 or {start, stop, num}"


@dataclass(frozen=True)
class Linspace:
    """``{start, stop, num}``: ``numpy.linspace(start, stop, num)``."""

    start: float = setting(real())
    stop: float = setting(real())
    num: int = setting(integer(1))


def sigma_grid() -> Check:
    """A σ_w² grid: a strictly increasing list of σ_w² > 0, or ``{start, stop, num}`` (numpy.linspace)."""
    listed = reworded(sequence(real(0, open_minimum=True), increasing=True), SIGMA_GRID)

    def parse(key: str, value: Any) -> tuple[float, ...]:
        if isinstance(value, Mapping):
            span = parse_section(Linspace, value, key)
            require(
                span.num == 1 or span.start < span.stop,
                f"{key}: start={span.start:g} must be < stop={span.stop:g}",
            )
            grid = tuple(float(v) for v in np.linspace(span.start, span.stop, span.num))
            require(grid[0] > 0, f"{key}={list(grid)} must contain only σ_w² > 0")
            return grid
        return listed(key, value)  # a wrong list names both forms

    return Check(parse, SIGMA_GRID)


def depth_grid(minimum: int = 0, maximum: int | None = None, min_len: int = 2) -> Check:
    """A strictly increasing list of at least ``min_len`` integer depths in ``[minimum, maximum]``."""
    return sequence(integer(minimum, maximum), min_len=min_len, increasing=True)


def width_grid() -> Check:
    """A strictly increasing list of at least two widths ≥ 1 (the finite-width sweeps)."""
    return sequence(integer(1), min_len=2, increasing=True)


def require_below_critical(lr_factor: float, allow_above_critical: bool, step: str, then: str) -> None:
    """``lr_factor`` ≤ 1 unless ``allow_above_critical``: ``step`` says what η = lr_factor·η_crit exceeds,
    ``then`` what happens to the cells run above it."""
    require(
        lr_factor <= 1 or allow_above_critical,
        f"experiment.lr_factor={lr_factor:g} sets η {step}; set experiment.allow_above_critical=true to run"
        f" it anyway ({then})",
    )


def parse_experiment(schema: type[T], cfg: Mapping[str, Any]) -> T:
    """The ``experiment`` group validated into ``schema`` (:func:`~ntk_bench.schema.parse_section`), every
    key of :data:`MOVED_KEYS` the schema does not declare answered with where it went."""
    return parse_section(schema, cfg, "experiment", moved=MOVED_KEYS)
