"""Architectures: the activation registry, the family registry, and the networks built from them.

``families/`` holds one module per family (its stax pieces, Flax twin and structure); ``spec.py`` the
validated ``model`` config; ``network.py`` a family instantiated for an input layout; ``stax_layers.py`` and
``flax_layers.py`` the affine layers both sides are built from.
"""

from ntk_bench.model.activations import ACTIVATIONS, Activation, get_activation
from ntk_bench.model.families import FAMILIES, MODELS, Family, get_family
from ntk_bench.model.network import Network
from ntk_bench.model.spec import ModelSpec, model_spec_from_config, require_input_fits

__all__ = [
    "ACTIVATIONS",
    "FAMILIES",
    "MODELS",
    "Activation",
    "Family",
    "ModelSpec",
    "Network",
    "get_activation",
    "get_family",
    "model_spec_from_config",
    "require_input_fits",
]
