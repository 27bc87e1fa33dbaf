"""Shared setup of the finite-width experiments (issue 5): the common schema, data, Flax models, kernels.

Each experiment's ``experiment`` group is a frozen dataclass schema (its keys documented in
``conf/experiment/<name>.yaml``) parsed once with :func:`ntk_bench.schema.parse_section`. Architecture and
sample counts are the ``model`` and ``data`` groups' own keys: the presets set ``model.depth``,
``data.n_train``, ... (``# @package _global_``), so a command-line ``model.depth=3`` or ``data.n_train=32``
applies as given. The experiment keys that once shadowed them
(:data:`~ntk_bench.experiment.checks.MOVED_KEYS`) are one-line errors saying where they went; every bad
value is a one-line ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ntk_bench.data import Dataset
from ntk_bench.errors import require
from ntk_bench.kernels import kernels_across_depth
from ntk_bench.kernels.empirical import CHOICES, EmpiricalNTK
from ntk_bench.model.flax_models import FlaxModel, flax_model_from_config
from ntk_bench.schema import choice, integer, optional, setting, text


@dataclass(frozen=True)
class EmpiricalNTKConfig:
    """The keys every experiment that evaluates an empirical NTK shares (before its own keys)."""

    name: str = setting(text())
    ntk_implementation: str = setting(choice(CHOICES), "auto")
    ntk_block_size: int = setting(integer(1), 64)
    # 0: outputs of example i depend only on input i (no batch norm); null otherwise
    ntk_vmap_axes: int | None = setting(optional(integer(0, 0)), 0)


def build_model(
    cfg: Mapping[str, Any], data: Dataset, *, width: int, out_dim: int, depth: int | None = None
) -> FlaxModel:
    """The Flax model of ``cfg.model`` at this width (and ``depth``; None: the model group's ``depth``, also
    for a user module with ``model.depth_kwarg``)."""
    model_cfg = cfg["model"]
    if depth is None and model_cfg.get("flax_module"):
        depth = model_cfg.get("depth")
    return flax_model_from_config(
        model_cfg, spatial_ndim=len(data.spatial_shape), out_dim=out_dim, width=width, depth=depth
    )


def analytic_ntk(model: FlaxModel, data: Dataset, x1: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    """The stax analytic NTK (per output) of a built-in model between raw inputs ``x1`` and ``x2``."""
    network = model.stax_network(len(data.spatial_shape))
    assert model.spec is not None
    a = np.asarray(model.prepare(x1))
    b = None if x2 is None else np.asarray(model.prepare(x2))
    return kernels_across_depth(network, a, b, [model.spec.depth]).ntk[0]


def empirical_ntk_for(
    model: FlaxModel, settings: EmpiricalNTKConfig, trace_axes: Sequence[int] = (-1,)
) -> EmpiricalNTK:
    """An :class:`EmpiricalNTK` of the model with ``experiment.ntk_implementation`` / ``ntk_block_size``."""
    return EmpiricalNTK(
        model.apply,
        implementation=settings.ntk_implementation,
        block_size=settings.ntk_block_size,
        trace_axes=trace_axes,
        vmap_axes=settings.ntk_vmap_axes,
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
