"""Gaussian expectations for the mean-field maps, float64 numpy, for any elementwise function.

Two families of rules:

* ``gaussian_expectation_1d`` / ``gaussian_expectation_2d`` (the default, used by
  :mod:`ntk_bench.theory.mean_field`): composite Gauss-Legendre rules that split the integration where
  φ(u) may have a kink (u = 0) and grade their panels geometrically toward it. 1-D: panels on each half-line
  z ≷ 0. 2-D: polar coordinates (z1, z2) = r (cos t, sin t); both kinks of φ(u1) φ(u2) (u1 = 0 and u2 = 0)
  are rays t = const, so the angle is split at those rays and every panel integrand is smooth.
* ``hermite_expectation_1d`` / ``hermite_expectation_2d``: plain tensor-product probabilists' Gauss-Hermite
  (``numpy.polynomial.hermite_e.hermegauss``). Spectrally accurate for smooth φ at moderate q, but measured
  (vs the closed forms of :mod:`ntk_bench.theory.closed_forms`) it is not good enough as the default:

  ======================================  ==========  ==========  ==========
  relative error                           n = 101     n = 100     n = 300
  ======================================  ==========  ==========  ==========
  ReLU  E[φ'(u)²]    (1-D, any q)          1.2e-1      2e-16       2e-16
  ReLU  E[φ(u1)φ(u2)] (2-D, c = 0.5)       3.5e-3      1.8e-3      6.2e-4
  ReLU  E[φ'(u1)φ'(u2)] (2-D, c = 0.5)     9.2e-2      1.7e-2      6.4e-3
  erf   E[φ'(u)²]    (1-D, q = 2)          2.9e-10     3.7e-10     7e-16
  erf   E[φ'(u)²]    (1-D, q = 10)         1.4e-2      1.5e-2      8.6e-7
  ======================================  ==========  ==========  ==========

  An odd n puts a node on ReLU's kink (z = 0, weight ≈ 0.08), so χ_1 is off by half that weight; a kink
  off the axes (u2 = 0 in 2-D) converges only algebraically; and for large q the erf derivative
  (4/π) exp(-2q z²) is narrower than the node spacing near 0.

The default rules, measured against the erf and ReLU closed forms for T and Ṫ over
q ∈ {1e-8, 1e-3, 0.1, 1, 3, 10, 100, 1e3} and c ∈ {-1, -0.9, 0, 0.5, 0.9, 0.99, 1 - 1e-6, 1}: worst relative
error 2e-13 in 1-D (E[φ²], E[φ'²]) and 1.4e-12 in 2-D, relative to the c = 1 value (3e-15 for ReLU,
whose integrand is a polynomial on every panel; the worst case is erf's Ṫ at q = 1e3), at 660 nodes
(1-D) and 168,960 nodes (2-D: 330 radii × 512 angles, 5-15 ms on 2 cores). Refining further (2^-30
grading, 16 points per panel, 4.5× the nodes) only lowers that worst case to 5e-13.
``tests/theory/test_gaussian.py`` re-measures these bounds.

Assumptions: any kink of φ or φ' is at 0 (true for every activation in the registry); g grows at most
polynomially (the rule truncates at |z| = 13, where the normal density is 1e-37).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss

from ntk_bench.errors import require

Elementwise = Callable[[np.ndarray], np.ndarray]

# Half-line panels [0, 2^-20], [2^-20, 2^-19], ..., [1/2, 1], [1, 2], ..., [12, 13]: the geometric part
# resolves features of width down to ~1e-6 near a kink (erf' at q up to ~1e12), the unit panels the bulk.
HALF_LINE_FINEST_LEVEL = 20
HALF_LINE_CUTOFF = 13
HALF_LINE_POINTS_PER_PANEL = 10
# Angular arcs between kink rays: panels graded toward both ends down to 2^-8 of the arc.
ARC_GRADING_LEVELS = 8
ARC_POINTS_PER_PANEL = 8
# Plain Gauss-Hermite default: even (no node on a kink at 0) and large enough for smooth φ at q ≲ 2 (erf χ_1
# error ~1e-15 at q = 2 for n ≥ 150, see the table above; tanh: 5e-15 at q = 1 but 7e-8 at q = 3).
# hermegauss's weights overflow to nan beyond n ≈ 350 (numpy 1.26), hence the cap.
DEFAULT_HERMITE_POINTS = 200
MAX_HERMITE_POINTS = 300


def _readonly(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


def composite_gauss_legendre(breaks: np.ndarray, points_per_panel: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights, ``points_per_panel`` nodes on each [breaks[i], breaks[i+1]]."""
    x, w = leggauss(points_per_panel)
    b = np.asarray(breaks, dtype=np.float64)
    left, right = b[:-1, None], b[1:, None]
    half = (right - left) / 2.0
    return ((left + right) / 2.0 + half * x).ravel(), (half * w).ravel()


@lru_cache(maxsize=1)
def half_line_rule() -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes z > 0 and weights for ∫_0^13 f(z) dz, graded toward z = 0."""
    breaks = np.concatenate(
        [[0.0], 2.0 ** np.arange(-HALF_LINE_FINEST_LEVEL, 0), np.arange(1.0, HALF_LINE_CUTOFF + 1.0)]
    )
    return _readonly(*composite_gauss_legendre(breaks, HALF_LINE_POINTS_PER_PANEL))


@lru_cache(maxsize=1)
def standard_normal_rule() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights with Σ w f(z) ≈ E[f(z)], z ~ N(0, 1); split at 0 (kink-safe), weights sum to 1."""
    z, w = half_line_rule()
    density = w * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return _readonly(np.concatenate([-z[::-1], z]), np.concatenate([density[::-1], density]))


