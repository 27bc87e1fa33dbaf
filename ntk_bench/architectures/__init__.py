"""Architectures: activation registry and stax networks split for layerwise kernels."""

from ntk_bench.architectures.activations import ACTIVATIONS, Activation, get_activation
from ntk_bench.architectures.stax_models import (
    MODELS,
    LayerwiseNetwork,
    ModelSpec,
    build_network,
    model_spec_from_config,
)

__all__ = [
    "ACTIVATIONS",
    "MODELS",
    "Activation",
    "LayerwiseNetwork",
    "ModelSpec",
    "build_network",
    "get_activation",
    "model_spec_from_config",
]
