"""Exact finite-(depth, width) moments of the on-diagonal empirical NTK of a He-initialised ReLU network.

Hanin & Nica (2020), "Finite depth and width corrections to the neural tangent kernel" (arXiv 1909.05989),
prove E[K²]/E[K]² ≃ exp(5β), β = Σ_l 1/n_l, "up to constants" (their "Overall Scaling" section keeps only the
leading terms: for equal widths E[K²] = [d²‖x‖⁴/n0² + (d/n0)·n(1 − e^{−5d/n})‖x‖² + n²(1 − e^{−5d/n} −
(d/n)e^{−5d/n})]·e^{5β} up to 1/n corrections, and the pure exp(5β) law is its small-d/n regime). The 5 comes
from one layer: the squared norm of a He-initialised ReLU layer's output, relative to its input's, is
q = (2/n_{l−1})·χ²_{B}, B ~ Binomial(n_l, 1/2), with E[q²]/E[q]² = 1 + 5/n_l (:func:`layer_fluctuation`), so a
product over layers gives Π(1 + 5/n_l) ≈ e^{5β}.

This module computes the moments *exactly* for the project's network (``FlaxFCN``, standard parameterization,
W ~ N(0, 2/fan_in) in every layer including the scalar readout, trainable biases initialised at 0), following
the same mechanism (our derivation, checked against Monte-Carlo of the project's networks in
``tests/test_hanin_nica_theory.py``). With layers k = 1..D (D = depth + 1, the readout last), A_k = ‖y^{k−1}‖²
(A_1 = ‖x‖²), G_k = ‖∂f/∂z^k‖²:

    Θ̂(x, x) = Σ_k G_k·(A_k + b),   b = 1 (trainable biases) or 0,
    A_{k+1} = q_k A_k,             q_k = (2/n_{k−1})·χ²_{B_k},           B_k ~ Bin(n_k, 1/2),
    G_k = 1{B_k ≥ 1}·(f²/A_{k+1} + r_k G_{k+1}),   r_k = (2/n_k)·χ²_{B_k − 1},   G_D = 1,
    f² = A_D·(2/n_{D−1})·χ²_1,

all chi-squares independent given the B's (rotation invariance of each layer's weights: the part of W^{k+1}
orthogonal to y^k is independent of the forward pass, and Euler's identity f = δ^{k+1}·z^{k+1} gives the
parallel part). The state (f²/A_k, G_k, Σ_{j≥k} G_j A_j / A_k, Σ_{j≥k} G_j) is a linear function of the state
one layer up with coefficients that are independent across layers, so E[Θ̂] and E[Θ̂²] are exact products of
4×4 and 16×16 expected matrices (:func:`ntk_diagonal_moments`). The only approximation: in the event that a
whole hidden layer is inactive (probability Σ_l 2^{−n_l}), the bias gradients of the layers above it are taken
from the generic law instead of 0; the relative effect on either moment is below depth²·2^{−min n}.

Closed form of the mean (from the same recursion, E[G_k] = 1 exactly):
E[Θ̂] = ‖x‖²·(1 + Σ_{l=1}^{L} n_l/n_0) + b·(L + 1)  (:func:`ntk_diagonal_mean`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ntk_bench.errors import require

# The exponent of Hanin & Nica's exp(5β): E[q²]/E[q]² = 1 + HANIN_NICA_RATE/n for one He ReLU layer.
HANIN_NICA_RATE = 5.0
# State components: (f²/A_k, G_k, Σ_{j≥k} G_j A_j/A_k, Σ_{j≥k} G_j).
_P, _G, _T, _B = range(4)


@dataclass(frozen=True)
class NTKDiagonalMoments:
    """E[Θ̂(x,x)], E[Θ̂(x,x)²], their ratio R = E[Θ̂²]/E[Θ̂]², log R and 5β (β = Σ_l 1/n_l)."""

    mean: float
    second_moment: float
    ratio: float
    log_ratio: float
    beta: float
    paper_log_ratio: float  # 5β, the paper's small-β law

    @property
    def finite_size_term(self) -> float:
        """log R − 5β: what the exact moments add to (or take from) the exp(5β) law at this (depth, width)."""
        return self.log_ratio - self.paper_log_ratio

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "finite_size_term": self.finite_size_term}


def check_widths(widths: Sequence[int], input_dim: int, x_norm2: float) -> tuple[list[int], int, float]:
    """Validated (hidden widths, n0, ‖x‖²); a one-line ConfigError names what the formula does not cover."""
    ws = list(widths)
    require(len(ws) >= 1, f"hidden widths {ws} must list at least one layer (depth >= 1)")
    for n in ws:
        require(
            isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1,
            f"width {n!r} is not covered by the Hanin-Nica moments: widths must be integers >= 1",
        )
    require(
        isinstance(input_dim, int | np.integer) and not isinstance(input_dim, bool) and input_dim >= 1,
        f"input dimension {input_dim!r} must be an integer >= 1",
    )
    require(
        isinstance(x_norm2, int | float) and math.isfinite(x_norm2) and x_norm2 > 0,
        f"‖x‖²={x_norm2!r} must be a finite number > 0",
    )
    return [int(n) for n in ws], int(input_dim), float(x_norm2)


def formula_covers(model: Mapping[str, Any]) -> bool:
    """Whether :func:`ntk_diagonal_moments` is the law of a network's Θ̂ (``model``: name, activation,
    sigma_w2, sigma_b2, parameterization): an FCN with ReLU, σ_w² = 2, σ_b² = 0 (biases trainable, zero at
    init) in standard parameterization, i.e. He initialisation."""
    try:
        return (
            model.get("name") == "fcn"
            and model.get("activation") == "relu"
            and float(model.get("sigma_w2", 0)) == 2.0
            and float(model.get("sigma_b2", -1)) == 0.0
            and model.get("parameterization") == "standard"
        )
    except (TypeError, ValueError):
        return False


def layer_fluctuation(width: int) -> float:
    """E[q²]/E[q]² = 1 + 5/n for one He ReLU layer of width n: q = (2/fan_in)·χ²_B, B ~ Bin(n, 1/2)
    (E[χ²_B] = n/2, E[(χ²_B)²] = E[B² + 2B] = n²/4 + 5n/4). Hanin & Nica's exp(5β) is Π_l of this."""
    require(width >= 1, f"width {width!r} must be >= 1")
    return 1.0 + HANIN_NICA_RATE / width


