"""Analytic NTK and NNGP at every depth in one pass through the network.

A stax layer's ``kernel_fn`` maps a ``Kernel`` to the next ``Kernel`` (REFERENCE §1), so depth l+1 is
``block(kernel_l)`` and the output kernel at depth l is ``readout(kernel_l)``. One pass over depths 1..L
therefore costs L block applications instead of the L(L+1)/2 a rebuild per depth would cost. The recursion
itself is Jacot et al. (2018) / Lee et al. (2018), REFERENCE §2:

    K^{l+1} = σ_w² T(K^l) + σ_b²,        Θ^{l+1} = K^{l+1} + σ_w² Ṫ(K^l) Θ^l.

Inputs are processed in blocks of rows × columns so that kernels with full spatial covariance (CNN-P:
``n1·n2·(H·W)²`` numbers per layer) fit in memory; every block runs the whole depth pass.
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

from ntk_bench.architectures.activations import get_activation
from ntk_bench.architectures.stax_models import LayerwiseNetwork
from ntk_bench.errors import require

BYTES_PER_ENTRY = 8  # float64
# Live arrays per kernel entry during one block step: nngp, ntk, cov1/cov2 and the new layer's copies,
# plus the quadrature/arcsin temporaries; 8 is a measured-safe upper bound for erf/relu/tanh layers.
LIVE_ARRAYS_PER_ENTRY = 8


@dataclass(frozen=True)
class DepthKernels:
    """Output kernels of the network at each requested depth: arrays of shape (len(depths), n1, n2)."""

    depths: tuple[int, ...]
    ntk: np.ndarray
    nngp: np.ndarray


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


def entries_per_pair(network: LayerwiseNetwork, spatial_shape: Sequence[int]) -> int:
    """Kernel entries live per input pair inside the network.

    1 for FCN, P spatial positions for CNN-F, P² for CNN-P; times the quadrature points of an activation
    without a closed-form kernel (deg² for ``stax.ElementwiseNumerical``).
    """
    positions = math.prod(spatial_shape) if spatial_shape else 1
    quadrature = get_activation(network.spec.activation).quadrature_points
    if not network.spec.is_convolutional:
        return quadrature
    spatial = positions if network.input_kernel_options.get("diagonal_spatial") else positions * positions
    return spatial * quadrature


def auto_block_size(n1: int, n2: int, per_pair: int, max_block_bytes: float) -> int:
    """Largest square block edge b with b²·per_pair·8 B·LIVE_ARRAYS_PER_ENTRY ≤ max_block_bytes."""
    per_pair_bytes = per_pair * BYTES_PER_ENTRY * LIVE_ARRAYS_PER_ENTRY
    edge = int(math.isqrt(max(1, int(max_block_bytes // per_pair_bytes))))
    return max(1, min(max(n1, n2), edge))


class LayerwiseKernelFn:
    """Jitted block and readout kernel functions of one network, reused across input blocks."""

    def __init__(self, network: LayerwiseNetwork):
        self.network = network
        self._input = network.stem[2]
        self._block = jax.jit(network.block[2])
        self._readout = jax.jit(network.readout[2], static_argnames="get")

    def input_kernel(self, x1: np.ndarray, x2: np.ndarray | None):
        """The ``Kernel`` of the raw inputs (covariances x xᵀ/d), with the network's spatial options."""
        return self._input(x1, x2, get=None, **self.network.input_kernel_options)

    def iterate(self, x1: np.ndarray, x2: np.ndarray | None, max_depth: int) -> Iterator[tuple[int, object]]:
        """Yield ``(depth, readout_kernel)`` for depth = 0..max_depth, one block application per step.

        For ``x2=None`` the NNGP diagonal is pinned to ``cov1`` after every block (see :func:`pin_diagonal`).
        """
        step = self._block if x2 is not None else self._pinned_block
        kernel = self.input_kernel(x1, x2)
        yield 0, self._readout(kernel, get=("nngp", "ntk"))
        for depth in range(1, max_depth + 1):
            kernel = step(kernel)
            yield depth, self._readout(kernel, get=("nngp", "ntk"))

    @functools.cached_property
    def _pinned_block(self):
        return jax.jit(lambda kernel: pin_diagonal(self.network.block[2](kernel)))


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


def _padded(x: np.ndarray, size: int) -> np.ndarray:
    """Pad the batch to ``size`` rows with copies of row 0, so every block has one shape (one compile)."""
    if len(x) == size:
        return x
    return np.concatenate([x, np.repeat(x[:1], size - len(x), axis=0)], axis=0)


def kernels_across_depth(
    network: LayerwiseNetwork,
    x1: np.ndarray,
    x2: np.ndarray | None,
    depths: Sequence[int],
    *,
    max_block_bytes: float = 1e9,
    block_size: int | None = None,
) -> DepthKernels:
    """NTK and NNGP between ``x1`` and ``x2`` (``None``: ``x1`` with itself) at each depth in ``depths``.

    All depths come from one pass per input block; ``block_size`` (default: from ``max_block_bytes``)
    bounds the rows and columns of each block. Result is float64 numpy, shape (len(depths), n1, n2).
    """
    depths = validate_depths(depths)
    x1 = np.asarray(x1, dtype=np.float64)
    symmetric = x2 is None
    x2 = x1 if symmetric else np.asarray(x2, dtype=np.float64)
    n1, n2 = len(x1), len(x2)
    if block_size is None:
        per_pair = entries_per_pair(network, x1.shape[1:-1])
        block_size = auto_block_size(n1, n2, per_pair, max_block_bytes)
    fn = LayerwiseKernelFn(network)
    wanted = {d: i for i, d in enumerate(depths)}
    ntk = np.empty((len(depths), n1, n2))
    nngp = np.empty((len(depths), n1, n2))
    for r0 in range(0, n1, block_size):
        rows = slice(r0, min(n1, r0 + block_size))
        for c0 in range(0, n2, block_size):
            cols = slice(c0, min(n2, c0 + block_size))
            if symmetric and c0 < r0:
                continue  # filled from the transpose of the mirrored block
            same = (
                symmetric and r0 == c0
            )  # diagonal block: x2=None keeps neural-tangents' exact-diagonal path
            a = _padded(x1[rows], block_size) if block_size < n1 else x1[rows]
            b = None if same else (_padded(x2[cols], block_size) if block_size < n2 else x2[cols])
            h, w = rows.stop - rows.start, cols.stop - cols.start
            for depth, out in fn.iterate(a, b, depths[-1]):
                if depth in wanted:
                    i = wanted[depth]
                    ntk[i, rows, cols] = np.asarray(out.ntk)[:h, :w]
                    nngp[i, rows, cols] = np.asarray(out.nngp)[:h, :w]
            if symmetric and c0 > r0:
                ntk[:, cols, rows] = np.swapaxes(ntk[:, rows, cols], 1, 2)
                nngp[:, cols, rows] = np.swapaxes(nngp[:, rows, cols], 1, 2)
    return DepthKernels(depths, ntk, nngp)
