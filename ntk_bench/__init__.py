"""ntk-bench: benchmark and reproducibility suite for Neural Tangent Kernel theory.

Importing the package fixes the process-wide numerics once, before any JAX array exists:
float64 everywhere (kernels are ill-conditioned; see REFERENCE §1) and quiet TensorFlow, which
neural-tangents imports. JAX flags are never changed per job (the joblib launcher reuses processes).
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("JAX_ENABLE_X64", "1")

import jax

jax.config.update("jax_enable_x64", True)
# Hydra configures the root logger at INFO; jax would then list every missing accelerator backend.
logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)

__version__ = "0.1.0"
