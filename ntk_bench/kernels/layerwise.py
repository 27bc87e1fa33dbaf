"""Analytic NTK and NNGP at every depth in one pass through the network: the one kernel pass.

A stax layer's ``kernel_fn`` maps a ``Kernel`` to the next ``Kernel`` (neural-tangents' API), so depth l+1 is
``block(kernel_l)`` and the output kernel at depth l is ``readout(kernel_l)``. One pass over depths 1..L
therefore costs L block applications instead of the L(L+1)/2 a rebuild per depth would cost. The recursion
itself is Jacot et al. (2018) / Lee et al. (2018):

    K^{l+1} = σ_w² T(K^l) + σ_b²,        Θ^{l+1} = K^{l+1} + σ_w² Ṫ(K^l) Θ^l

(residual families add the branch to the skip connection's kernel, ``families/resnet.py``).

:class:`KernelPass` is the only place kernels across depth are computed. It compiles the stem, block and
readout of a :class:`~ntk_bench.model.Network` once with σ_w, σ_b as traced arguments, so the same
compiled functions serve a fixed-σ spectrum and every column of a σ_w² heat map. Inputs are processed in
square blocks (:mod:`ntk_bench.kernels.tiling`), the edge set from a memory bound (CNN-P stores
``n1·n2·P²`` numbers per layer). In the symmetric case (x2 = None) the NNGP diagonal is pinned to its
exact variances after every block (:func:`pin_diagonal`). Depths whose kernel is still not finite are listed
in :attr:`DepthKernels.nonfinite_depths`; consumers record them as divergent cells.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from neural_tangents import stax

from ntk_bench.errors import require
from ntk_bench.kernels.tiling import padded, tiles
from ntk_bench.model.activations import get_activation
from ntk_bench.model.network import Network

BYTES_PER_ENTRY = 8  # float64
# Live arrays per kernel entry during one block step: nngp, ntk, cov1/cov2 and the new layer's copies,
# plus the quadrature/arcsin temporaries; 8 is a measured-safe upper bound for erf/relu/tanh layers.
# A family adds its own ``extra_live_arrays`` (a residual block keeps its input alive beside the branch).
LIVE_ARRAYS_PER_ENTRY = 8
# One kernel array of a block is kept under this many bytes, and the block edge is a power of two: the block
# step streams each array through several elementwise passes, which run from cache only when the arrays fit.
# Measured (2026-12-02, idle machine; CNN-P, depths 1..10; seconds for edges 5/8/11/16 and 8/11/16/22/32):
# digits 8×8, m = 32: 0.97 / 0.62 / 0.87 / 1.00 (best: 8, 2 MB per array); MNIST-1D d = 40, m = 64:
# 0.72 / 0.73 / 0.56 / 0.59 / 1.04 (best: 16, 3.3 MB); one 52 MB block (edge 64) 1.56. FCN blocks
# (8 B per pair) stay whole up to m = 512.
CACHE_BLOCK_BYTES = 4e6


@dataclass(frozen=True)
class DepthKernels:
    """Output kernels of the network at each requested depth: arrays of shape (len(depths), n1, n2)."""

    depths: tuple[int, ...]
    ntk: np.ndarray
    nngp: np.ndarray

    @property
    def finite(self) -> np.ndarray:
        """(len(depths),) bool: every NTK and NNGP entry at that depth is finite."""
        axes = (1, 2)
        return np.isfinite(self.ntk).all(axis=axes) & np.isfinite(self.nngp).all(axis=axes)

    @property
    def nonfinite_depths(self) -> list[int]:
        """The depths whose kernel holds a NaN or an Inf (to be recorded as divergent, never used)."""
        return [d for d, ok in zip(self.depths, self.finite, strict=True) if not ok]


def validate_depths(depths: Sequence[int]) -> tuple[int, ...]:
    """Depths must be a non-empty, strictly increasing list of integers >= 0."""
    depths = tuple(int(d) for d in depths)
    require(len(depths) > 0, "depth list is empty; give at least one depth >= 0")
    require(min(depths) >= 0, f"depths {list(depths)} contain a negative depth; allowed: integers >= 0")
    require(
        all(a < b for a, b in itertools.pairwise(depths)),
        f"depths {list(depths)} must be strictly increasing",
    )
    return depths


def entries_per_pair(network: Network, spatial_shape: Sequence[int]) -> int:
    """Kernel entries live per input pair inside the network.

    1 for fully-connected layers, P spatial positions for a flatten readout (spatial diagonal), P² for
    pooling (full spatial covariance); times the quadrature points of an activation without a closed-form
    kernel (deg² for ``stax.ElementwiseNumerical``).
    """
    positions = math.prod(spatial_shape) if spatial_shape else 1
    quadrature = get_activation(network.spec.activation).quadrature_points
    if not network.spec.is_convolutional:
        return quadrature
    spatial = positions if network.input_kernel_options.get("diagonal_spatial") else positions * positions
    return spatial * quadrature


def auto_block_size(
    n1: int,
    n2: int,
    per_pair: int,
    max_block_bytes: float,
    live_arrays: int = LIVE_ARRAYS_PER_ENTRY,
    cache_bytes: float = CACHE_BLOCK_BYTES,
) -> int:
    """Square block edge: the whole kernel when it fits, else the largest power of two b under two bounds,
    memory (b²·per_pair·8 B·live_arrays ≤ max_block_bytes) and cache (one array, b²·per_pair·8 B ≤
    ``cache_bytes``)."""
    per_pair_bytes = per_pair * BYTES_PER_ENTRY
    memory_edge = math.isqrt(max(1, int(max_block_bytes // (per_pair_bytes * live_arrays))))
    cache_edge = math.isqrt(max(1, int(cache_bytes // per_pair_bytes)))
    bound = max(1, min(memory_edge, cache_edge))
    if max(n1, n2) <= bound:
        return max(n1, n2)
    return 1 << (bound.bit_length() - 1)


def pin_diagonal(kernel):
    """Set the NNGP diagonal K_aa of a symmetric (x2=None) ``Kernel`` to its exact variances ``cov1``.

    neural-tangents evaluates K_aa like an off-diagonal entry at correlation c = K_aa/√(q_a q_a) = 1 ± ε.
    In the chaotic phase c = 1 is an unstable fixed point of the correlation map (Schoenholz et al. 2017), so
    that round-off grows like ε·χ_1^l: for erf at σ_w² = 2.5 the diagonal left q* by 5% and the kernel turned
    NaN (arcsin of an argument > 1) near depth 120. ``cov1`` follows the stable variance map instead, and
    K_aa = q_a exactly in the theory, so pinning changes nothing but the round-off.
    """
    if kernel.cov1 is None or kernel.nngp.shape[0] != kernel.nngp.shape[1] or not kernel.diagonal_batch:
        return kernel
    n = kernel.nngp.shape[0]
    index = jnp.arange(n)
    return kernel.replace(nngp=kernel.nngp.at[index, index].set(kernel.cov1))


def _stds(network: Network, sigma_w2: float | None, sigma_b2: float | None) -> tuple[jnp.ndarray, ...]:
    """σ_w, σ_b as float64 jax scalars (traced arguments: one compilation for every σ)."""
    spec = network.spec
    w2 = spec.sigma_w2 if sigma_w2 is None else float(sigma_w2)
    b2 = spec.sigma_b2 if sigma_b2 is None else float(sigma_b2)
    require(w2 > 0 and math.isfinite(w2), f"sigma_w2={w2!r} must be a finite number > 0")
    require(b2 >= 0 and math.isfinite(b2), f"sigma_b2={b2!r} must be a finite number >= 0")
    return jnp.asarray(math.sqrt(w2), jnp.float64), jnp.asarray(math.sqrt(b2), jnp.float64)


class KernelPass:
    """Analytic NTK/NNGP of one network at many depths, for any (σ_w², σ_b²), from one compiled stem, block
    and readout. Instances are safe to share between threads (JAX releases the GIL in compiled calls); get a
    shared one with :func:`kernel_pass`."""

    def __init__(self, network: Network, *, pin: bool = True):
        """``pin=False`` leaves the symmetric diagonal unpinned: only to measure the pin's cost."""
        self.network = network
        options = dict(network.input_kernel_options)

        def stem(x1, x2, w_std, b_std):  # the inputs' Kernel (covariances x xᵀ/d), then the stem layer
            inputs = stax.Identity()[2](x1, x2, get=None, **options)
            return network.pieces(w_std, b_std)[0][2](inputs)

        def block(kernel, w_std, b_std):
            return network.pieces(w_std, b_std)[1][2](kernel)

        def readout(kernel, w_std, b_std):
            return network.pieces(w_std, b_std)[2][2](kernel, get=("nngp", "ntk"))

        self._stem = jax.jit(stem)
        self._block = jax.jit(block)

        def pinned_block(kernel, w_std, b_std):
            return pin_diagonal(block(kernel, w_std, b_std))

        self._pinned_block = jax.jit(pinned_block) if pin else self._block
        self._readout = jax.jit(readout)

    def iterate(self, x1, x2, depths: Sequence[int], w_std, b_std) -> Iterator[tuple[int, object]]:
        """Yield ``(depth, readout kernel)`` for each of ``depths`` (increasing); readouts run only there.

        With ``x2=None`` the NNGP diagonal is pinned after every block (:func:`pin_diagonal`).
        """
        step = self._block if x2 is not None else self._pinned_block
        kernel = self._stem(x1, x2, w_std, b_std)
        depth = 0
        for target in depths:
            while depth < target:
                kernel = step(kernel, w_std, b_std)
                depth += 1
            yield depth, self._readout(kernel, w_std, b_std)

    def block_size(self, n1: int, n2: int, spatial_shape: Sequence[int], max_block_bytes: float) -> int:
        """The block edge that keeps one block step under ``max_block_bytes``."""
        live = LIVE_ARRAYS_PER_ENTRY + self.network.spec.family.extra_live_arrays
        per_pair = entries_per_pair(self.network, spatial_shape)
        return auto_block_size(n1, n2, per_pair, max_block_bytes, live)

    def across_depth(
        self,
        x1: np.ndarray,
        x2: np.ndarray | None,
        depths: Sequence[int],
        sigma_w2: float | None = None,
        sigma_b2: float | None = None,
        *,
        max_block_bytes: float = 1e9,
        block_size: int | None = None,
    ) -> DepthKernels:
        """NTK and NNGP between ``x1`` and ``x2`` (None: ``x1`` with itself), shape (len(depths), n1, n2).

        ``sigma_w2``/``sigma_b2`` default to the network's spec; ``block_size`` (default: from
        ``max_block_bytes``) bounds the rows and columns of each block. Float64 numpy results.
        """
        depths = validate_depths(depths)
        w_std, b_std = _stds(self.network, sigma_w2, sigma_b2)
        x1 = np.asarray(x1, dtype=np.float64)
        symmetric = x2 is None
        x2 = x1 if symmetric else np.asarray(x2, dtype=np.float64)
        n1, n2 = len(x1), len(x2)
        if block_size is None:
            block_size = self.block_size(n1, n2, x1.shape[1:-1], max_block_bytes)
        wanted = {d: i for i, d in enumerate(depths)}
        ntk = np.empty((len(depths), n1, n2))
        nngp = np.empty((len(depths), n1, n2))
        edge1, edge2 = min(block_size, n1), min(block_size, n2)
        for tile in tiles(n1, n2, edge1, edge2, symmetric):
            rows, cols, (h, w) = tile.rows, tile.cols, tile.shape
            a = padded(x1[rows], edge1)
            b = None if tile.diagonal else padded(x2[cols], edge2)
            for depth, out in self.iterate(a, b, depths, w_std, b_std):
                ntk[wanted[depth], rows, cols] = np.asarray(out.ntk)[:h, :w]
                nngp[wanted[depth], rows, cols] = np.asarray(out.nngp)[:h, :w]
            if tile.mirror:
                ntk[:, cols, rows] = np.swapaxes(ntk[:, rows, cols], 1, 2)
                nngp[:, cols, rows] = np.swapaxes(nngp[:, rows, cols], 1, 2)
        return DepthKernels(depths, ntk, nngp)


@functools.lru_cache(maxsize=32)
def kernel_pass(network: Network) -> KernelPass:
    """The shared :class:`KernelPass` of ``network`` (compiled once per network and input shape)."""
    return KernelPass(network)


def kernels_across_depth(
    network: Network,
    x1: np.ndarray,
    x2: np.ndarray | None,
    depths: Sequence[int],
    *,
    sigma_w2: float | None = None,
    sigma_b2: float | None = None,
    max_block_bytes: float = 1e9,
    block_size: int | None = None,
) -> DepthKernels:
    """NTK and NNGP between ``x1`` and ``x2`` (``None``: ``x1`` with itself) at each depth in ``depths``.

    All depths come from one pass per input block (:class:`KernelPass`); σ's default to the network's spec.
    """
    return kernel_pass(network).across_depth(
        x1, x2, depths, sigma_w2, sigma_b2, max_block_bytes=max_block_bytes, block_size=block_size
    )
