"""The affine layers every family is built from, as stax triples ``(init_fn, apply_fn, kernel_fn)``.

σ_w and σ_b may be Python floats (fixed-σ networks) or traced jax scalars (one compilation serving a whole
σ_w² grid, Xiao et al. 2020 heat maps): the layers only multiply by them.

**Circular convolutions.** For an odd filter with circular padding in the NTK parameterization, the
infinite-width update of a convolution is a box average over the filter window applied to both positions of
each covariance entry (Xiao et al. 2018; Novak et al. 2019):

    K'_{p,p'} = σ_w² · mean_{δ ∈ F} K_{p+δ, p'+δ} + σ_b²,      Θ' = K' + σ_w² · mean_{δ ∈ F} Θ_{p+δ, p'+δ}

(fan-in normalisation makes the sum over the |F| taps a mean; a shared bias adds σ_b² to every entry). The
box is separable over spatial dimensions. Per dimension it is applied one of two ways, chosen by shape
(:func:`box_average_method`): a (P × P) matrix product on the P merged positions of that dimension (P = H
for the spatial diagonal of CNN-F, H² for the full covariance of CNN-P) when P is small, where one matmul
beats copies; otherwise a sum of |F| shifted copies, O(|F|) work per entry instead of O(P) — the (d², d²)
operator of a 1-D signal of length d = 128 would hold 2.7e8 numbers. Both equal neural-tangents' own
``stax.Conv`` kernel to round-off (tests), and the forward pass is neural-tangents' up to round-off too.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from neural_tangents import stax

from ntk_bench.errors import require

StaxLayer = tuple  # (init_fn, apply_fn, kernel_fn)

# Largest merged size P of one spatial dimension for which the (P × P) box operator is used. Measured per
# input pair, one Conv → Erf block in cache-sized blocks (python -m benchmarks conv_kernels; speedup over
# neural-tangents' Conv with the operator / with shifted copies): 2-D 4×4 full covariance (P = 16)
# 2.2-3.3× / 1.7×; 8×8 full (P = 64) 1.24× / 1.63×; 1-D d = 64 diagonal (P = 64) 0.59× / 1.10×.
OPERATOR_MAX_POSITIONS = 16


def dense(width: int, w_std: Any, b_std: Any, parameterization: str = "ntk") -> StaxLayer:
    """neural-tangents' ``Dense`` layer: ``(σ_w/√n) W x + σ_b b`` (NTK) or its standard twin."""
    return stax.Dense(width, W_std=w_std, b_std=b_std, parameterization=parameterization)


def conv(
    width: int,
    filter_size: int,
    spatial_ndim: int,
    w_std: Any,
    b_std: Any,
    *,
    padding: str = "CIRCULAR",
    parameterization: str = "ntk",
    fast: bool = True,
) -> StaxLayer:
    """A stride-1 convolution over ``spatial_ndim`` axes: :func:`circular_conv` where it applies (circular
    padding, odd filter, NTK parameterization, ``fast``), neural-tangents' ``stax.Conv`` otherwise."""
    if fast and padding == "CIRCULAR" and filter_size % 2 == 1 and parameterization == "ntk":
        return circular_conv(width, filter_size, spatial_ndim, w_std, b_std)
    shape = (filter_size,) * spatial_ndim
    return stax.Conv(
        width, shape, padding=padding, W_std=w_std, b_std=b_std, parameterization=parameterization
    )


@functools.lru_cache(maxsize=64)
def _box_operator(sizes: tuple[int, ...], filter_size: int) -> np.ndarray:
    """(P, P) matrix of the circular box average on P = prod(sizes) flattened positions.

    ``sizes`` is (H,) for one position axis (diagonal spatial) or (H, H) for a pair of axes (full spatial,
    both positions shifted together): row (a, b) averages the entries (a + δ, b + δ) mod H, δ ∈ {-r..r}.
    """
    h, r = sizes[0], filter_size // 2
    positions = np.arange(h)
    op = np.zeros((h,) * (2 * len(sizes)))
    for delta in range(-r, r + 1):
        shifted = (positions + delta) % h
        if len(sizes) == 1:
            op[positions, shifted] += 1.0 / filter_size
        else:
            a, b = np.meshgrid(positions, positions, indexing="ij")
            op[a, b, shifted[a], shifted[b]] += 1.0 / filter_size
    size = h ** len(sizes)
    return op.reshape(size, size)


def box_average_method(sizes: Sequence[int]) -> str:
    """``"operator"`` or ``"shifts"`` for one spatial dimension whose axes have ``sizes`` (see module doc)."""
    return "operator" if math.prod(sizes) <= OPERATOR_MAX_POSITIONS else "shifts"


def _shift_average(x: jnp.ndarray, axes: tuple[int, ...], filter_size: int) -> jnp.ndarray:
    """mean over δ ∈ {-r..r} of ``x`` rolled by δ along every axis of ``axes`` together."""
    r = filter_size // 2
    total = x
    for delta in range(1, r + 1):
        for sign in (1, -1):
            total = total + jnp.roll(x, (sign * delta,) * len(axes), axis=axes)
    return total / filter_size


