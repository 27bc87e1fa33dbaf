"""Flax (``flax.linen``) models for the empirical experiments: the registry's twins and user modules.

Each family's twin (``families/<family>.py``, built by :func:`flax_twin`) computes exactly the function of
the stax network built from the same :class:`ModelSpec`, with the same parameters and parameterization
(:mod:`ntk_bench.model.flax_layers`). Because it is the same function of the same parameters, its
empirical NTK is the stax network's empirical NTK, and as the width grows it tends to the stax analytic
kernel (checked in ``tests/model/test_flax_models.py``).

Parameters live under ``params/<layer>/{kernel,bias}``: ``block_1 … block_<depth>``, ``readout`` and, for
residual networks, ``stem``; the per-layer metrics of the dynamics experiments group parameters by these
top-level names (a user module is grouped by its own top-level submodule names).

Users can point the empirical experiments at their own module with ``model.flax_module: "pkg.mod:Class"`` and
``model.flax_kwargs: {...}`` (``model.flatten_input: true`` to feed ``(N, D)`` inputs).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from ntk_bench.errors import ConfigError, require
from ntk_bench.model.families import get_family
from ntk_bench.model.families.cnn import FlaxCNN
from ntk_bench.model.families.fcn import FlaxFCN
from ntk_bench.model.families.resnet import FlaxResNet
from ntk_bench.model.flax_layers import activation_fn, affine_scales, affine_settings
from ntk_bench.model.network import Network
from ntk_bench.model.spec import ModelSpec, model_spec_from_config
from ntk_bench.schema import anything, boolean, mapping_of, optional, parse_section, setting, text

__all__ = [
    "FlaxCNN",
    "FlaxFCN",
    "FlaxModel",
    "FlaxResNet",
    "UserModuleConfig",
    "activation_fn",
    "flax_model_from_config",
    "flax_twin",
    "init_std",
]


def flax_twin(spec: ModelSpec, out_dim: int = 1) -> nn.Module:
    """The Flax module computing the same function as ``Network(spec, ...)``'s stax network."""
    return get_family(spec.name).flax_module(spec, out_dim)


@dataclass(frozen=True)
class FlaxModel:
    """A Flax module ready for the empirical experiments.

    ``spec`` is set for the built-in twins (their analytic kernel is then ``stax_network(...)``), ``None``
    for a user module. ``flatten_input``: the module takes ``(N, D)`` inputs (FCN twin; user option).
    """

    module: nn.Module
    spec: ModelSpec | None
    flatten_input: bool
    source: str

    def init(self, key: jax.Array, x: jax.Array) -> Any:
        """Variables (``{"params": ...}``) for inputs shaped like ``x``.

        Twins draw all parameters from one ``jax.random.normal`` call, split into the leaves and
        scaled by each leaf's init std (:func:`init_std`): the same distribution as ``module.init``
        (independent Gaussians), from another random stream, but a vmapped init then compiles one
        RNG call instead of one per parameter (a depth-16 twin took 13.6 s to compile through
        ``module.init`` here, ~3 s this way). User modules use their own ``module.init``.
        """
        x = self.prepare(x)
        if self.spec is None:
            return self.module.init(key, x)
        shapes = jax.eval_shape(self.module.init, key, x)
        leaves, treedef = jax.tree_util.tree_flatten_with_path(shapes)
        sizes = [math.prod(leaf.shape) for _, leaf in leaves]
        normals = jax.random.normal(key, (sum(sizes),), jnp.float64)
        out, start = [], 0
        for (path, leaf), size in zip(leaves, sizes, strict=True):
            std = init_std(self.spec, str(path[-1].key), leaf.shape, layer=str(path[1].key))
            out.append(std * normals[start : start + size].reshape(leaf.shape))
            start += size
        return jax.tree_util.tree_unflatten(treedef, out)

    def apply(self, variables: Any, x: jax.Array) -> jax.Array:
        """f(variables, x): outputs of shape (N, out_dim)."""
        return self.module.apply(variables, x)

    def prepare(self, x: Any) -> jax.Array:
        """Inputs in the layout the module takes (flattened to (N, D) when ``flatten_input``)."""
        x = jnp.asarray(x, dtype=jnp.float64)
        return x.reshape(x.shape[0], -1) if self.flatten_input else x

    def stax_network(self, spatial_ndim: int) -> Network:
        """The stax twin (analytic kernels); only built-in architectures have one."""
        require(
            self.spec is not None,
            f"model.flax_module={self.source!r} has no analytic kernel; this experiment needs a built-in"
            " model (one of the registry's families)",
        )
        assert self.spec is not None
        return Network(self.spec, 0 if self.flatten_input else spatial_ndim)


