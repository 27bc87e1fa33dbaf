"""What every tracker shares: one-line errors, flattened summaries, steps of an axis, run names and groups.

Tracker-agnostic helpers used by ``wandb_tracker.py`` and ``mlflow_tracker.py`` (one definition each).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.tracker.context import JobContext

MAX_NAME = 128  # W&B limit on group names; also keeps run names readable


class TrackerError(RuntimeError):
    """A tracker step failed; the message is one line."""


def one_line(err: BaseException) -> str:
    """The first non-empty line of an exception's message (wandb's can span several)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def flatten(value: Mapping[str, Any], prefix: str = "", sep: str = "/") -> dict[str, Any]:
    """``{"theory": {"chi_1": 1.2}}`` → ``{"theory/chi_1": 1.2}``."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(item, Mapping):
            out.update(flatten(item, name, sep))
        else:
            out[name] = scalar(item)
    return out


def scalar(value: Any) -> Any:
    """A numpy scalar or array as a plain Python value (JSON- and tracker-friendly)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def axis_steps(values: list[Any]) -> list[int]:
    """The tracker steps of an axis: its own values when they are increasing non-negative integers (depths,
    time steps), else 0, 1, 2, …"""
    try:
        ints = [int(v) for v in values]
        integral = all(float(v) == i for v, i in zip(values, ints, strict=True))
    except (TypeError, ValueError, OverflowError):
        integral = False
    if integral and all(i >= 0 for i in ints) and all(a < b for a, b in itertools.pairwise(ints)):
        return ints
    return list(range(len(values)))


def derive_group(group: str | None, job: JobContext, cwd: Path | None = None) -> str | None:
    """``tracker.group`` if set; else, in a multirun, the sweep dir relative to the working dir
    (``multirun/spectrum/2026-11-05_12-00-00``) or, outside it, its last two parts; else no group."""
    if group:
        return str(group)[:MAX_NAME]
    if not job.multirun or job.sweep_dir is None:
        return None
    sweep = Path(os.path.abspath(job.sweep_dir))
    try:
        name = sweep.relative_to(Path(os.path.abspath(cwd or Path.cwd()))).as_posix()
    except ValueError:
        name = "/".join(sweep.parts[-2:])
    return (name or sweep.name)[-MAX_NAME:]


def derive_name(job: JobContext, experiment: str) -> str:
    """The run name: the swept values of a multirun job (``model.sigma_w2=1.2,model=fcn``); for a single job
    its overrides (Hydra's ``override_dirname``); the experiment name when there are none."""
    name = ",".join(job.swept_overrides()) if job.multirun else ""
    name = name or job.override_dirname or experiment
    if job.multirun and job.job_num is not None and not job.swept_overrides():
        name = f"{name}#{job.job_num}"
    return name[:MAX_NAME]


def table_value(value: Any) -> Any:
    """A table cell: a plain value, with NaN/inf as None (table cells are JSON)."""
    value = scalar(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # a table cell is JSON: NaN/inf become empty cells (the history keeps them)
    return value
