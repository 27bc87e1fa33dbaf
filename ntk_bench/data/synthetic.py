"""Synthetic Gaussian inputs with a controlled pairwise correlation, labelled by a random linear teacher.

Model (all draws from one ``numpy.random.Generator`` seeded by ``data.seed``, in this order):

* a shared vector ``g ~ N(0, I_D)`` and a teacher matrix ``W ∈ R^{C×D}``, ``W_kj ~ N(0, 1/D)``;
* ``n_total`` examples ``x_i = √c · g + √(1−c) · e_i``, ``e_i ~ N(0, I_D)`` i.i.d.,
  ``c = data.correlation ∈ [0, 1)``.
  Then ``E‖x_i‖² = D`` and ``E⟨x_i, x_j⟩ = c·D`` for ``i ≠ j``, so the pairwise input correlation (cosine)
  concentrates at ``c`` as ``D`` grows (fluctuations ``O(1/√D)``);
* labels from the affine teacher ``y_i = argmax_k (W (x_i − √c · g))_k``. Its bias ``−√c · W g`` removes the
  shared component, which would otherwise favour one class for large ``c``; the classes are then
  exchangeable, so balanced in expectation for every ``c``. Classes are ``0..C−1``, ``C = data.num_classes``.

Layout: ``(N, D)`` with ``D = data.dim``, or ``(N, *spatial_shape, channels)`` when ``data.spatial_shape`` is
set (``dim`` is then ignored). Split: the first ``n_total − n_total//4`` examples form the training pool, the
last ``n_total//4`` the test pool. ``g`` and ``W`` are drawn before the examples, so they (and example ``i``)
do not depend on ``n_total``.

Per-feature standardization subtracts the training mean, i.e. (up to noise) ``√c · g``, and so removes the
correlation; ``conf/data/synthetic.yaml`` therefore sets ``standardize: false``.
"""

from __future__ import annotations

import math

import numpy as np

from ntk_bench.data.config import SyntheticConfig
from ntk_bench.data.raw import RawData

SYNTHETIC_STREAM = 0x5EED  # keeps the generation stream apart from the subsampling stream of the same seed


def input_shape(cfg: SyntheticConfig) -> tuple[int, ...]:
    """Per-example shape: ``(*spatial_shape, channels)`` if ``spatial_shape`` is set, else ``(dim,)``."""
    if cfg.spatial_shape is not None:
        return (*cfg.spatial_shape, cfg.channels)
    assert cfg.dim is not None
    return (cfg.dim,)


def generate(
    n_total: int, dim: int, correlation: float, num_classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(x (n_total, dim), labels (n_total,))`` from the model in the module docstring."""
    rng = np.random.default_rng([seed, SYNTHETIC_STREAM])
    shared = rng.standard_normal(dim)
    teacher = rng.standard_normal((num_classes, dim)) / math.sqrt(dim)
    noise = rng.standard_normal((n_total, dim))
    x = math.sqrt(correlation) * shared + math.sqrt(1.0 - correlation) * noise
    logits = (x - math.sqrt(correlation) * shared) @ teacher.T
    return x, np.argmax(logits, axis=1).astype(np.int64)


def load_synthetic_raw(cfg: SyntheticConfig) -> RawData:
    """Generate the synthetic pools described in the module docstring."""
    shape = input_shape(cfg)
    dim = math.prod(shape)
    x, labels = generate(cfg.n_total, dim, cfg.correlation, cfg.num_classes, cfg.seed)
    x = x.reshape(cfg.n_total, *shape)
    n_test = cfg.n_total // 4
    n_train = cfg.n_total - n_test
    return RawData(
        x_train=x[:n_train],
        labels_train=labels[:n_train],
        x_test=x[n_train:],
        labels_test=labels[n_train:],
        classes=tuple(range(cfg.num_classes)),
        meta={
            "source": "synthetic: x = sqrt(c) g + sqrt(1-c) e_i, labels = argmax W (x - sqrt(c) g)",
            "sha256": {},
            "generator": {
                "shape": list(shape),
                "correlation": cfg.correlation,
                "num_classes": cfg.num_classes,
                "n_total": cfg.n_total,
                "seed": cfg.seed,
            },
        },
    )
