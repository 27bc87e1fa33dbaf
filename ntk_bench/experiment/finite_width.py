"""Shared setup of the finite-width experiments (issue 5): knob validation, data, Flax models, kernels.

Experiment knobs live in ``conf/experiment/<name>.yaml``. Architecture comes from the ``model`` group
(:class:`~ntk_bench.model.ModelSpec`, or ``model.flax_module`` for a user module), with the
experiment's ``depth`` and ``widths`` (and, where an experiment fixes them,
activation/σ's/parameterization) overriding it. ``experiment.n_train`` / ``n_test`` (when not null)
override the ``data`` group's sample counts, so the defaults stay small without touching the data
config. Every bad value is a one-line ``ConfigError``.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ntk_bench.data import Dataset, load_dataset
from ntk_bench.errors import require, require_choice
from ntk_bench.kernels import kernels_across_depth
from ntk_bench.kernels.empirical import CHOICES, EmpiricalNTK
from ntk_bench.model.flax_models import FlaxModel, flax_model_from_config


def knob_int(exp: Mapping[str, Any], key: str, default: int | None, minimum: int) -> int:
    value = exp.get(key, default)
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum
    require(ok, f"experiment.{key}={value!r} must be an integer >= {minimum}")
    return int(value)


def knob_optional_int(exp: Mapping[str, Any], key: str, minimum: int) -> int | None:
    return None if exp.get(key) is None else knob_int(exp, key, None, minimum)


def knob_float(
    exp: Mapping[str, Any],
    key: str,
    default: float | None,
    *,
    positive: bool = True,
    minimum: float | None = None,
) -> float:
    value = exp.get(key, default)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (not positive or value > 0) and (minimum is None or value >= minimum)
    bound = " > 0" if positive else (f" >= {minimum}" if minimum is not None else "")
    require(ok, f"experiment.{key}={value!r} must be a finite number{bound}")
    return float(value)


def knob_list(
    exp: Mapping[str, Any], key: str, default: Sequence[Any], *, kind: type, minimum: float, min_len: int = 1
) -> list:
    value = exp.get(key, default)
    require(
        isinstance(value, Sequence) and not isinstance(value, str) and len(value) >= min_len,
        f"experiment.{key}={value!r} must be a list of at least {min_len} values",
    )
    for item in value:
        ok = isinstance(item, numbers.Real) and not isinstance(item, bool) and math.isfinite(item)
        ok = ok and item >= minimum and (kind is not int or float(item).is_integer())
        what = "integers" if kind is int else "numbers"
        require(ok, f"experiment.{key}={list(value)!r} must hold {what} >= {minimum}")
    return [kind(v) for v in value]


def knob_widths(exp: Mapping[str, Any], default: Sequence[int], min_len: int = 2) -> list[int]:
    widths = knob_list(exp, "widths", default, kind=int, minimum=1, min_len=min_len)
    require(
        all(a < b for a, b in itertools.pairwise(widths)),
        f"experiment.widths={widths} must be strictly increasing",
    )
    return widths


def knob_choice(exp: Mapping[str, Any], key: str, default: str, allowed: Sequence[str]) -> str:
    value = exp.get(key, default)
    require_choice(f"experiment.{key}", value, allowed)
    return str(value)


def load_experiment_data(cfg: Mapping[str, Any]) -> Dataset:
    """The ``data`` group with ``experiment.n_train``/``n_test`` overrides applied (when not null)."""
    exp = cfg["experiment"]
    data_cfg = dict(cfg["data"])
    for key in ("n_train", "n_test"):
        if exp.get(key) is not None:
            data_cfg[key] = knob_int(exp, key, None, 1 if key == "n_train" else 0)
    return load_dataset(data_cfg)


def spec_overrides(exp: Mapping[str, Any]) -> dict[str, Any]:
    """Architecture keys an experiment may pin (null = keep the model group's value)."""
    keys = ("activation", "sigma_w2", "sigma_b2", "parameterization")
    return {k: exp[k] for k in keys if exp.get(k) is not None}


def build_model(
    cfg: Mapping[str, Any], data: Dataset, *, width: int, depth: int | None, out_dim: int
) -> FlaxModel:
    """The Flax model of ``cfg.model`` at this width/depth, with the experiment's spec overrides."""
    return flax_model_from_config(
        cfg["model"],
        spatial_ndim=len(data.spatial_shape),
        out_dim=out_dim,
        width=width,
        depth=depth,
        overrides=spec_overrides(cfg["experiment"]),
    )


def experiment_depth(cfg: Mapping[str, Any]) -> int | None:
    """``experiment.depth`` (null: the model group's depth; ignored for user modules without depth_kwarg)."""
    return knob_optional_int(cfg["experiment"], "depth", 1)


def analytic_ntk(model: FlaxModel, data: Dataset, x1: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    """The stax analytic NTK (per output) of a built-in model between raw inputs ``x1`` and ``x2``."""
    network = model.stax_network(len(data.spatial_shape))
    assert model.spec is not None
    a = np.asarray(model.prepare(x1))
    b = None if x2 is None else np.asarray(model.prepare(x2))
    return kernels_across_depth(network, a, b, [model.spec.depth]).ntk[0]


def empirical_ntk_for(
    model: FlaxModel, exp: Mapping[str, Any], trace_axes: Sequence[int] = (-1,)
) -> EmpiricalNTK:
    """An :class:`EmpiricalNTK` of the model with ``experiment.ntk_implementation`` / ``ntk_block_size``."""
    implementation = knob_choice(exp, "ntk_implementation", "auto", CHOICES)
    block = knob_int(exp, "ntk_block_size", 64, 1)
    vmap_axes = exp.get("ntk_vmap_axes", 0)
    require(vmap_axes in (0, None), f"experiment.ntk_vmap_axes={vmap_axes!r} must be 0 or null")
    return EmpiricalNTK(
        model.apply,
        implementation=implementation,
        block_size=block,
        trace_axes=trace_axes,
        vmap_axes=vmap_axes,
    )


def seeds_from(cfg: Mapping[str, Any], count: int) -> np.ndarray:
    """Seeds ``cfg.seed, cfg.seed + 1, …`` (``count`` of them)."""
    base = cfg.get("seed", 0)
    require(isinstance(base, int) and base >= 0, f"seed={base!r} must be an integer >= 0")
    return np.arange(base, base + count)


def model_summary(model: FlaxModel) -> dict[str, Any]:
    """JSON-friendly description of the architecture actually run."""
    if model.spec is None:
        return {"flax_module": model.source, "module": repr(model.module)}
    spec = model.spec
    return {
        "name": spec.name,
        "depth": spec.depth,
        "activation": spec.activation,
        "sigma_w2": spec.sigma_w2,
        "sigma_b2": spec.sigma_b2,
        "parameterization": spec.parameterization,
        **({"filter_size": spec.filter_size, "padding": spec.padding} if spec.is_convolutional else {}),
    }
