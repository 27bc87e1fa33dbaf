"""Pure preprocessing steps, applied by :func:`ntk_bench.data.load_dataset` in this order:

1. :func:`select_classes` — keep the listed classes and relabel them ``0..C-1`` (in the order listed);
2. :func:`subsample_indices` — draw ``n`` of the available examples without replacement from a
   ``numpy.random.Generator`` seeded by ``data.seed`` (train first, then test, from the same generator);
3. :func:`standardize` — per-feature z-score with TRAIN statistics only:
   ``x_f ← (x_f − μ_f) / σ_f`` with ``μ_f, σ_f`` the mean and (population) standard deviation of feature ``f``
   over the training examples; a feature with ``σ_f = 0`` on the training set is set to 0 everywhere;
4. :func:`normalize` — each example rescaled to squared norm ``D`` (the number of features):
   ``x ← x · √D / ‖x‖`` (an all-zero example is left at zero);
5. :func:`make_targets` — one-hot rows ``e_y``, centred to ``e_y − 1/C`` on request (rows then sum to 0).

Every function takes and returns plain arrays and never modifies its inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ntk_bench.errors import ConfigError


def select_classes(
    x: np.ndarray, labels: np.ndarray, classes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the examples whose label is in ``classes``; relabel ``classes[k] → k``."""
    lookup = {int(c): k for k, c in enumerate(classes)}
    keep = np.isin(labels, np.asarray(list(lookup), dtype=np.int64))
    new_labels = np.asarray([lookup[int(c)] for c in labels[keep]], dtype=np.int64)
    return x[keep], new_labels


def check_count(key: str, requested: int | None, available: int, where: str, minimum: int) -> int:
    """Resolve a requested sample count (``None`` = all) against ``available``; raise a one-line error."""
    if requested is None:
        if available < minimum:
            raise ConfigError(
                f"data.{key}: only {available} examples available in {where} (need at least {minimum})"
            )
        return available
    if requested > available:
        raise ConfigError(
            f"data.{key}={requested} exceeds the {available} examples available in {where} "
            f"(allowed: {minimum}..{available})"
        )
    return requested


def subsample_indices(available: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct indices into ``range(available)``, drawn by ``rng``, returned in increasing order.

    ``n == available`` returns ``arange(available)`` (the whole pool, in pool order) without using ``rng``.
    """
    if n == available:
        return np.arange(available, dtype=np.int64)
    return np.sort(rng.choice(available, size=n, replace=False)).astype(np.int64)


def stratified_indices(
    labels: np.ndarray, n: int, num_classes: int, rng: np.random.Generator, key: str, where: str
) -> np.ndarray:
    """``n`` distinct indices with every class equally represented, in increasing order.

    Each of the C classes gets ⌊n/C⌋ examples and a random n mod C of them one more (so the class counts
    differ by at most one and, for n a multiple of C, the one-hot targets' training mean is exactly 1/C:
    1ᵀY = 0 after ``center_labels``). Within a class the draw is uniform without replacement.
    """
    counts = np.full(num_classes, n // num_classes, dtype=np.int64)
    counts[rng.permutation(num_classes)[: n % num_classes]] += 1
    chosen = []
    for c in range(num_classes):
        pool = np.flatnonzero(labels == c)
        if counts[c] > len(pool):
            smallest = int(np.bincount(labels, minlength=num_classes).min())
            raise ConfigError(
                f"data.{key}={n} with stratify=true needs {counts[c]} examples of class {c} but {where} holds"
                f" {len(pool)} (allowed: {key} <= {num_classes}·{smallest} = {num_classes * smallest})"
            )
        chosen.append(rng.choice(pool, size=int(counts[c]), replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def standardize(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature z-score with training statistics: ``(x − μ_train) / σ_train``; ``σ_train = 0`` → 0."""
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    constant = std == 0.0
    safe_std = np.where(constant, 1.0, std)

    def apply(x: np.ndarray) -> np.ndarray:
        z = (x - mean) / safe_std
        return np.where(constant, 0.0, z)

    return apply(x_train), apply(x_test)


def normalize(x: np.ndarray) -> np.ndarray:
    """Rescale each example to ``‖x‖² = D``: ``x ← x · √D / ‖x‖`` (zero examples stay zero)."""
    dim = math.prod(x.shape[1:])
    flat = x.reshape(x.shape[0], dim)
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    scale = np.where(norms > 0.0, np.sqrt(dim) / np.where(norms > 0.0, norms, 1.0), 0.0)
    return (flat * scale).reshape(x.shape)


def make_targets(labels: np.ndarray, num_classes: int, one_hot: bool, center: bool) -> np.ndarray:
    """Regression targets.

    ``one_hot``: ``Y[i] = e_{labels[i]} − (1/C if center else 0)``, shape ``(N, C)``. Otherwise the label
    itself as a float column ``(N, 1)`` (``center`` does not apply).
    """
    if not one_hot:
        return labels.astype(np.float64).reshape(-1, 1)
    y = np.zeros((labels.shape[0], num_classes), dtype=np.float64)
    y[np.arange(labels.shape[0]), labels] = 1.0
    if center:
        y -= 1.0 / num_classes
    return y
