"""Flax (``flax.linen``) twins of the stax FCN, CNN-F and CNN-P, and user-supplied Flax modules.

A twin computes exactly the function of the stax network built from the same :class:`ModelSpec`
(``ntk_bench.architectures.stax_models``), with the same parameters and the same parameterization:

- ``ntk``: entries of W and b ~ N(0, 1); a layer computes ``(σ_w/√fan_in) W x + σ_b b``
  (Jacot et al. 2018; REFERENCE §2);
- ``standard``: W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²); a layer computes ``W x + b``
  (Sohl-Dickstein et al. 2020; stax with ``s = (1, 1)``).

``fan_in`` is the input width of a dense layer and ``in_channels · prod(filter)`` of a convolution. Both
parameterizations keep the bias a trainable parameter even when σ_b = 0, as stax does (in standard
parameterization that bias adds 1 to every layer's NTK contribution). Because the twin is the same function of
the same parameters, its empirical NTK is the stax network's empirical NTK, and as the width grows it tends to
the stax analytic kernel (checked in ``tests/test_flax_models.py``).

Parameters live under ``params/block_1 … block_<depth>/{kernel,bias}`` and ``params/readout/{kernel,bias}``;
the per-layer metrics of the dynamics experiments group parameters by these top-level names (a user module is
grouped by its own top-level submodule names).

Users can point the empirical experiments at their own module with ``model.flax_module: "pkg.mod:Class"`` and
``model.flax_kwargs: {...}`` (``model.flatten_input: true`` to feed ``(N, D)`` inputs).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from ntk_bench.architectures.activations import get_activation
from ntk_bench.architectures.stax_models import (
    PADDINGS,
    LayerwiseNetwork,
    ModelSpec,
    build_network,
    model_spec_from_config,
)
from ntk_bench.errors import ConfigError, require

READOUT_LAYER = "readout"


def block_name(index: int) -> str:
    """Name of the ``index``-th block (1-based), as it appears in the parameter tree."""
    return f"block_{index}"


def activation_fn(name: str) -> Callable[[jax.Array], jax.Array]:
    """φ as a jax function: the ``apply_fn`` of the registry's stax layer, so twin and kernel share φ."""
    apply_fn = get_activation(name).stax_layer()[1]
    return lambda x: apply_fn((), x)


def _normal(std: float) -> Callable[[jax.Array, Sequence[int]], jax.Array]:
    def init(key: jax.Array, shape: Sequence[int], dtype: Any = jnp.float64) -> jax.Array:
        return std * jax.random.normal(key, shape, jnp.float64)

    return init


def _scales(parameterization: str, sigma_w2: float, sigma_b2: float, fan_in: int) -> tuple[float, ...]:
    """(W init std, b init std, W multiplier, b multiplier) of one affine layer."""
    sigma_w, sigma_b = math.sqrt(sigma_w2), math.sqrt(sigma_b2)
    if parameterization == "ntk":
        return 1.0, 1.0, sigma_w / math.sqrt(fan_in), sigma_b
    return sigma_w / math.sqrt(fan_in), sigma_b, 1.0, 1.0


class AffineDense(nn.Module):
    """Dense layer in NTK or standard parameterization (stax.Dense with ``s = (1, 1)``)."""

    features: int
    sigma_w2: float
    sigma_b2: float
    parameterization: str = "ntk"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        fan_in = x.shape[-1]
        w_std, b_std, w_mul, b_mul = _scales(self.parameterization, self.sigma_w2, self.sigma_b2, fan_in)
        kernel = self.param("kernel", _normal(w_std), (fan_in, self.features))
        bias = self.param("bias", _normal(b_std), (self.features,))
        return w_mul * (x @ kernel) + b_mul * bias


class AffineConv(nn.Module):
    """Channels-last convolution (stride 1) in NTK or standard parameterization (stax.Conv).

    ``CIRCULAR`` padding wraps the input the way SAME padding would pad it, then convolves VALID (as stax).
    """

    features: int
    filter_size: int
    sigma_w2: float
    sigma_b2: float
    parameterization: str = "ntk"
    padding: str = "CIRCULAR"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        spatial_ndim = x.ndim - 2
        filter_shape = (self.filter_size,) * spatial_ndim
        in_channels = x.shape[-1]
        fan_in = in_channels * math.prod(filter_shape)
        w_std, b_std, w_mul, b_mul = _scales(self.parameterization, self.sigma_w2, self.sigma_b2, fan_in)
        kernel = self.param("kernel", _normal(w_std), (*filter_shape, in_channels, self.features))
        bias = self.param("bias", _normal(b_std), (self.features,))
        padding = self.padding
        if padding == "CIRCULAR":
            spatial = x.shape[1:-1]
            pads = lax.padtype_to_pads(spatial, filter_shape, (1,) * spatial_ndim, "SAME")
            x = jnp.pad(x, [(0, 0), *pads, (0, 0)], mode="wrap")
            padding = "VALID"
        letters = "HWD"[:spatial_ndim]
        numbers = (f"N{letters}C", f"{letters}IO", f"N{letters}C")
        y = lax.conv_general_dilated(x, kernel, (1,) * spatial_ndim, padding, dimension_numbers=numbers)
        return w_mul * y + b_mul * bias


