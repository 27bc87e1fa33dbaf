"""neural-tangents without TensorFlow: keep its ``experimental`` TF bridge from importing.

``neural_tangents/__init__.py`` runs ``from . import experimental``, and that package
(``empirical_ntk_fn_tf``, the JAX→TF bridge) imports ``jax.experimental.jax2tf`` and with it TensorFlow:
7.8 s of a ~10 s import, 1.9 GB of the environment, and CUDA/absl lines on stderr (README). Nothing
else in neural-tangents needs TF, and ntk-bench never uses the bridge. So :func:`disable_tf_bridge` puts a
placeholder module under that name in ``sys.modules`` before neural-tangents is imported; the import then
finds it and skips the real one. ``ntk_bench/__init__.py`` calls it first thing, so every ``ntk_bench.*``
import is covered, and the lock installs neural-tangents with ``--no-deps`` (no tensorflow, tf2jax, keras).

Consequence for users: ``import ntk_bench`` before ``neural_tangents`` in a TF-free environment (importing
neural-tangents first fails with ``No module named 'tensorflow'``). Tested in ``tests/test_stack.py``.
"""

from __future__ import annotations

import sys
import types

BRIDGE = "neural_tangents.experimental"


class DisabledBridge(types.ModuleType):
    """Stands in for ``neural_tangents.experimental``: any public attribute says why it is absent."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"{BRIDGE}.{name} is disabled by ntk_bench (its TensorFlow bridge; TensorFlow is not installed)"
        )


def disable_tf_bridge() -> bool:
    """Install the placeholder unless neural-tangents is already imported.

    Returns True when the bridge is kept out (False: neural-tangents was imported first, bridge and all)."""
    if "neural_tangents" not in sys.modules:
        sys.modules.setdefault(BRIDGE, DisabledBridge(BRIDGE, __doc__))
    return isinstance(sys.modules.get(BRIDGE), DisabledBridge)
