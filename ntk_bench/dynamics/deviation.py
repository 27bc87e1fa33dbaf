"""How far a finite network is from its kernel-regime description: the deviation metrics.

All are jax-traceable (they run inside the vmapped training scans) and use Frobenius norms over every entry:

- output deviation ``‖f_t − f_t^lin‖`` on a set of inputs (all samples × outputs), and relative to
  ``‖f_t^lin‖``;
- relative kernel change ``‖Θ̂_t − Θ̂_0‖_F / ‖Θ̂_0‖_F`` and relative kernel error ``‖Θ̂ − Θ‖_F / ‖Θ‖_F``;
- relative parameter change ``‖θ_t − θ_0‖ / ‖θ_0‖``, per layer and in total.

Layers are the top-level entries of the ``params`` collection (``block_1 … block_L, readout`` for the Flax
twins of :mod:`ntk_bench.model.flax_models`; a user module's own top-level submodules). Expected
width dependences (Lee et al. 2019): first and readout layers ~n^{-1/2}, hidden n×n layers
~n^{-1}.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ntk_bench.errors import require

PARAMS = "params"
TOTAL = "total"


def layer_names(variables: Any) -> list[str]:
    """Top-level layer names of a Flax variables dict (which must hold only the ``params`` collection)."""
    require(
        hasattr(variables, "keys") and set(variables.keys()) == {PARAMS},
        f"Flax variables must hold only the 'params' collection, got {sorted(variables.keys())}; models with"
        " mutable state (batch norm statistics) are not supported by the dynamics experiments",
    )
    return list(variables[PARAMS].keys())


def _sq_norm(tree: Any) -> jax.Array:
    return sum((jnp.sum(jnp.square(leaf)) for leaf in jax.tree_util.tree_leaves(tree)), jnp.zeros(()))


def parameter_change(variables: Any, variables0: Any, layers: list[str]) -> dict[str, jax.Array]:
    """``‖θ_l − θ_{0,l}‖ / ‖θ_{0,l}‖`` for each layer l and for all parameters (``"total"``)."""
    out = {}
    num_total, den_total = jnp.zeros(()), jnp.zeros(())
    for name in layers:
        diff = jax.tree_util.tree_map(jnp.subtract, variables[PARAMS][name], variables0[PARAMS][name])
        num, den = _sq_norm(diff), _sq_norm(variables0[PARAMS][name])
        out[name] = jnp.sqrt(num / den)
        num_total, den_total = num_total + num, den_total + den
    out[TOTAL] = jnp.sqrt(num_total / den_total)
    return out


def output_deviation(f: jax.Array, f_lin: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(‖f − f_lin‖_F, ‖f − f_lin‖_F / ‖f_lin‖_F) over all samples and outputs."""
    absolute = jnp.sqrt(jnp.sum(jnp.square(f - f_lin)))
    return absolute, absolute / jnp.sqrt(jnp.sum(jnp.square(f_lin)))


def relative_frobenius(a: Any, reference: Any) -> Any:
    """‖a − reference‖_F / ‖reference‖_F (numpy or jax arrays)."""
    xp = jnp if isinstance(a, jax.Array) else np
    return xp.sqrt(xp.sum(xp.square(a - reference)) / xp.sum(xp.square(reference)))


def mse_loss(prediction: jax.Array, targets: jax.Array) -> jax.Array:
    """½·mean((f − Y)²) over all entries: the loss every training loop here minimises."""
    return 0.5 * jnp.mean(jnp.square(prediction - targets))