def box_average(x: jnp.ndarray, filter_size: int, axes_per_dim: Sequence[tuple[int, ...]]) -> jnp.ndarray:
    """Apply the circular box average along each spatial dimension (its axis, or its pair of axes).

    The spatial axes are the trailing ones, in neural-tangents' layout. With the operator, a dimension's
    axes are merged into one of size P and contracted with the (P × P) matrix; ``tensordot`` appends the
    result as the last axis, so after every dimension has been contracted the axes are back in order.
    """
    for axes in axes_per_dim:
        sizes = tuple(x.shape[a] for a in axes)
        if box_average_method(sizes) == "shifts":
            x = _shift_average(x, axes, filter_size)
            continue
        shape = x.shape
        first = axes[0]
        merged = x.reshape((*shape[:first], math.prod(sizes), *shape[axes[-1] + 1 :]))
        x = jnp.moveaxis(
            jnp.tensordot(merged, jnp.asarray(_box_operator(sizes, filter_size)), axes=([first], [1])),
            -1,
            first,
        ).reshape(shape)
    return x


def circular_conv(width: int, filter_size: int, spatial_ndim: int, w_std: Any, b_std: Any) -> StaxLayer:
    """neural-tangents' CIRCULAR ``Conv`` (NTK parameterization): its ``init_fn``, the box-average kernel
    update above and a patches-times-weights forward pass (both equal to neural-tangents' to round-off)."""
    require(filter_size % 2 == 1, f"fast circular conv needs an odd filter_size, got {filter_size}")
    init_fn, _, _ = stax.Conv(
        width,
        (filter_size,) * spatial_ndim,
        padding="CIRCULAR",
        W_std=w_std,
        b_std=b_std,
        parameterization="ntk",
    )
    w2, b2 = w_std**2, b_std**2
    r, taps = filter_size // 2, filter_size**spatial_ndim

    def patches_apply_fn(params, inputs, **kwargs):
        """The circular Conv forward pass as shifted copies (patches) times the weights.

        ``lax.conv`` on wrap-padded inputs computes out[p] = Σ_k x[p + k − r] W[k]; here each tap is a
        ``jnp.roll`` and the sum one matrix product. XLA's float64 convolution on CPU ran at ~0.2 GFLOP/s
        here (240 ms per gradient of a 2-layer, 64-channel CNN on 48 4×4 images), far below its matmul.
        """
        weights, bias = params
        shifted = []
        for offsets in itertools.product(range(filter_size), repeat=spatial_ndim):
            x = inputs
            for axis, k in enumerate(offsets):
                x = jnp.roll(x, r - k, axis=1 + axis)
            shifted.append(x)
        patches = jnp.stack(shifted, axis=-2)  # (N, *spatial, taps, C_in)
        kernel = weights.reshape(taps, weights.shape[-2], weights.shape[-1])
        out = jnp.tensordot(patches, kernel, axes=([-2, -1], [0, 1]))
        out = out * (w_std / jnp.sqrt(taps * weights.shape[-2]))
        return out if bias is None else out + b_std * bias

    def kernel_fn(k, **kwargs):
        def spatial_axes(x: jnp.ndarray) -> list[tuple[int, ...]]:
            if k.diagonal_spatial:  # (..., X, Y): one axis per spatial dimension
                return [(x.ndim - spatial_ndim + d,) for d in range(spatial_ndim)]
            first = x.ndim - 2 * spatial_ndim  # (..., X, X', Y, Y'): a pair of axes per spatial dimension
            return [(first + 2 * d, first + 2 * d + 1) for d in range(spatial_ndim)]

        def average(x):
            if x is None or jnp.ndim(x) == 0:  # the input kernel's Θ is the scalar 0: shift invariant
                return x
            return box_average(x, filter_size, spatial_axes(x))

        def affine(x):
            return None if x is None else w2 * average(x) + b2

        nngp = affine(k.nngp)
        ntk = None if k.ntk is None else w2 * average(k.ntk) + nngp
        def channels(shape):  # the output's shape, as neural-tangents' own Conv records it (FanInSum checks)
            return None if shape is None else (*tuple(shape)[:-1], width)

        return k.replace(
            cov1=affine(k.cov1),
            cov2=affine(k.cov2),
            nngp=nngp,
            ntk=ntk,
            is_gaussian=True,
            is_input=False,
            shape1=channels(k.shape1),
            shape2=channels(k.shape2),
        )

    return init_fn, patches_apply_fn, kernel_fn


def readout(kind: str, out_dim: int, w_std: Any, b_std: Any, parameterization: str = "ntk") -> StaxLayer:
    """The output layer: Dense (``dense``), Flatten → Dense (``flatten``, CNN-F) or GlobalAvgPool → Dense
    (``pool``, CNN-P); the stax side of :func:`ntk_bench.model.flax_layers.readout_features`."""
    last = dense(out_dim, w_std, b_std, parameterization)
    if kind == "dense":
        return last
    return stax.serial(stax.Flatten() if kind == "flatten" else stax.GlobalAvgPool(), last)


def residual(branch: StaxLayer) -> StaxLayer:
    """``x ↦ x + branch(x)`` (neural-tangents: FanOut(2) → parallel(branch, Identity) → FanInSum).

    With independent weights the kernels add (Yang & Schoenholz 2017): K' = K + K_branch, Θ' = Θ + Θ_branch.
    """
    return stax.serial(stax.FanOut(2), stax.parallel(branch, stax.Identity()), stax.FanInSum())