def output_log_moment_ratio(widths: Sequence[int]) -> float:
    """log(E[f(x)⁴]/E[f(x)²]²) = log 3 + Σ_l log(1 + 5/n_l), the He ReLU FCN's output at init (zero biases):
    f² = ‖x‖²·Π_l q_l·(2/n_L)χ²_1 with independent factors (module docstring), E[(χ²_1)²] = 3, so the ratio is
    exact, with a prefactor (3) that does not depend on depth or width: the exp(5β) law of Hanin & Nica with
    the per-layer rate n·log(1 + 5/n) → 5. (A wholly inactive layer gives f = 0, which the product also
    gives: no approximation.)"""
    ws = [int(n) for n in widths]
    require(len(ws) >= 1 and all(n >= 1 for n in ws), f"hidden widths {ws} must be >= 1 (depth >= 1)")
    return math.log(3.0) + sum(math.log(layer_fluctuation(n)) for n in ws)


def _binomial_pmf(n: int) -> np.ndarray:
    """P(B = 0..n), B ~ Bin(n, 1/2), in float64 (log-space, exact to round-off for any n)."""
    b = np.arange(n + 1)
    log_pmf = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in b])
    return np.exp(log_pmf - n * math.log(2.0))


def layer_matrices(fan_in: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(E[M], E[M ⊗ M]) of one hidden layer's state update s_k = M_k s_{k+1} (module docstring).

    Rows/columns (f²/A, G, T, Σ G); given B: M = M0 + q·Mq + r·Mr with E[q] = cB, E[q²] = c²(B² + 2B),
    E[r] = c'(B−1), E[r²] = c'²(B² − 1), E[qr] = cc'B(B−1), c = 2/fan_in, c' = 2/width (r ≡ 0 when B = 0).
    """
    c, c_r = 2.0 / fan_in, 2.0 / width
    mean = np.zeros((4, 4))
    second = np.zeros((16, 16))
    for b, p in enumerate(_binomial_pmf(width)):
        e = 1.0 if b >= 1 else 0.0
        m0, mq, mr = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 4))
        mq[_P, _P] = 1.0
        for row in (_G, _T, _B):
            m0[row, _P] = e
            mr[row, _G] = e
        mq[_T, _T] = 1.0
        m0[_B, _B] = 1.0
        eq, eq2 = c * b, c * c * (b * b + 2 * b)
        er, er2, eqr = (0.0, 0.0, 0.0)
        if b:
            er, er2, eqr = c_r * (b - 1), c_r * c_r * (b - 1) * (b + 1), c * c_r * b * (b - 1)
        mean += p * (m0 + eq * mq + er * mr)
        k = np.kron
        second += p * (
            k(m0, m0)
            + eq * (k(m0, mq) + k(mq, m0))
            + er * (k(m0, mr) + k(mr, m0))
            + eq2 * k(mq, mq)
            + er2 * k(mr, mr)
            + eqr * (k(mq, mr) + k(mr, mq))
        )
    return mean, second


def ntk_diagonal_moments(
    widths: Sequence[int], input_dim: int, x_norm2: float, *, bias: bool = True
) -> NTKDiagonalMoments:
    """Exact E[Θ̂(x,x)] and E[Θ̂(x,x)²] of the He-initialised ReLU FCN with hidden ``widths`` (depth =
    len(widths)), input dimension n0 and ‖x‖², over random initialisations (module docstring; Hanin & Nica
    2020 for the mechanism). ``bias``: biases are trainable (adds Σ_k G_k). float64 throughout."""
    ws, n0, a = check_widths(widths, input_dim, x_norm2)
    fans = [n0, *ws]
    top = 2.0 / ws[-1]  # readout: f²/A_D = (2/n_L)·χ²_1, E = 2/n_L, E[(·)²] = 3·(2/n_L)²
    mean = np.array([top, 1.0, 1.0, 1.0])
    moments_top = np.array([3.0 * top * top, top, top, top])
    second = np.empty((4, 4))
    second[_P, :] = moments_top
    second[:, _P] = moments_top
    second[1:, 1:] = 1.0
    second = second.reshape(16)
    for k in range(len(ws), 0, -1):
        m, mm = layer_matrices(fans[k - 1], fans[k])
        mean, second = m @ mean, mm @ second
    weights = np.array([0.0, 0.0, a, 1.0 if bias else 0.0])
    first = float(weights @ mean)
    sec = float(np.kron(weights, weights) @ second)
    beta = float(sum(1.0 / n for n in ws))
    ratio = sec / first**2
    return NTKDiagonalMoments(
        mean=first,
        second_moment=sec,
        ratio=ratio,
        log_ratio=math.log(ratio),
        beta=beta,
        paper_log_ratio=HANIN_NICA_RATE * beta,
    )


def ntk_diagonal_mean(widths: Sequence[int], input_dim: int, x_norm2: float, *, bias: bool = True) -> float:
    """E[Θ̂(x,x)] = ‖x‖²·(1 + Σ_l n_l/n_0) + b·(L + 1) (closed form of :func:`ntk_diagonal_moments`' mean:
    E[A_k] = ‖x‖² n_{k−1}/n_0, E[G_k] = 1, A_k and G_k independent)."""
    ws, n0, a = check_widths(widths, input_dim, x_norm2)
    return a * (1.0 + sum(ws) / n0) + (len(ws) + 1) * (1.0 if bias else 0.0)


def equal_width_moments(
    depth: int, width: int, input_dim: int, x_norm2: float, *, bias: bool = True
) -> NTKDiagonalMoments:
    """:func:`ntk_diagonal_moments` for ``depth`` hidden layers of one ``width`` (β = depth/width)."""
    require(
        isinstance(depth, int | np.integer) and not isinstance(depth, bool) and depth >= 1,
        f"depth {depth!r} is not covered by the Hanin-Nica moments: depth must be an integer >= 1",
    )
    return ntk_diagonal_moments([width] * int(depth), input_dim, x_norm2, bias=bias)


def log_ratio_slope(betas: Sequence[float], log_ratios: Sequence[float]) -> float:
    """OLS slope of log R against β (the growth rate the experiment fits), for the exact values."""
    x, y = np.asarray(betas, float), np.asarray(log_ratios, float)
    require(len(x) >= 2 and np.ptp(x) > 0, f"betas {list(x)} need two distinct values to fit a slope")
    xc = x - x.mean()
    return float(np.sum(xc * (y - y.mean())) / np.sum(xc * xc))
