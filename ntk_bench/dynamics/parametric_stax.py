"""The stax networks of :mod:`ntk_bench.architectures` with σ_w and σ_b as traced arguments.

``build_network`` bakes σ_w, σ_b into the layers as Python floats, so a jitted kernel pass or training step
compiles anew for every σ_w² of a grid (~0.4-0.8 s per column here, which alone would cost ~30 s on the
40-column grid of Xiao et al. 2020). Here the same architecture is rebuilt *inside* the traced function from
``(w_std, b_std)`` arrays: one compilation then serves a whole σ_w² grid (``jax.jit``) or a batch of it
(``jax.vmap``). In the NTK parameterization the parameters are drawn N(0, 1) independently of σ_w, σ_b
(they only scale the forward pass), so one ``init_fn`` call per seed serves every σ_w² too.

Layers and kernel options are those of :func:`ntk_bench.architectures.build_network` (which validates the
spec and the input layout here); ``tests/test_xiao2020.py`` checks both the kernels and the forward pass
against it.

**Circular convolutions.** neural-tangents' ``Conv`` kernel for CIRCULAR padding pads and runs
``lax.conv_general_dilated`` over 2·nd spatial axes; on CPU in float64 that took ~230 ms per call for a
64×32-pair, 4×4-image full spatial covariance (CNN-P) here, ~8× the cost of the Erf layer on the same kernel.
For an odd filter with circular padding the infinite-width update is a box average over the filter window,
applied to both positions of each covariance entry:

    K'_{p,p'} = σ_w² · mean_{δ ∈ F} K_{p+δ, p'+δ} + σ_b²,      Θ' = K' + σ_w² · mean_{δ ∈ F} Θ_{p+δ, p'+δ}

(NTK parameterization: fan-in normalisation makes the sum over the |F| taps a mean; a shared bias adds σ_b²
to every entry). The box is separable: one small (P × P) matrix product per spatial dimension, P = H for the
diagonal (CNN-F) and H² for the full (CNN-P) spatial covariance. ``fast_circular_conv=True``
(default) uses this update as the Conv layer's ``kernel_fn`` (its ``init_fn``/``apply_fn`` are
neural-tangents'); it is checked against neural-tangents' own Conv kernel to round-off in the tests, for
CNN-F (diagonal spatial) and CNN-P (full spatial), 1-D and 2-D.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from neural_tangents import stax

from ntk_bench.architectures.activations import get_activation
from ntk_bench.architectures.stax_models import ModelSpec, build_network
from ntk_bench.errors import require
from ntk_bench.kernels.layerwise import DepthKernels, auto_block_size, entries_per_pair, validate_depths

StaxLayer = tuple  # (init_fn, apply_fn, kernel_fn)


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


def _box_average(x: jnp.ndarray, filter_size: int, axes_per_dim: Sequence[tuple[int, ...]]) -> jnp.ndarray:
    """Apply the circular box average along each spatial dimension (its axis, or adjacent pair of axes).

    The spatial axes are the trailing ones. Each dimension's axes are merged into one of size P and
    contracted with the (P × P) operator; ``tensordot`` appends the result as the last axis, so after all nd
    contractions the axes are back in their original order (no transposes). On CPU this was ~3× faster here
    than a sum of ``jnp.roll`` shifts, which XLA lowers to slice/concatenate copies of the 6-D kernel.
    """
    shape = x.shape
    first = axes_per_dim[0][0]
    sizes = [tuple(shape[a] for a in axes) for axes in axes_per_dim]
    x = x.reshape((*shape[:first], *(math.prod(s) for s in sizes)))
    for size in sizes:
        x = jnp.tensordot(x, jnp.asarray(_box_operator(size, filter_size)), axes=([first], [1]))
    return x.reshape(shape)


def circular_conv(width: int, filter_size: int, spatial_ndim: int, w_std: Any, b_std: Any) -> StaxLayer:
    """neural-tangents' CIRCULAR ``Conv`` (NTK parameterization): its ``init_fn``, with the shift-based kernel
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
        """neural-tangents' circular Conv forward pass as shifted copies (patches) times the weights.

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

        def conv(x):
            if x is None or jnp.ndim(x) == 0:  # the input kernel's Θ is the scalar 0: shift invariant
                return x
            return _box_average(x, filter_size, spatial_axes(x))

        def affine(x):
            return None if x is None else w2 * conv(x) + b2

        nngp = affine(k.nngp)
        ntk = None if k.ntk is None else w2 * conv(k.ntk) + nngp
        return k.replace(
            cov1=affine(k.cov1), cov2=affine(k.cov2), nngp=nngp, ntk=ntk, is_gaussian=True, is_input=False
        )

    return init_fn, patches_apply_fn, kernel_fn


@dataclass(frozen=True)
class ParametricNetwork:
    """``build_network(spec, spatial_ndim, out_dim)`` as a function of traced ``(w_std, b_std)``.

    ``spec.sigma_w2``/``spec.sigma_b2`` are ignored: every method takes σ_w, σ_b (standard deviations,
    arrays or floats). NTK parameterization only (the parameters then do not depend on σ).
    """

    spec: ModelSpec
    spatial_ndim: int
    out_dim: int = 1
    fast_circular_conv: bool = True

    def __post_init__(self) -> None:
        require(
            self.spec.parameterization == "ntk",
            f"model.parameterization={self.spec.parameterization!r}: σ-parametric networks need 'ntk'"
            " (parameters independent of σ_w, σ_b)",
        )
        build_network(self.spec, self.spatial_ndim, self.out_dim)  # same validation as the fixed-σ network

    @property
    def input_kernel_options(self) -> dict[str, Any]:
        """``diagonal_spatial`` for the input kernel, as :func:`build_network` sets it."""
        return dict(build_network(self.spec, self.spatial_ndim, self.out_dim).input_kernel_options)

    @property
    def uses_fast_conv(self) -> bool:
        spec = self.spec
        return (
            self.fast_circular_conv
            and spec.is_convolutional
            and spec.padding == "CIRCULAR"
            and spec.filter_size % 2 == 1
        )

    def pieces(self, w_std: Any, b_std: Any) -> tuple[StaxLayer, StaxLayer, StaxLayer]:
        """(stem, block, readout) built with the given σ_w, σ_b; the layers of ``build_network``."""
        spec = self.spec
        phi = get_activation(spec.activation).stax_layer()
        dense = {"W_std": w_std, "b_std": b_std, "parameterization": "ntk"}
        if spec.name == "fcn":
            block = stax.serial(stax.Dense(spec.width, **dense), phi)
            readout = stax.Dense(self.out_dim, **dense)
        else:
            if self.uses_fast_conv:
                conv = circular_conv(spec.width, spec.filter_size, self.spatial_ndim, w_std, b_std)
            else:
                shape = (spec.filter_size,) * self.spatial_ndim
                conv = stax.Conv(spec.width, shape, padding=spec.padding, **dense)
            block = stax.serial(conv, phi)
            pool = stax.Flatten() if spec.name == "cnn_flatten" else stax.GlobalAvgPool()
            readout = stax.serial(pool, stax.Dense(self.out_dim, **dense))
        return stax.Identity(), block, readout

    def at_depth(self, depth: int, w_std: Any, b_std: Any) -> StaxLayer:
        """The whole network of the given depth as one stax triple."""
        stem, block, readout = self.pieces(w_std, b_std)
        return stax.serial(stem, *([block] * depth), readout)

    def with_spec(self, **changes: Any) -> ParametricNetwork:
        return replace(self, spec=replace(self.spec, **changes))


def _stds(sigma_w2: float, sigma_b2: float) -> tuple[jnp.ndarray, jnp.ndarray]:
    return jnp.asarray(math.sqrt(sigma_w2), jnp.float64), jnp.asarray(math.sqrt(sigma_b2), jnp.float64)


def _padded(x: np.ndarray, size: int) -> np.ndarray:
    """Pad the batch to ``size`` rows with copies of row 0 (every block then has one shape: one compile)."""
    if len(x) == size:
        return x
    return np.concatenate([x, np.repeat(x[:1], size - len(x), axis=0)], axis=0)


class ParametricKernelPass:
    """Analytic NTK/NNGP at many depths, for any (σ_w², σ_b²), from one compiled block and readout.

    Same contract as :func:`ntk_bench.kernels.kernels_across_depth` (one block application per depth step,
    inputs processed in square blocks bounded by ``max_block_bytes``), with σ passed at call time. Instances
    are safe to share between threads (JAX releases the GIL while a compiled call runs).
    """

    def __init__(self, network: ParametricNetwork):
        self.network = network
        self._options = network.input_kernel_options

        def block(kernel, w_std, b_std):
            return network.pieces(w_std, b_std)[1][2](kernel)

        def readout(kernel, w_std, b_std):
            return network.pieces(w_std, b_std)[2][2](kernel, get=("nngp", "ntk"))

        self._block = jax.jit(block)
        self._readout = jax.jit(readout)

    def _iterate(self, x1, x2, depths: Sequence[int], w_std, b_std):
        """Yield ``(depth, readout_kernel)`` for each of ``depths`` (increasing); readouts run only there."""
        kernel = stax.Identity()[2](x1, x2, get=None, **self._options)
        depth = 0
        for target in depths:
            while depth < target:
                kernel = self._block(kernel, w_std, b_std)
                depth += 1
            yield depth, self._readout(kernel, w_std, b_std)

    def across_depth(
        self,
        x1: np.ndarray,
        x2: np.ndarray | None,
        depths: Sequence[int],
        sigma_w2: float,
        sigma_b2: float,
        *,
        max_block_bytes: float = 1e9,
        block_size: int | None = None,
    ) -> DepthKernels:
        """NTK and NNGP between ``x1`` and ``x2`` (None: ``x1`` with itself), shape (len(depths), n1, n2)."""
        depths = validate_depths(depths)
        w_std, b_std = _stds(sigma_w2, sigma_b2)
        x1 = np.asarray(x1, dtype=np.float64)
        symmetric = x2 is None
        x2 = x1 if symmetric else np.asarray(x2, dtype=np.float64)
        n1, n2 = len(x1), len(x2)
        if block_size is None:
            fixed = build_network(self.network.spec, self.network.spatial_ndim)
            per_pair = entries_per_pair(fixed, x1.shape[1:-1])
            block_size = auto_block_size(n1, n2, per_pair, max_block_bytes)
        wanted = {d: i for i, d in enumerate(depths)}
        ntk = np.empty((len(depths), n1, n2))
        nngp = np.empty((len(depths), n1, n2))
        starts = itertools.product(range(0, n1, block_size), range(0, n2, block_size))
        for r0, c0 in starts:
            if symmetric and c0 < r0:
                continue  # filled from the transpose of the mirrored block
            rows, cols = slice(r0, min(n1, r0 + block_size)), slice(c0, min(n2, c0 + block_size))
            same = symmetric and r0 == c0  # x2=None keeps neural-tangents' exact-diagonal path
            a = _padded(x1[rows], block_size) if block_size < n1 else x1[rows]
            b = None if same else (_padded(x2[cols], block_size) if block_size < n2 else x2[cols])
            h, w = rows.stop - rows.start, cols.stop - cols.start
            for depth, out in self._iterate(a, b, depths, w_std, b_std):
                ntk[wanted[depth], rows, cols] = np.asarray(out.ntk)[:h, :w]
                nngp[wanted[depth], rows, cols] = np.asarray(out.nngp)[:h, :w]
            if symmetric and c0 > r0:
                ntk[:, cols, rows] = np.swapaxes(ntk[:, rows, cols], 1, 2)
                nngp[:, cols, rows] = np.swapaxes(nngp[:, rows, cols], 1, 2)
        return DepthKernels(depths, ntk, nngp)