def init_std(spec: ModelSpec, name: str, shape: Sequence[int], layer: str = "") -> float:
    """Init std of a twin parameter: ``kernel`` (fan-in = prod of all but the last axis) or ``bias``.

    ``layer`` is the parameter's top-level layer name; the family's ``layer_scale`` multiplies σ_w, σ_b of
    that layer (a residual branch's α, which enters the standard parameterization's init std).
    """
    fan_in = math.prod(shape[:-1]) if name == "kernel" else 1
    scale2 = get_family(spec.name).layer_scale(spec, layer) ** 2
    w_std, b_std, _, _ = affine_scales(**affine_settings(spec, scale2), fan_in=max(fan_in, 1))
    return w_std if name == "kernel" else b_std


# the form of model.flax_module, checked by the schema and by load_flax_module for direct callers
MODULE_PATH = text(r"[\w.]+:\w+", "a 'package.module:ClassName' path")


def load_flax_module(path: str, kwargs: Mapping[str, Any] | None = None) -> nn.Module:
    """Instantiate the user's ``"package.module:Class"`` with ``kwargs``; one-line errors."""
    MODULE_PATH("model.flax_module", path)
    module_name, class_name = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(f"model.flax_module={path!r}: cannot import {module_name!r} ({err})") from None
    cls = getattr(module, class_name, None)
    require(
        isinstance(cls, type) and issubclass(cls, nn.Module),
        f"model.flax_module={path!r}: {class_name!r} is not a flax.linen.Module class in {module_name}",
    )
    kwargs = dict(kwargs or {})
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ConfigError(f"model.flax_kwargs={kwargs!r} do not fit {path}: {err}") from None


@dataclass(frozen=True)
class UserModuleConfig:
    """``model.flax_module``: the user's own Flax module for the empirical experiments (no analytic kernel).

    ``flax_kwargs`` are handed to the class; the experiment's width (and depth) set the kwargs named by
    ``width_kwarg`` (and ``depth_kwarg``, when given); ``flatten_input``: the module takes ``(N, D)`` inputs.
    """

    flax_module: str = setting(MODULE_PATH)
    flax_kwargs: dict = setting(mapping_of(anything()), {})
    width_kwarg: str = setting(text(), "width")
    depth_kwarg: str | None = setting(optional(text()), None)
    flatten_input: bool = setting(boolean(), False)


def flax_model_from_config(
    model_cfg: Mapping[str, Any],
    *,
    spatial_ndim: int,
    out_dim: int,
    width: int | None = None,
    depth: int | None = None,
) -> FlaxModel:
    """The Flax model of the ``model`` config group, with an optional width/depth override.

    Built-in models (``model.name``) give the twin of their :class:`ModelSpec`; ``model.flax_module`` gives
    the user's module (:class:`UserModuleConfig`; the group's built-in keys are then ignored).
    ``spatial_ndim`` is that of the data (0 for flat inputs).
    """
    if model_cfg.get("flax_module"):
        built_in = tuple(field.name for field in dataclasses.fields(ModelSpec))  # ignored for a user module
        user = parse_section(UserModuleConfig, model_cfg, "model", extra_keys=built_in)
        kwargs = dict(user.flax_kwargs)
        if width is not None:
            kwargs[user.width_kwarg] = int(width)
        if depth is not None and user.depth_kwarg:
            kwargs[user.depth_kwarg] = int(depth)
        module = load_flax_module(user.flax_module, kwargs)
        return FlaxModel(module, None, user.flatten_input, user.flax_module)
    cfg = dict(model_cfg)
    if width is not None:
        cfg["width"] = int(width)
    if depth is not None:
        cfg["depth"] = int(depth)
    spec = model_spec_from_config(cfg)
    if spec.is_convolutional:
        require(
            spatial_ndim in (1, 2),
            f"model={spec.name} needs image or signal inputs with 1 or 2 spatial axes (got {spatial_ndim})",
        )
    return FlaxModel(flax_twin(spec, out_dim), spec, not spec.is_convolutional, spec.name)
