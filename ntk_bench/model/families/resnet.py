"""``model=resnet``: residual networks, fully connected (``layer: dense``) or convolutional (``layer: conv``).

    h^0 = stem(x),     h^{l+1} = h^l + α · (W^l φ(h^l) + b^l),     f(x) = readout(φ(h^L))

with the same affine layers as the FCN/CNN families (``stem``: Dense or Conv; the branch's affine map has
σ_w, σ_b scaled by α; the readout: Dense, or Flatten/GlobalAvgPool → Dense for ``layer: conv``). With
independent weights the infinite-width kernels add along the skip connection (Yang & Schoenholz 2017,
"Mean field residual networks: on the edge of chaos"):

    K^{l+1} = K^l + α²(σ_w² T(K^l) + σ_b²),      Θ^{l+1} = Θ^l + α²σ_w² Ṫ(K^l) ⊙ Θ^l + α²(σ_w² T(K^l) + σ_b²).

The correlation map then approaches its fixed point polynomially rather than exponentially in depth (no
exponential depth scale), and with α = L^{-γ} (Huang, Wang, Tao & Zhao 2020, "Why do deep residual networks
generalize better than deep feedforward networks? A neural tangent kernel perspective", 1/2 ≤ γ < 1) the
NTK stays data-dependent as L → ∞. ``model.gamma`` sets α = model.depth^{-γ}; ``model.alpha`` sets α
directly (give one of the two). A kernel pass over depths 1..L evaluates the prefix networks of the depth-L
network, all with that network's α.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
from neural_tangents import stax

from ntk_bench.errors import ConfigError, require, require_choice
from ntk_bench.model.activations import get_activation
from ntk_bench.model.families import Family
from ntk_bench.model.families.cnn import conv_layer
from ntk_bench.model.flax_layers import (
    BLOCK_PREFIX,
    READOUT_LAYER,
    AffineConv,
    AffineDense,
    activation_fn,
    affine_settings,
    block_name,
    readout_features,
)
from ntk_bench.model.spec import LAYERS, READOUTS, ModelSpec
from ntk_bench.model.stax_layers import dense, readout, residual
from ntk_bench.schema import choice, optional, real, setting

READOUTS_BY_LAYER = {"dense": ("dense",), "conv": ("flatten", "pool")}


@dataclass(frozen=True)
class ResNetKeys:
    """``model=resnet``'s own keys: layer, readout (default: the layer's first), alpha, gamma."""

    layer: str = setting(choice(LAYERS), "dense")
    readout: str | None = setting(optional(choice(READOUTS)), None)
    alpha: float | None = setting(optional(real(0, open_minimum=True)), None)
    gamma: float | None = setting(optional(real(0)), None)


def residual_scale(depth: int, alpha: float | None, gamma: float | None) -> tuple[float, float | None]:
    """(α, γ) from the validated ``model.alpha`` / ``model.gamma``; one-line errors.

    γ given: α = depth^{-γ} (an ``alpha`` given beside it must equal that, so a spec's own fields read back
    as a config give the same spec); otherwise α is ``model.alpha``.
    """
    if gamma is None:
        require(alpha is not None, "model.alpha and model.gamma are both null: give α > 0, or γ >= 0")
        return alpha, None
    derived = float(depth) ** (-gamma)
    if alpha is not None and not math.isclose(alpha, derived, rel_tol=1e-12):
        raise ConfigError(
            f"model.alpha={alpha!r} contradicts model.gamma={gamma!r} (α = depth^-γ = {derived:.6g});"
            " give one of the two"
        )
    return derived, gamma


def configure(spec: Any, keys: Mapping[str, Any]) -> Any:
    """The structure from :class:`ResNetKeys`: ``readout`` must fit ``layer`` (dense: dense; conv: flatten |
    pool), α from ``alpha`` or ``gamma``."""
    layer = keys["layer"]
    readout = keys["readout"] or READOUTS_BY_LAYER[layer][0]
    require_choice(f"model.readout for model.layer={layer}", readout, READOUTS_BY_LAYER[layer])
    alpha, gamma = residual_scale(spec.depth, keys["alpha"], keys["gamma"])
    return dataclasses.replace(spec, layer=layer, readout=readout, alpha=alpha, gamma=gamma)


def _affine(spec: Any, spatial_ndim: int, w_std: Any, b_std: Any, fast: bool) -> tuple:
    if spec.layer == "conv":
        return conv_layer(spec, spatial_ndim, w_std, b_std, fast)
    return dense(spec.width, w_std, b_std, spec.parameterization)


def stax_pieces(
    spec: Any, spatial_ndim: int, out_dim: int, w_std: Any, b_std: Any, fast: bool = True
) -> tuple:
    """(stem, block, readout): affine, h ↦ h + α·affine(φ(h)), φ → [Flatten/GlobalAvgPool →] Dense."""
    phi = get_activation(spec.activation).stax_layer()
    stem = _affine(spec, spatial_ndim, w_std, b_std, fast)
    branch = stax.serial(phi, _affine(spec, spatial_ndim, spec.alpha * w_std, spec.alpha * b_std, fast))
    head = stax.serial(phi, readout(spec.readout, out_dim, w_std, b_std, spec.parameterization))
    return stem, residual(branch), head


class FlaxResNet(nn.Module):
    """The twin of stax ``resnet``: ``stem`` → ``block_1 … block_<depth>`` (residual) → φ → ``readout``."""

    spec: ModelSpec
    out_dim: int = 1

    def _affine(self, scale2: float, name: str) -> nn.Module:
        """The family's affine layer with σ_w², σ_b² multiplied by ``scale2`` (α² on the branches)."""
        spec = self.spec
        common = affine_settings(spec, scale2)
        if spec.layer == "conv":
            return AffineConv(spec.width, spec.filter_size, padding=spec.padding, **common, name=name)
        return AffineDense(spec.width, **common, name=name)

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        spec = self.spec
        phi = activation_fn(spec.activation)
        h = self._affine(1.0, "stem")(x)
        for i in range(1, spec.depth + 1):
            h = h + self._affine(spec.alpha**2, block_name(i))(phi(h))
        features = readout_features(phi(h), spec.readout)
        return AffineDense(self.out_dim, **affine_settings(spec), name=READOUT_LAYER)(features)


def layer_scale(spec: Any, layer: str) -> float:
    """α for the residual branches (``block_*``), 1 for the stem and the readout."""
    return spec.alpha if layer.startswith(BLOCK_PREFIX) else 1.0


FAMILIES = (
    Family(
        "resnet",
        "ResNet",
        configure,
        stax_pieces,
        FlaxResNet,
        keys=ResNetKeys,
        layer_scale=layer_scale,
        extra_live_arrays=4,  # FanOut keeps the block input's nngp/ntk/cov1/cov2 alive beside the branch's
        plain_mean_field=False,  # no exponential depth scale (Yang & Schoenholz 2017)
    ),
)