@lru_cache(maxsize=1)
def rayleigh_rule() -> tuple[np.ndarray, np.ndarray]:
    """Nodes r > 0 and weights for ∫_0^∞ f(r) r exp(-r²/2) dr (the radial part of a 2-D standard normal)."""
    r, w = half_line_rule()
    return _readonly(r, w * r * np.exp(-0.5 * r * r))


def _arc_rule(start: float, stop: float) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre on the angle arc [start, stop], graded toward both ends (the kink rays)."""
    length = stop - start
    fractions = 2.0 ** -np.arange(ARC_GRADING_LEVELS, 0, -1)
    breaks = np.unique(np.concatenate([[start, stop], start + length * fractions, stop - length * fractions]))
    return composite_gauss_legendre(breaks, ARC_POINTS_PER_PANEL)


def kink_angles(c: float) -> np.ndarray:
    """Sorted angles t ∈ [0, 2π) where u1 = r cos t or u2 = r cos(t - arccos c) vanishes."""
    alpha = np.arccos(c)
    rays = np.array([0.5, 1.5, 0.5, 1.5]) * np.pi + np.array([0.0, 0.0, alpha, alpha])
    return np.sort(np.mod(rays, 2.0 * np.pi))


@lru_cache(maxsize=256)
def angular_rule(c: float) -> tuple[np.ndarray, np.ndarray]:
    """Angles and weights (summing to 1, i.e. including 1/2π) split at the kink rays for correlation c."""
    rays = kink_angles(c)
    ends = np.append(rays, rays[0] + 2.0 * np.pi)
    nodes, weights = [], []
    for start, stop in pairwise(ends):
        if stop > start:
            t, w = _arc_rule(float(start), float(stop))
            nodes.append(t)
            weights.append(w)
    return _readonly(np.concatenate(nodes), np.concatenate(weights) / (2.0 * np.pi))


def _check_variance(q: float, c: float | None = None) -> None:
    require(np.isfinite(q) and q >= 0, f"variance q={q!r} must be finite and >= 0")
    if c is not None:
        require(-1.0 <= c <= 1.0, f"correlation c={c!r} must be in [-1, 1]")


def gaussian_expectation_1d(g: Elementwise, q: float) -> float:
    """E[g(√q z)], z ~ N(0, 1), with the kink-safe composite rule (relative error ≲ 2e-13, see module doc)."""
    _check_variance(q)
    z, w = standard_normal_rule()
    return float(np.dot(w, g(np.sqrt(q) * z)))


def gaussian_expectation_2d(g1: Elementwise, g2: Elementwise, q: float, c: float) -> float:
    """E[g1(u1) g2(u2)], u1 = √q z1, u2 = √q (c z1 + √(1-c²) z2), z1, z2 iid N(0, 1).

    Polar rule: (z1, z2) = r (cos t, sin t), so u1 = √q r cos t and u2 = √q r cos(t - arccos c); the angle is
    split at the rays where u1 or u2 vanish (relative error ≲ 1.4e-12, see module doc).
    """
    _check_variance(q, c)
    r, wr = rayleigh_rule()
    t, wt = angular_rule(float(c))
    radius = np.sqrt(q) * r[:, None]
    u1 = radius * np.cos(t)[None, :]
    u2 = radius * np.cos(t - np.arccos(c))[None, :]
    return float(wr @ (g1(u1) * g2(u2)) @ wt)


@lru_cache(maxsize=16)
def hermite_rule(n: int = DEFAULT_HERMITE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss-Hermite nodes and weights normalised so Σ w f(z) ≈ E[f(z)], z ~ N(0, 1)."""
    require(
        1 <= n <= MAX_HERMITE_POINTS, f"Gauss-Hermite points n={n!r} must be in [1, {MAX_HERMITE_POINTS}]"
    )
    z, w = hermegauss(n)
    return _readonly(z, w / np.sqrt(2.0 * np.pi))


def hermite_expectation_1d(g: Elementwise, q: float, n: int = DEFAULT_HERMITE_POINTS) -> float:
    """E[g(√q z)] by n-point probabilists' Gauss-Hermite (exact for polynomial g of degree < 2n)."""
    _check_variance(q)
    z, w = hermite_rule(n)
    return float(np.dot(w, g(np.sqrt(q) * z)))


def hermite_expectation_2d(
    g1: Elementwise, g2: Elementwise, q: float, c: float, n: int = DEFAULT_HERMITE_POINTS
) -> float:
    """E[g1(u1) g2(u2)] (u as in :func:`gaussian_expectation_2d`) by an n×n Gauss-Hermite tensor rule."""
    _check_variance(q, c)
    z, w = hermite_rule(n)
    u1 = np.sqrt(q) * z[:, None]
    u2 = np.sqrt(q) * (c * z[:, None] + np.sqrt(1.0 - c * c) * z[None, :])
    return float(w @ (g1(u1) * g2(u2)) @ w)