class FlaxFCN(nn.Module):
    """``(Dense → φ)^depth → Dense`` on flat ``(N, D)`` inputs: the twin of stax ``fcn``."""

    depth: int
    width: int
    activation: str
    sigma_w2: float
    sigma_b2: float
    parameterization: str = "ntk"
    out_dim: int = 1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        phi = activation_fn(self.activation)
        affine = {
            "sigma_w2": self.sigma_w2,
            "sigma_b2": self.sigma_b2,
            "parameterization": self.parameterization,
        }
        for i in range(1, self.depth + 1):
            x = phi(AffineDense(self.width, **affine, name=block_name(i))(x))
        return AffineDense(self.out_dim, **affine, name=READOUT_LAYER)(x)


class FlaxCNN(nn.Module):
    """``(Conv → φ)^depth`` then Flatten → Dense (``readout="flatten"``, CNN-F) or GlobalAvgPool → Dense
    (``readout="pool"``, CNN-P), on channels-last inputs with 1 or 2 spatial axes."""

    depth: int
    width: int
    activation: str
    sigma_w2: float
    sigma_b2: float
    parameterization: str = "ntk"
    filter_size: int = 3
    padding: str = "CIRCULAR"
    readout: str = "flatten"
    out_dim: int = 1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        phi = activation_fn(self.activation)
        affine = {
            "sigma_w2": self.sigma_w2,
            "sigma_b2": self.sigma_b2,
            "parameterization": self.parameterization,
        }
        for i in range(1, self.depth + 1):
            conv = AffineConv(
                self.width, self.filter_size, padding=self.padding, **affine, name=block_name(i)
            )
            x = phi(conv(x))
        x = (
            x.reshape(x.shape[0], -1)
            if self.readout == "flatten"
            else x.mean(axis=tuple(range(1, x.ndim - 1)))
        )
        return AffineDense(self.out_dim, **affine, name=READOUT_LAYER)(x)


def flax_twin(spec: ModelSpec, out_dim: int = 1) -> nn.Module:
    """The Flax module computing the same function as ``build_network(spec, ...)``'s stax network."""
    common = {
        "depth": spec.depth,
        "width": spec.width,
        "activation": spec.activation,
        "sigma_w2": spec.sigma_w2,
        "sigma_b2": spec.sigma_b2,
        "parameterization": spec.parameterization,
        "out_dim": out_dim,
    }
    if spec.name == "fcn":
        return FlaxFCN(**common)
    require(spec.padding in PADDINGS, f"model.padding={spec.padding!r}; allowed: {', '.join(PADDINGS)}")
    readout = "flatten" if spec.name == "cnn_flatten" else "pool"
    return FlaxCNN(**common, filter_size=spec.filter_size, padding=spec.padding, readout=readout)


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
            std = init_std(self.spec, str(path[-1].key), leaf.shape)
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

    def stax_network(self, spatial_ndim: int) -> LayerwiseNetwork:
        """The stax twin (analytic kernels); only built-in architectures have one."""
        require(
            self.spec is not None,
            f"model.flax_module={self.source!r} has no analytic kernel; this experiment needs a built-in"
            " model (fcn, cnn_flatten, cnn_pool)",
        )
        assert self.spec is not None
        return build_network(self.spec, 0 if self.flatten_input else spatial_ndim)


def init_std(spec: ModelSpec, name: str, shape: Sequence[int]) -> float:
    """Init std of a twin parameter: ``kernel`` (fan-in = prod of all but the last axis) or ``bias``."""
    fan_in = math.prod(shape[:-1]) if name == "kernel" else 1
    w_std, b_std, _, _ = _scales(spec.parameterization, spec.sigma_w2, spec.sigma_b2, max(fan_in, 1))
    return w_std if name == "kernel" else b_std


def load_flax_module(path: str, kwargs: Mapping[str, Any] | None = None) -> nn.Module:
    """Instantiate the user's ``"package.module:Class"`` with ``kwargs``; one-line errors."""
    require(
        isinstance(path, str) and path.count(":") == 1 and all(path.split(":")),
        f"model.flax_module={path!r} must look like 'package.module:ClassName'",
    )
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


def flax_model_from_config(
    model_cfg: Mapping[str, Any],
    *,
    spatial_ndim: int,
    out_dim: int,
    width: int | None = None,
    depth: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> FlaxModel:
    """The Flax model of the ``model`` config group, with an optional width/depth (and spec) override.

    Built-in models (``model.name``) give the twin of their :class:`ModelSpec`; ``model.flax_module`` gives
    the user's module built with ``model.flax_kwargs``, where ``width`` (if given) sets the kwarg named by
    ``model.width_kwarg`` (default ``width``). ``spatial_ndim`` is that of the data (0 for flat inputs).
    """
    path = model_cfg.get("flax_module")
    if path:
        kwargs = dict(model_cfg.get("flax_kwargs") or {})
        if width is not None:
            kwargs[str(model_cfg.get("width_kwarg", "width"))] = int(width)
        if depth is not None and model_cfg.get("depth_kwarg"):
            kwargs[str(model_cfg["depth_kwarg"])] = int(depth)
        flatten = model_cfg.get("flatten_input", False)
        require(isinstance(flatten, bool), f"model.flatten_input={flatten!r} must be true or false")
        return FlaxModel(load_flax_module(path, kwargs), None, flatten, path)
    cfg = dict(model_cfg)
    cfg.update({k: v for k, v in (overrides or {}).items() if v is not None})
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
