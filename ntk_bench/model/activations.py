"""Elementwise activations: one registry shared by the architectures (stax layers) and the theory (φ, φ').

To add an activation, add one :class:`Activation` entry to ``ACTIVATIONS``: a stax layer factory for the
analytic kernels and a numpy φ and φ' for the mean-field quadrature (``ntk_bench.theory``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from neural_tangents import stax
from scipy import special

from ntk_bench.errors import require_choice

# Gauss-Hermite degree for activations without a closed-form kernel (stax.ElementwiseNumerical). Measured on
# a depth-3 tanh FCN NTK: the kernel's asymmetry |K-Kᵀ|/max|K| (a proxy for quadrature error) is 1.3e-3 at
# deg 25 (neural-tangents' suggested start), 8.9e-5 at deg 50, 1.3e-6 at deg 100; memory grows like deg².
NUMERICAL_KERNEL_DEGREE = 50


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity φ with its stax layer and numpy φ, φ'."""

    name: str
    stax_layer: Callable[[], tuple]
    fn: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    closed_form_kernel: bool

    @property
    def quadrature_points(self) -> int:
        """Quadrature nodes per kernel entry in the stax layer (1 with a closed form, deg² otherwise)."""
        return 1 if self.closed_form_kernel else NUMERICAL_KERNEL_DEGREE**2


def _relu_derivative(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x) > 0).astype(np.float64)


ACTIVATIONS: dict[str, Activation] = {
    "erf": Activation(
        "erf", stax.Erf, special.erf, lambda x: 2.0 / np.sqrt(np.pi) * np.exp(-np.square(x)), True
    ),
    "relu": Activation("relu", stax.Relu, lambda x: np.maximum(x, 0.0), _relu_derivative, True),
    "tanh": Activation(
        "tanh",
        lambda: stax.ElementwiseNumerical(jnp.tanh, deg=NUMERICAL_KERNEL_DEGREE),
        np.tanh,
        lambda x: 1.0 / np.square(np.cosh(x)),
        False,
    ),
    "gelu": Activation(
        "gelu",
        stax.Gelu,
        lambda x: 0.5 * x * (1.0 + special.erf(x / np.sqrt(2.0))),
        lambda x: 0.5 * (1.0 + special.erf(x / np.sqrt(2.0)))
        + x * np.exp(-0.5 * np.square(x)) / np.sqrt(2 * np.pi),
        True,
    ),
    "sin": Activation("sin", stax.Sin, np.sin, np.cos, True),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name; unknown names raise a one-line :class:`ConfigError`."""
    require_choice("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name]
