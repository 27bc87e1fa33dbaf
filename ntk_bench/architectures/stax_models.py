"""FCN, CNN-F and CNN-P built with ``neural_tangents.stax`` as stem → block^depth → readout.

Xiao, Pennington & Schoenholz (2020), "Disentangling Trainability and Generalization in Deep Neural
Networks", §2: the network of depth l is ``readout ∘ block^l``, each block an affine layer
``z ↦ (σ_w/√n) W φ(z) + σ_b b`` followed by the nonlinearity φ. Keeping the three pieces separate lets the
analytic kernel of every depth 1..L come from one pass (``ntk_bench.kernels.layerwise``).

- ``fcn``: block = Dense → φ; readout = Dense.
- ``cnn_flatten`` (CNN-F): block = Conv → φ; readout = Flatten → Dense.
- ``cnn_pool`` (CNN-P): block = Conv → φ; readout = GlobalAvgPool → Dense.

CNNs use circular padding by default: the translation-invariant setting of the theory (REFERENCE §4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from neural_tangents import stax

from ntk_bench.architectures.activations import get_activation
from ntk_bench.errors import ConfigError, require, require_choice

MODELS = ("fcn", "cnn_flatten", "cnn_pool")
PARAMETERIZATIONS = ("ntk", "standard")
PADDINGS = ("CIRCULAR", "SAME", "VALID")

StaxLayer = tuple  # (init_fn, apply_fn, kernel_fn)


@dataclass(frozen=True)
class ModelSpec:
    """Validated architecture hyper-parameters (``conf/model/*.yaml``)."""

    name: str
    depth: int
    width: int
    activation: str
    sigma_w2: float
    sigma_b2: float
    parameterization: str = "ntk"
    filter_size: int = 3
    padding: str = "CIRCULAR"

    @property
    def is_convolutional(self) -> bool:
        return self.name != "fcn"


@dataclass(frozen=True)
class LayerwiseNetwork:
    """A network split as stem → block^depth → readout (stax triples), plus the kernel input options.

    ``input_kernel_options`` are the ``diagonal_spatial`` setting the full network would pick: CNN-F only
    needs the spatial diagonal of the covariance (flatten + dense readout), CNN-P needs the full spatial
    covariance (global average pooling mixes positions).
    """

    spec: ModelSpec
    stem: StaxLayer
    block: StaxLayer
    readout: StaxLayer
    input_kernel_options: Mapping[str, Any]

    def at_depth(self, depth: int) -> StaxLayer:
        """The whole network of the given depth as one stax triple."""
        return stax.serial(self.stem, *([self.block] * depth), self.readout)


def model_spec_from_config(cfg: Mapping[str, Any]) -> ModelSpec:
    """Validate ``cfg`` (the ``model`` config group) into a :class:`ModelSpec`; one-line errors."""
    name = cfg.get("name")
    require_choice("model", name, MODELS)
    get_activation(str(cfg.get("activation")))
    depth = cfg.get("depth")
    require(isinstance(depth, int) and depth >= 1, f"model.depth={depth!r} must be an integer >= 1")
    width = cfg.get("width", 512)
    require(isinstance(width, int) and width >= 1, f"model.width={width!r} must be an integer >= 1")
    sigma_w2, sigma_b2 = (
        _as_float("model.sigma_w2", cfg.get("sigma_w2")),
        _as_float("model.sigma_b2", cfg.get("sigma_b2")),
    )
    require(sigma_w2 > 0, f"model.sigma_w2={sigma_w2!r} must be > 0")
    require(sigma_b2 >= 0, f"model.sigma_b2={sigma_b2!r} must be >= 0")
    parameterization = cfg.get("parameterization", "ntk")
    require_choice("model.parameterization", parameterization, PARAMETERIZATIONS)
    padding = str(cfg.get("padding", "CIRCULAR")).upper()
    require_choice("model.padding", padding, PADDINGS)
    filter_size = cfg.get("filter_size", 3)
    require(
        isinstance(filter_size, int) and filter_size >= 1,
        f"model.filter_size={filter_size!r} must be an integer >= 1",
    )
    return ModelSpec(
        name=name,
        depth=depth,
        width=width,
        activation=str(cfg.get("activation")),
        sigma_w2=sigma_w2,
        sigma_b2=sigma_b2,
        parameterization=parameterization,
        filter_size=filter_size,
        padding=padding,
    )


def _as_float(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key}={value!r} must be a finite number")
    return float(value)


def build_network(spec: ModelSpec, spatial_ndim: int, out_dim: int = 1) -> LayerwiseNetwork:
    """Build the stax pieces of ``spec`` for inputs with ``spatial_ndim`` spatial axes (0 = flat vectors).

    Args:
        spec: validated architecture.
        spatial_ndim: 0 for (N, D) inputs, 1 for (N, L, C) signals, 2 for (N, H, W, C) images.
        out_dim: readout width (number of classes for finite networks; irrelevant to analytic kernels).
    """
    w_std, b_std = math.sqrt(spec.sigma_w2), math.sqrt(spec.sigma_b2)
    phi = get_activation(spec.activation).stax_layer()
    dense = {"W_std": w_std, "b_std": b_std, "parameterization": spec.parameterization}
    if spec.name == "fcn":
        require(
            spatial_ndim == 0,
            f"model=fcn takes flattened inputs (got {spatial_ndim} spatial axes); the experiment flattens"
            " the data for fcn",
        )
        block = stax.serial(stax.Dense(spec.width, **dense), phi)
        readout = stax.Dense(out_dim, **dense)
        options: dict[str, Any] = {}
    else:
        require(
            spatial_ndim in (1, 2),
            f"model={spec.name} needs image or signal inputs with 1 or 2 spatial axes (got {spatial_ndim});"
            " use a dataset with spatial structure (digits, mnist1d, mnist, fashion_mnist, cifar10, or"
            " synthetic with spatial_shape)",
        )
        filter_shape = (spec.filter_size,) * spatial_ndim
        conv = stax.Conv(spec.width, filter_shape, padding=spec.padding, **dense)
        block = stax.serial(conv, phi)
        if spec.name == "cnn_flatten":
            readout = stax.serial(stax.Flatten(), stax.Dense(out_dim, **dense))
            options = {"diagonal_spatial": True}
        else:
            readout = stax.serial(stax.GlobalAvgPool(), stax.Dense(out_dim, **dense))
            options = {"diagonal_spatial": False}
    return LayerwiseNetwork(spec, stax.Identity(), block, readout, options)
