"""The validated hyper-parameters of one architecture (the ``model`` config group).

Every family of the registry (:mod:`ntk_bench.model.families`) is described by one
:class:`ModelSpec`: the shared keys (depth, width, activation, σ_w², σ_b², parameterization, filter size,
padding) plus the two structural choices that make the families differ,

- ``layer``: what a block's affine map is — ``dense`` (fully connected) or ``conv`` (a convolution over the
  input's spatial axes);
- ``readout``: what maps the last block to the outputs — ``dense`` (flat features), ``flatten`` (CNN-F:
  Flatten → Dense) or ``pool`` (CNN-P: GlobalAvgPool → Dense), Xiao et al. (2020) §5;

and, for residual families, the branch scale α (blocks ``x ↦ x + α·g(x)``; α = L^{-γ} with L = model.depth,
Huang et al. 2020). The fixed families pin ``layer``/``readout``; the residual family reads them from config.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ntk_bench.errors import ConfigError, require, require_choice
from ntk_bench.model.activations import get_activation

PARAMETERIZATIONS = ("ntk", "standard")
PADDINGS = ("CIRCULAR", "SAME", "VALID")
LAYERS = ("dense", "conv")


@dataclass(frozen=True)
class ModelSpec:
    """Validated architecture hyper-parameters (``conf/model/*.yaml``), from :func:`model_spec_from_config`.

    ``alpha`` is the residual branch scale (1 and unused for non-residual families); ``gamma`` the exponent
    it was derived from (α = depth^{-γ}), or None when α was given directly.
    """

    name: str
    depth: int
    width: int
    activation: str
    sigma_w2: float
    sigma_b2: float
    parameterization: str = "ntk"
    filter_size: int = 3
    padding: str = "CIRCULAR"
    layer: str = "dense"
    readout: str = "dense"
    alpha: float = 1.0
    gamma: float | None = None

    @property
    def is_convolutional(self) -> bool:
        """Whether the network convolves over spatial axes (and so needs inputs that have them)."""
        return self.layer == "conv"

    @property
    def family(self):
        """This spec's entry of the architecture registry."""
        from ntk_bench.model.families import get_family

        return get_family(self.name)


def as_finite_float(key: str, value: Any) -> float:
    """``value`` as a float, or a one-line error naming ``key`` when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key}={value!r} must be a finite number")
    return float(value)


def _positive_int(key: str, value: Any) -> int:
    require(
        isinstance(value, int) and not isinstance(value, bool) and value >= 1,
        f"{key}={value!r} must be an integer >= 1",
    )
    return int(value)


def model_spec_from_config(cfg: Mapping[str, Any]) -> ModelSpec:
    """Validate ``cfg`` (the ``model`` config group) into a :class:`ModelSpec`; one-line errors.

    The family (``model.name``) is looked up in the registry, which lists the known names when it is
    unknown, and adds its own keys (``layer``, ``readout``, ``alpha``/``gamma``) through its ``configure``.
    """
    from ntk_bench.model.families import get_family

    family = get_family(cfg.get("name"))
    get_activation(str(cfg.get("activation")))
    sigma_w2 = as_finite_float("model.sigma_w2", cfg.get("sigma_w2"))
    sigma_b2 = as_finite_float("model.sigma_b2", cfg.get("sigma_b2"))
    require(sigma_w2 > 0, f"model.sigma_w2={sigma_w2!r} must be > 0")
    require(sigma_b2 >= 0, f"model.sigma_b2={sigma_b2!r} must be >= 0")
    parameterization = cfg.get("parameterization", "ntk")
    require_choice("model.parameterization", parameterization, PARAMETERIZATIONS)
    padding = str(cfg.get("padding", "CIRCULAR")).upper()
    require_choice("model.padding", padding, PADDINGS)
    spec = ModelSpec(
        name=family.name,
        depth=_positive_int("model.depth", cfg.get("depth")),
        width=_positive_int("model.width", cfg.get("width", 512)),
        activation=str(cfg.get("activation")),
        sigma_w2=sigma_w2,
        sigma_b2=sigma_b2,
        parameterization=parameterization,
        filter_size=_positive_int("model.filter_size", cfg.get("filter_size", 3)),
        padding=padding,
    )
    return family.configure(spec, cfg)


def require_input_fits(spec: ModelSpec, spatial_shape: tuple[int, ...], data_name: str, where: str) -> None:
    """A CNN needs image or signal inputs at least as long as its filter along every spatial axis; ``where``
    names the config entry in the one-line error (e.g. ``experiment.models entry cnn_pool``)."""
    if not spec.is_convolutional:
        return
    require(
        len(spatial_shape) > 0,
        f"{where} is a CNN and needs image or signal inputs, but data={data_name} is flat; use digits,"
        " mnist1d, mnist, fashion_mnist, cifar10 or synthetic with spatial_shape",
    )
    size = min(spatial_shape)
    require(
        spec.filter_size <= size,
        f"model.filter_size={spec.filter_size} is larger than the input's spatial size {size} (shape"
        f" {list(spatial_shape)}); allowed: filter_size <= {size}",
    )
