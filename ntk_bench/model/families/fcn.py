"""``model=fcn``: fully-connected network ``(Dense → φ)^depth → Dense``.

Xiao, Pennington & Schoenholz (2020) §2: the network of depth l is ``readout ∘ block^l`` with each block the
affine layer ``z ↦ (σ_w/√n) W φ(z) + σ_b b`` followed by φ; its NNGP/NTK
recursion is that of Jacot et al. (2018) / Lee et al. (2018).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flax.linen as nn
import jax
from neural_tangents import stax

from ntk_bench.model.activations import get_activation
from ntk_bench.model.families import Family, fixed_structure
from ntk_bench.model.flax_layers import (
    READOUT_LAYER,
    AffineDense,
    activation_fn,
    affine_settings,
    block_name,
)
from ntk_bench.model.spec import ModelSpec
from ntk_bench.model.stax_layers import dense, readout


def stax_pieces(
    spec: Any, spatial_ndim: int, out_dim: int, w_std: Any, b_std: Any, fast: bool = True
) -> tuple:
    """(stem, block, readout): Identity, Dense → φ, Dense."""
    phi = get_activation(spec.activation).stax_layer()
    block = stax.serial(dense(spec.width, w_std, b_std, spec.parameterization), phi)
    return stax.Identity(), block, readout(spec.readout, out_dim, w_std, b_std, spec.parameterization)


class FlaxFCN(nn.Module):
    """``(Dense → φ)^depth → Dense`` on flat ``(N, D)`` inputs: the twin of stax ``fcn`` for ``spec``."""

    spec: ModelSpec
    out_dim: int = 1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        spec = self.spec
        phi = activation_fn(spec.activation)
        affine = affine_settings(spec)
        for i in range(1, spec.depth + 1):
            x = phi(AffineDense(spec.width, **affine, name=block_name(i))(x))
        return AffineDense(self.out_dim, **affine, name=READOUT_LAYER)(x)


def configure(spec: Any, cfg: Mapping[str, Any]) -> Any:
    return fixed_structure(spec, cfg, "dense", "dense")


FAMILIES = (Family("fcn", "FCN", configure, stax_pieces, FlaxFCN),)
