"""Closed-form dual kernels and mean-field maps for erf and ReLU: test oracles for the quadrature.

``T(K)_ab = E[φ(u_a) φ(u_b)]`` and ``Ṫ(K)_ab = E[φ'(u_a) φ'(u_b)]`` with
``u ~ N(0, [[k_aa, k_ab], [k_ab, k_bb]])``. erf: Williams (1997); ReLU: the arc-cosine
kernel of Cho & Saul (2009). The maps follow Schoenholz et al. (2017): ``q ↦ σ_w² T(q, q, q) + σ_b²``,
``c ↦ (σ_w² T(q*, q*, q* c) + σ_b²)/q*``, ``χ(c) = σ_w² Ṫ(q*, q*, q* c)``. All functions take and return
float64 numpy values (broadcasting).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

# χ_1 = σ_w² E[φ'(√q* z)²] = 1 at σ_b² = 0: q* = 0 there (erf is odd and the map contracts at 0 while
# σ_w² φ'(0)² < 1), so χ_1 = σ_w² φ'(0)² = σ_w² · 4/π  ⇒  σ_w² = π/4.
ERF_CRITICAL_SIGMA_W2_AT_ZERO_BIAS = math.pi / 4.0
# ReLU: χ_1 = σ_w² P(z > 0) = σ_w²/2 for every q, so χ_1 = 1 ⇔ σ_w² = 2 (He initialisation).
RELU_CRITICAL_SIGMA_W2 = 2.0


def erf_t(k_aa: ArrayLike, k_bb: ArrayLike, k_ab: ArrayLike) -> np.ndarray:
    """erf: ``T = (2/π) arcsin(2 k_ab / √((1 + 2 k_aa)(1 + 2 k_bb)))``."""
    k_aa, k_bb, k_ab = (np.asarray(k, dtype=np.float64) for k in (k_aa, k_bb, k_ab))
    return 2.0 / np.pi * np.arcsin(2.0 * k_ab / np.sqrt((1.0 + 2.0 * k_aa) * (1.0 + 2.0 * k_bb)))


def erf_t_dot(k_aa: ArrayLike, k_bb: ArrayLike, k_ab: ArrayLike) -> np.ndarray:
    """erf: ``Ṫ = (4/π) / √((1 + 2 k_aa)(1 + 2 k_bb) − 4 k_ab²)``."""
    k_aa, k_bb, k_ab = (np.asarray(k, dtype=np.float64) for k in (k_aa, k_bb, k_ab))
    return 4.0 / np.pi / np.sqrt((1.0 + 2.0 * k_aa) * (1.0 + 2.0 * k_bb) - 4.0 * k_ab**2)


def _relu_angle(k_aa: np.ndarray, k_bb: np.ndarray, k_ab: np.ndarray) -> np.ndarray:
    return np.arccos(np.clip(k_ab / np.sqrt(k_aa * k_bb), -1.0, 1.0))


def relu_t(k_aa: ArrayLike, k_bb: ArrayLike, k_ab: ArrayLike) -> np.ndarray:
    """ReLU (arc-cosine): ``T = √(k_aa k_bb) (sin θ + (π − θ) cos θ) / (2π)``, cos θ = k_ab/√(k_aa k_bb).

    Requires k_aa, k_bb > 0.
    """
    k_aa, k_bb, k_ab = (np.asarray(k, dtype=np.float64) for k in (k_aa, k_bb, k_ab))
    theta = _relu_angle(k_aa, k_bb, k_ab)
    return np.sqrt(k_aa * k_bb) * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2.0 * np.pi)


def relu_t_dot(k_aa: ArrayLike, k_bb: ArrayLike, k_ab: ArrayLike) -> np.ndarray:
    """ReLU (arc-cosine): ``Ṫ = (π − θ) / (2π)`` (k_aa, k_bb > 0)."""
    k_aa, k_bb, k_ab = (np.asarray(k, dtype=np.float64) for k in (k_aa, k_bb, k_ab))
    return (np.pi - _relu_angle(k_aa, k_bb, k_ab)) / (2.0 * np.pi)


def erf_q_map(q: ArrayLike, sigma_w2: float, sigma_b2: float) -> np.ndarray:
    """erf variance map ``q ↦ σ_w² (2/π) arcsin(2q/(1 + 2q)) + σ_b²``."""
    return sigma_w2 * erf_t(q, q, q) + sigma_b2


def erf_chi_1(q: ArrayLike, sigma_w2: float) -> np.ndarray:
    """erf ``χ_1 = σ_w² Ṫ(q, q, q) = σ_w² (4/π) / √(1 + 4q)``."""
    return sigma_w2 * erf_t_dot(q, q, q)


def erf_c_map(c: ArrayLike, q: float, sigma_w2: float, sigma_b2: float) -> np.ndarray:
    """erf correlation map at variance q: ``c ↦ (σ_w² T(q, q, q c) + σ_b²) / q``."""
    return (sigma_w2 * erf_t(q, q, q * np.asarray(c, dtype=np.float64)) + sigma_b2) / q


def erf_chi_c(c: ArrayLike, q: float, sigma_w2: float) -> np.ndarray:
    """erf ``χ_c = σ_w² Ṫ(q, q, q c)``."""
    return sigma_w2 * erf_t_dot(q, q, q * np.asarray(c, dtype=np.float64))


def relu_q_map(q: ArrayLike, sigma_w2: float, sigma_b2: float) -> np.ndarray:
    """ReLU variance map ``q ↦ σ_w² q/2 + σ_b²``."""
    return sigma_w2 * np.asarray(q, dtype=np.float64) / 2.0 + sigma_b2


def relu_q_star(sigma_w2: float, sigma_b2: float, q_init: float = 1.0) -> float:
    """Limit of the ReLU variance map iterated from ``q_init``.

    ``σ_b²/(1 − σ_w²/2)`` for σ_w² < 2; at σ_w² = 2 every q is fixed if σ_b² = 0 (→ q_init), else q grows
    by σ_b² per layer (→ inf); for σ_w² > 2 q grows geometrically (→ inf).
    """
    if sigma_w2 < 2.0:
        return sigma_b2 / (1.0 - sigma_w2 / 2.0)
    if sigma_w2 == 2.0 and sigma_b2 == 0.0:
        return float(q_init)
    return math.inf


def relu_chi_1(sigma_w2: float) -> float:
    """ReLU ``χ_1 = σ_w² P(z > 0) = σ_w²/2`` (independent of q)."""
    return sigma_w2 / 2.0


def relu_c_map(c: ArrayLike, q: float, sigma_w2: float, sigma_b2: float) -> np.ndarray:
    """ReLU correlation map at variance q: ``c ↦ (σ_w² T(q, q, q c) + σ_b²) / q``."""
    return (sigma_w2 * relu_t(q, q, q * np.asarray(c, dtype=np.float64)) + sigma_b2) / q


def relu_chi_c(c: ArrayLike, sigma_w2: float) -> np.ndarray:
    """ReLU ``χ_c = σ_w² (π − arccos c) / (2π)``."""
    return sigma_w2 * relu_t_dot(1.0, 1.0, c)
