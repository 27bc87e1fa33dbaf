"""ntk-bench: benchmark and reproducibility suite for Neural Tangent Kernel theory.

Importing the package first keeps neural-tangents' TensorFlow bridge out (``nt_bridge``: no TensorFlow is
installed or imported), then fixes the process-wide numerics once, before any JAX array exists: float64
everywhere (kernels are ill-conditioned; see REFERENCE §1). JAX flags are never changed per job (the joblib
launcher reuses processes).
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
