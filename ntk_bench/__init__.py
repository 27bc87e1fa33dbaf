"""ntk-bench: benchmark and reproducibility suite for Neural Tangent Kernel theory.

Importing the package first keeps neural-tangents' TensorFlow bridge out (``nt_bridge``: no TensorFlow is
installed or imported), then fixes the process-wide numerics once, before any JAX array exists: float64
everywhere (kernels are ill-conditioned; README). JAX flags are never changed per job (the joblib
launcher reuses processes).

Notebook API (``ntk_bench/api.py``, imported on first use so ``import ntk_bench`` stays cheap):
``ntk_bench.run(experiment, overrides=[...])`` runs one job and returns a ``Result``; ``ntk_bench.load(path)``
reads a job (``Result``) or a multirun directory (``Sweep``).
"""

from __future__ import annotations

from ntk_bench.nt_bridge import disable_tf_bridge

disable_tf_bridge()  # before anything imports neural_tangents

import logging  # noqa: E402
import os  # noqa: E402

os.environ.setdefault("JAX_ENABLE_X64", "1")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
# Hydra configures the root logger at INFO; jax would then list every missing accelerator backend.
logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)

__version__ = "0.1.0"

API = ("Result", "Sweep", "load", "run")  # ntk_bench.api, imported on first access (PEP 562)


def __getattr__(name: str) -> object:
    if name in API:
        from ntk_bench import api

        return getattr(api, name)
    raise AttributeError(f"module 'ntk_bench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
