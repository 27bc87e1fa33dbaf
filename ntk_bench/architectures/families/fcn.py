"""``model=fcn``: fully-connected network ``(Dense → φ)^depth → Dense``.

Xiao, Pennington & Schoenholz (2020) §2: the network of depth l is ``readout ∘ block^l`` with each block the
affine layer ``z ↦ (σ_w/√n) W φ(z) + σ_b b`` followed by φ; its NNGP/NTK recursion is REFERENCE §2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flax.linen as nn
import jax
from neural_tangents import stax

from ntk_bench.architectures.activations import get_activation
from ntk_bench.architectures.families import Family, fixed_structure
from ntk_bench.architectures.flax_layers import AffineDense, activation_fn
from ntk_bench.architectures.stax_layers import dense


def stax_pieces(
    spec: Any, spatial_ndim: int, out_dim: int, w_std: Any, b_std: Any, fast: bool = True
) -> tuple:
    """(stem, block, readout): Identity, Dense → φ, Dense."""
    phi = get_activation(spec.activation).stax_layer()
    block = stax.serial(dense(spec.width, w_std, b_std, spec.parameterization), phi)
    return stax.Identity(), block, dense(out_dim, w_std, b_std, spec.parameterization)


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
            x = phi(AffineDense(self.width, **affine, name=f"block_{i}")(x))
        return AffineDense(self.out_dim, **affine, name="readout")(x)


def flax_module(spec: Any, out_dim: int) -> nn.Module:
    return FlaxFCN(
        spec.depth, spec.width, spec.activation, spec.sigma_w2, spec.sigma_b2, spec.parameterization, out_dim
    )


def configure(spec: Any, cfg: Mapping[str, Any]) -> Any:
    return fixed_structure(spec, cfg, "dense", "dense")


FAMILIES = (Family("fcn", "FCN", configure, stax_pieces, flax_module),)
