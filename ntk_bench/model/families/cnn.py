"""``model=cnn_flatten`` (CNN-F) and ``model=cnn_pool`` (CNN-P): ``(Conv → φ)^depth`` then a readout.

Xiao, Pennington & Schoenholz (2020) §5: CNN-F flattens the last block's features into a Dense readout and
follows the FCN's depth behaviour; CNN-P averages them over the d spatial positions first (global average
pooling), which shrinks the bulk of the NTK spectrum and slows the chaotic mean predictor's decay. Circular
padding (default) is the translation-invariant setting of the theory (Xiao, Pennington & Schoenholz 2020).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
from neural_tangents import stax

from ntk_bench.model.activations import get_activation
from ntk_bench.model.families import Family, fixed_structure
from ntk_bench.model.flax_layers import (
    READOUT_LAYER,
    AffineConv,
    AffineDense,
    activation_fn,
    affine_settings,
    block_name,
    readout_features,
)
from ntk_bench.model.spec import ModelSpec
from ntk_bench.model.stax_layers import conv, readout


def conv_layer(spec: Any, spatial_ndim: int, w_std: Any, b_std: Any, fast: bool = True) -> tuple:
    """The family's convolution (``spec.width`` channels, ``spec.filter_size``, ``spec.padding``)."""
    return conv(
        spec.width,
        spec.filter_size,
        spatial_ndim,
        w_std,
        b_std,
        padding=spec.padding,
        parameterization=spec.parameterization,
        fast=fast,
    )


def stax_pieces(
    spec: Any, spatial_ndim: int, out_dim: int, w_std: Any, b_std: Any, fast: bool = True
) -> tuple:
    """(stem, block, readout): Identity, Conv → φ, Flatten/GlobalAvgPool → Dense."""
    phi = get_activation(spec.activation).stax_layer()
    block = stax.serial(conv_layer(spec, spatial_ndim, w_std, b_std, fast), phi)
    return stax.Identity(), block, readout(spec.readout, out_dim, w_std, b_std, spec.parameterization)


class FlaxCNN(nn.Module):
    """``(Conv → φ)^depth`` then Flatten → Dense (``spec.readout="flatten"``, CNN-F) or GlobalAvgPool → Dense
    (``"pool"``, CNN-P), on channels-last inputs with 1 or 2 spatial axes: the twin of stax ``cnn_*``."""

    spec: ModelSpec
    out_dim: int = 1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        spec = self.spec
        phi = activation_fn(spec.activation)
        affine = affine_settings(spec)
        for i in range(1, spec.depth + 1):
            name = block_name(i)
            layer = AffineConv(spec.width, spec.filter_size, padding=spec.padding, **affine, name=name)
            x = phi(layer(x))
        return AffineDense(self.out_dim, **affine, name=READOUT_LAYER)(readout_features(x, spec.readout))


FAMILIES = (
    Family(
        "cnn_flatten",
        "CNN-F",
        lambda spec, cfg: fixed_structure(spec, cfg, "conv", "flatten"),
        stax_pieces,
        FlaxCNN,
    ),
    Family(
        "cnn_pool",
        "CNN-P",
        lambda spec, cfg: fixed_structure(spec, cfg, "conv", "pool"),
        stax_pieces,
        FlaxCNN,
    ),
)
