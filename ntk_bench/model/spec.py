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

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ntk_bench.errors import require
from ntk_bench.model.activations import ACTIVATIONS
from ntk_bench.schema import choice, integer, parse_section, real, schema_keys, setting

PARAMETERIZATIONS = ("ntk", "standard")
PADDINGS = ("CIRCULAR", "SAME", "VALID")
LAYERS = ("dense", "conv")  # a block's affine map (the families' structure: their ``layer``)
READOUTS = ("dense", "flatten", "pool")  # what maps the last block to the outputs (their ``readout``)


def model_names() -> tuple[str, ...]:
    """The families of the registry (built-in, then plugins')."""
    from ntk_bench.model.families import FAMILIES

    return tuple(FAMILIES)


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """Validated architecture hyper-parameters (``conf/model/*.yaml``), from :func:`model_spec_from_config`.

    The fields declared with ``setting`` are the schema of the keys every family shares; ``layer``,
    ``readout``, ``alpha`` and ``gamma`` are the family's structure, read from its own keys by its
    ``configure`` (:mod:`ntk_bench.model.families`). ``alpha`` is the residual branch scale (1 and unused for
    non-residual families); ``gamma`` the exponent it was derived from (α = depth^{-γ}), or None when α was
    given directly.
    """

    name: str = setting(choice(model_names))
    depth: int = setting(integer(1))
    width: int = setting(integer(1), 512)
    activation: str = setting(choice(ACTIVATIONS))
    sigma_w2: float = setting(real(0, open_minimum=True))
    sigma_b2: float = setting(real(0))
    parameterization: str = setting(choice(PARAMETERIZATIONS), "ntk")
    filter_size: int = setting(integer(1), 3)
    padding: str = setting(choice(PADDINGS), "CIRCULAR")
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


def model_spec_from_config(cfg: Mapping[str, Any]) -> ModelSpec:
    """Validate ``cfg`` (the ``model`` config group) into a :class:`ModelSpec`; one-line errors.

    The family (``model.name``) is looked up in the registry, which lists the known names when it is
    unknown; the shared keys are :class:`ModelSpec`'s schema, the family's own keys (``layer``, ``readout``,
    ``alpha``/``gamma``) its ``keys`` schema, handed validated to its ``configure``.
    """
    from ntk_bench.model.families import get_family

    require(isinstance(cfg, Mapping), f"model={cfg!r} must be a mapping")
    family = get_family(cfg.get("name"))
    own = schema_keys(family.keys)
    spec = parse_section(ModelSpec, cfg, "model", extra_keys=own)
    keys = parse_section(family.keys, {k: v for k, v in cfg.items() if k in own}, "model")
    return family.configure(spec, dataclasses.asdict(keys))


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
