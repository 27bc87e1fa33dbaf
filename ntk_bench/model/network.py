"""A family of the registry, instantiated for one input layout: the stax network split for layerwise kernels.

The network of depth l is ``readout ∘ block^l ∘ stem`` (Xiao, Pennington & Schoenholz 2020, §2). Keeping the
three pieces separate lets the analytic kernel of every depth 1..L come from one pass
(:mod:`ntk_bench.kernels.layerwise`): depth l+1 is ``block(kernel_l)``. σ_w and σ_b are arguments of
:meth:`Network.pieces`, defaulting to the spec's: pass traced jax scalars to compile one kernel pass or one
training step for a whole σ_w² grid (the parameters of the NTK parameterization are N(0, 1) draws that do
not depend on σ, so one ``init_fn`` call per seed also serves every σ_w²).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from neural_tangents import stax

from ntk_bench.errors import require
from ntk_bench.model.spec import ModelSpec

StaxLayer = tuple  # (init_fn, apply_fn, kernel_fn)
SPATIAL_DATASETS = "digits, mnist1d, mnist, fashion_mnist, cifar10, or synthetic with spatial_shape"


@dataclass(frozen=True)
class Network:
    """A registry family on inputs with ``spatial_ndim`` spatial axes (0 = flat) and ``out_dim`` outputs."""

    spec: ModelSpec
    spatial_ndim: int
    out_dim: int = 1
    # False: neural-tangents' own layers only (no fast circular-conv kernel): the tests' reference
    fast_kernels: bool = True

    def __post_init__(self) -> None:
        if self.spec.is_convolutional:
            require(
                self.spatial_ndim in (1, 2),
                f"model={self.spec.name} needs image or signal inputs with 1 or 2 spatial axes (got"
                f" {self.spatial_ndim}); use a dataset with spatial structure ({SPATIAL_DATASETS})",
            )
        else:
            require(
                self.spatial_ndim == 0,
                f"model={self.spec.name} takes flattened inputs (got {self.spatial_ndim} spatial axes); the"
                " experiment flattens the data for fully-connected models",
            )

    @property
    def input_kernel_options(self) -> Mapping[str, Any]:
        """The ``diagonal_spatial`` setting the full network would pick for its input kernel.

        A flatten readout only needs the spatial diagonal of the covariance (CNN-F); pooling mixes positions
        and needs the full spatial covariance (CNN-P); flat inputs have no spatial axes.
        """
        if not self.spec.is_convolutional:
            return {}
        return {"diagonal_spatial": self.spec.readout == "flatten"}

    def pieces(self, w_std: Any = None, b_std: Any = None) -> tuple[StaxLayer, StaxLayer, StaxLayer]:
        """(stem, block, readout) with σ_w, σ_b (std devs, floats or traced; default: the spec's)."""
        w_std = math.sqrt(self.spec.sigma_w2) if w_std is None else w_std
        b_std = math.sqrt(self.spec.sigma_b2) if b_std is None else b_std
        family = self.spec.family
        return family.stax_pieces(self.spec, self.spatial_ndim, self.out_dim, w_std, b_std, self.fast_kernels)

    def at_depth(self, depth: int, w_std: Any = None, b_std: Any = None) -> StaxLayer:
        """The whole network of the given depth as one stax triple."""
        stem, block, readout = self.pieces(w_std, b_std)
        return stax.serial(stem, *([block] * depth), readout)

    def with_spec(self, **changes: Any) -> Network:
        return dataclasses.replace(self, spec=dataclasses.replace(self.spec, **changes))
