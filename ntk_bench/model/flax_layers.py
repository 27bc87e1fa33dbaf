"""Flax (``flax.linen``) affine layers computing exactly neural-tangents' ``Dense`` and ``Conv``.

Parameterizations (the same parameters and function as stax with ``s = (1, 1)``):

- ``ntk``: entries of W and b ~ N(0, 1); a layer computes ``(σ_w/√fan_in) W x + σ_b b``
  (Jacot et al. 2018);
- ``standard``: W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²); a layer computes ``W x + b``
  (Sohl-Dickstein et al. 2020).

``fan_in`` is the input width of a dense layer and ``in_channels · prod(filter)`` of a convolution. Both
parameterizations keep the bias a trainable parameter even when σ_b = 0, as stax does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from ntk_bench.model.activations import get_activation

BLOCK_PREFIX = "block_"
READOUT_LAYER = "readout"


def block_name(index: int) -> str:
    """Name of the ``index``-th block (1-based), as it appears in a twin's parameter tree."""
    return f"{BLOCK_PREFIX}{index}"


def activation_fn(name: str) -> Callable[[jax.Array], jax.Array]:
    """φ as a jax function: the ``apply_fn`` of the registry's stax layer, so twin and kernel share φ."""
    apply_fn = get_activation(name).stax_layer()[1]
    return lambda x: apply_fn((), x)


def _normal(std: float) -> Callable[[jax.Array, Sequence[int]], jax.Array]:
    def init(key: jax.Array, shape: Sequence[int], dtype: Any = jnp.float64) -> jax.Array:
        return std * jax.random.normal(key, shape, jnp.float64)

    return init


def affine_settings(spec: Any, scale2: float = 1.0) -> dict[str, Any]:
    """The keyword arguments of :class:`AffineDense` / :class:`AffineConv` for a twin of ``spec`` (a
    ``ModelSpec``), σ_w² and σ_b² multiplied by ``scale2`` (a residual branch's α²)."""
    return {
        "sigma_w2": scale2 * spec.sigma_w2,
        "sigma_b2": scale2 * spec.sigma_b2,
        "parameterization": spec.parameterization,
    }


def affine_scales(parameterization: str, sigma_w2: float, sigma_b2: float, fan_in: int) -> tuple[float, ...]:
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
        w_std, b_std, w_mul, b_mul = affine_scales(
            self.parameterization, self.sigma_w2, self.sigma_b2, fan_in
        )
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
        w_std, b_std, w_mul, b_mul = affine_scales(
            self.parameterization, self.sigma_w2, self.sigma_b2, fan_in
        )
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


def readout_features(x: jax.Array, readout: str) -> jax.Array:
    """The features the readout Dense sees: ``x`` (dense), flattened (CNN-F) or spatially averaged (CNN-P)."""
    if readout == "flatten":
        return x.reshape(x.shape[0], -1)
    if readout == "pool":
        return x.mean(axis=tuple(range(1, x.ndim - 1)))
    return x
