"""The architecture registry: every family is defined once, here, by one :class:`Family` entry.

A family's one definition gives
- ``stax_pieces(spec, spatial_ndim, out_dim, w_std, b_std, fast)``: the net as stem → block^depth → readout
  (stax triples). σ_w, σ_b are Python floats for a fixed-σ network or traced jax scalars for the σ-traced
  heat-map pass (one compilation for a whole σ_w² grid); the analytic kernels of every depth come from
  :mod:`ntk_bench.kernels.layerwise` applying the block's ``kernel_fn`` repeatedly, the Monte-Carlo and
  finite networks from the same triples' ``init_fn``/``apply_fn``; ``fast=False`` builds it from
  neural-tangents' own layers only (the reference the fast convolution kernel is checked against);
- ``flax_module``: its Flax twin, a module class built as ``(spec, out_dim)`` (the same function of the same
  parameters), whose parameters live under ``params/<layer name>`` with blocks named ``block_1 …
  block_<depth>`` and the last layer ``readout``;
- ``keys``: the schema (:mod:`ntk_bench.schema`) of the family's own config keys (default
  :class:`FixedStructureKeys`), and ``configure(spec, keys)``: the family's structure (``layer``, ``readout``;
  α for residual networks) from those keys, validated, as a dict.

Adding a family = one module in this package defining those three pieces and ``FAMILIES``, one line in
``_MODULES`` below, one ``conf/model/<name>.yaml`` and tests (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ntk_bench.errors import ConfigError
from ntk_bench.model.spec import LAYERS, READOUTS
from ntk_bench.schema import choice, optional, real, setting

StaxLayer = tuple  # (init_fn, apply_fn, kernel_fn)


@dataclass(frozen=True)
class FixedStructureKeys:
    """The structure keys of a family that fixes its structure (FCN, CNN-F, CNN-P): accepted so that a spec's
    own fields read back as a config give the same spec; a value other than the family's is an error
    (:func:`fixed_structure`)."""

    layer: str | None = setting(optional(choice(LAYERS)), None)
    readout: str | None = setting(optional(choice(READOUTS)), None)
    alpha: float | None = setting(optional(real()), None)
    gamma: float | None = setting(optional(real()), None)


@dataclass(frozen=True)
class Family:
    """One architecture family of the registry (see the module docstring)."""

    name: str
    label: str  # short name in figures and tables (FCN, CNN-F, CNN-P, ResNet)
    configure: Callable[[Any, Mapping[str, Any]], Any]
    stax_pieces: Callable[..., tuple[StaxLayer, StaxLayer, StaxLayer]]
    flax_module: Callable[[Any, int], Any]
    # The schema of the family's own keys (model.layer, ...), parsed before ``configure`` sees them.
    keys: type = FixedStructureKeys
    # Factor multiplying σ_w and σ_b of the named top-level Flax layer (residual branches: α); 1 otherwise.
    layer_scale: Callable[[Any, str], float] = lambda spec, layer: 1.0
    # Extra live kernel arrays per entry in one block step beyond a plain block's (memory bound of the pass).
    extra_live_arrays: int = 0
    # Whether the plain network's mean-field theory (q*, χ_1, ξ_1, ξ_*; Schoenholz et al. 2017) describes it.
    plain_mean_field: bool = True


def fixed_structure(spec: Any, keys: Mapping[str, Any], layer: str, readout: str) -> Any:
    """``spec`` with the family's fixed ``layer``/``readout`` (α = 1, no γ); a config asking for another
    structure is an error."""
    for key, value in (("layer", layer), ("readout", readout), ("alpha", 1.0)):
        given = keys.get(key)
        if given is not None and given != value:
            raise ConfigError(
                f"model.{key}={given!r} does not fit model={spec.name} (its {key} is {value!r});"
                " use model=resnet for a configurable structure"
            )
    if keys.get("gamma") is not None:
        raise ConfigError(
            f"model.gamma={keys['gamma']!r} does not fit model={spec.name} (it has no residual branch);"
            " use model=resnet for a configurable structure"
        )
    return dataclasses.replace(spec, layer=layer, readout=readout)


_MODULES = ("fcn", "cnn", "resnet")


def _load() -> dict[str, Family]:
    families: dict[str, Family] = {}
    for module_name in _MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for family in module.FAMILIES:
            families[family.name] = family
    return families


FAMILIES: dict[str, Family] = _load()
MODELS = tuple(FAMILIES)


def _load_plugins() -> None:
    """Add the families of installed plugins (``ntk_bench.families`` entry points); built-in names win."""
    from ntk_bench.plugins import import_plugin_modules

    for module in import_plugin_modules("families"):
        for family in module.FAMILIES:
            FAMILIES.setdefault(family.name, family)


def get_family(name: object) -> Family:
    """The registry entry of ``name``; an unknown name is a one-line error listing the known ones."""
    if isinstance(name, str) and name not in FAMILIES:
        _load_plugins()
    if not isinstance(name, str) or name not in FAMILIES:
        raise ConfigError(f"unknown model {name!r}; allowed: {', '.join(FAMILIES)}")
    return FAMILIES[name]
