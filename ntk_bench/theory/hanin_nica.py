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
``tests/theory/test_hanin_nica.py``). With layers k = 1..D (D = depth + 1, the readout last), A_k = ‖y^{k−1}‖²
(A_1 = ‖x‖²), G_k = ‖∂f/∂z^k‖²:

    Θ̂(x, x) = Σ_k G_k·(A_k + b),   b = 1 (trainable biases) or 0,
    A_{k+1} = q_k A_k,             q_k = (2/n_{k−1})·χ²_{B_k},           B_k ~ Bin(n_k, 1/2),
    G_k = f²/A_{k+1} + r_k G_{k+1},   r_k = (2/n_k)·χ²_{B_k − 1},   G_D = 1   (all B_k ≥ 1),
    f² = A_D·(2/n_{D−1})·χ²_1,

all chi-squares independent given the B's (rotation invariance of each layer's weights: the part of W^{k+1}
orthogonal to y^k is independent of the forward pass, and Euler's identity f = δ^{k+1}·z^{k+1} gives the
parallel part). The state (f²/A_k, G_k, Σ_{j≥k} G_j A_j / A_k, Σ_{j≥k} G_j) is a linear function of the state
one layer up with coefficients that are independent across layers, so E[Θ̂^k] are exact products of
4^k × 4^k expected matrices (:func:`ntk_diagonal_raw_moments`, k ≤ 4), given that every hidden layer has an
active unit. If one has none (probability 1 − Π_l(1 − 2^{−n_l})), every pre-activation above it is 0, and with
relu'(0) = 0 (jax) only the readout bias has a gradient: Θ̂ = b exactly. The moments mix the two cases.

Closed form of the mean: E[Θ̂] = ‖x‖²·(1 + Σ_l n_l/n_0) + b·(1 + Σ_{k=1}^{L} Π_{j<k}(1 − 2^{−n_j}))
(:func:`ntk_diagonal_mean`). The standard errors of the sample mean and sample log R over N inits follow from
μ_1..μ_4 (:func:`sampling_stderrs`).
"""

from __future__ import annotations

import itertools
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


def _chi2_moment(dof: int, k: int) -> float:
    """E[(χ²_dof)^k] = dof·(dof + 2)···(dof + 2k − 2) (0 for dof = 0, k ≥ 1)."""
    return float(math.prod(dof + 2 * j for j in range(k)))


def _layer_parts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M0, Mq, Mr) with M = M0 + q·Mq + r·Mr given B ≥ 1 (module docstring)."""
    m0, mq, mr = np.zeros((4, 4)), np.zeros((4, 4)), np.zeros((4, 4))
    mq[_P, _P] = 1.0
    for row in (_G, _T, _B):
        m0[row, _P] = 1.0
        mr[row, _G] = 1.0
    mq[_T, _T] = 1.0
    m0[_B, _B] = 1.0
    return m0, mq, mr


def layer_moment_matrix(fan_in: int, width: int, order: int) -> np.ndarray:
    """E[M^{⊗order} | B ≥ 1] of one hidden layer's state update s_k = M_k s_{k+1} (module docstring).

    Given B: M = M0 + q·Mq + r·Mr, q = c·χ²_B and r = c'·χ²_{B−1} independent (c = 2/fan_in, c' = 2/width),
    so E[M^{⊗k} | B] = Σ over the 3^k products of parts of E[q^i]·E[r^j] (i, j = how many q, r parts),
    averaged over B ~ Bin(width, 1/2) conditioned on B ≥ 1 (a dead layer is handled by the caller).
    """
    require(order >= 1, f"order {order!r} must be >= 1")
    c, c_r = 2.0 / fan_in, 2.0 / width
    grouped: dict[tuple[int, int], np.ndarray] = {}
    parts = list(zip(_layer_parts(), ((0, 0), (1, 0), (0, 1)), strict=True))
    for combo in itertools.product(parts, repeat=order):
        mat = combo[0][0]
        for part, _ in combo[1:]:
            mat = np.kron(mat, part)
        key = (sum(p[1][0] for p in combo), sum(p[1][1] for p in combo))
        grouped[key] = grouped[key] + mat if key in grouped else mat.copy()
    pmf = _binomial_pmf(width)
    alive = 1.0 - pmf[0]
    out = np.zeros((4**order, 4**order))
    for b in range(1, width + 1):
        for (i, j), mat in grouped.items():
            out += pmf[b] / alive * c**i * _chi2_moment(b, i) * c_r**j * _chi2_moment(b - 1, j) * mat
    return out


def alive_probability(widths: Sequence[int]) -> float:
    """P(every hidden layer has an active unit) = Π_l (1 − 2^{−n_l})."""
    return float(math.prod(1.0 - 0.5**n for n in widths))


def _top_moment_vector(last_width: int, order: int) -> np.ndarray:
    """E[s_D^{⊗order}] at the readout: s_D = (z, 1, 1, 1), z = (2/n_L)·χ²_1, E[z^m] = (2/n_L)^m·(2m − 1)!!."""
    out = np.empty(4**order)
    for flat, index in enumerate(itertools.product(range(4), repeat=order)):
        m = sum(1 for i in index if i == _P)
        out[flat] = (2.0 / last_width) ** m * _chi2_moment(1, m)
    return out


def ntk_diagonal_raw_moments(
    widths: Sequence[int], input_dim: int, x_norm2: float, *, bias: bool = True, order: int = 2
) -> list[float]:
    """Exact E[Θ̂(x,x)^k], k = 1..order, of the He ReLU FCN (module docstring): E[s_1^{⊗k}] is the product
    of the layers' E[M^{⊗k}] applied to the readout's E[s_D^{⊗k}], contracted with (0, 0, ‖x‖², b)^{⊗k}."""
    ws, n0, a = check_widths(widths, input_dim, x_norm2)
    require(order in (1, 2, 3, 4), f"order {order!r} must be 1, 2, 3 or 4")
    fans = [n0, *ws]
    weights = np.array([0.0, 0.0, a, 1.0 if bias else 0.0])
    alive = alive_probability(ws)
    cache: dict[tuple[int, int, int], np.ndarray] = {}
    out = []
    for k in range(1, order + 1):
        state = _top_moment_vector(ws[-1], k)
        for layer in range(len(ws), 0, -1):
            key = (fans[layer - 1], fans[layer], k)
            if key not in cache:
                cache[key] = layer_moment_matrix(*key)
            state = cache[key] @ state
        contraction = weights
        for _ in range(k - 1):
            contraction = np.kron(contraction, weights)
        # a dead hidden layer (no active unit) leaves only the readout bias: Θ̂ = b exactly
        out.append(alive * float(contraction @ state) + (1.0 - alive) * weights[_B] ** k)
    return out


def sampling_stderrs(
    widths: Sequence[int], input_dim: int, x_norm2: float, samples: int, *, bias: bool = True
) -> tuple[float, float]:
    """Standard errors, over ``samples`` independent inits, of the sample mean of Θ̂ and of the sample
    log R = log(mean(Θ̂²)/mean(Θ̂)²), from the exact moments μ_1..μ_4 (delta method):
    Var(mean) = (μ_2 − μ_1²)/N;
    Var(log R) = [(μ_4 − μ_2²)/μ_2² + 4(μ_2 − μ_1²)/μ_1² − 4(μ_3 − μ_1μ_2)/(μ_1μ_2)]/N.
    Unlike a bootstrap of the sample, this sees the rare large Θ̂ that a finite sample misses."""
    require(samples >= 2, f"samples {samples!r} must be >= 2")
    m1, m2, m3, m4 = ntk_diagonal_raw_moments(widths, input_dim, x_norm2, bias=bias, order=4)
    var_mean = (m2 - m1 * m1) / samples
    var_log = ((m4 - m2 * m2) / m2**2 + 4 * (m2 - m1 * m1) / m1**2 - 4 * (m3 - m1 * m2) / (m1 * m2)) / samples
    return math.sqrt(var_mean), math.sqrt(max(var_log, 0.0))


def ntk_diagonal_moments(
    widths: Sequence[int], input_dim: int, x_norm2: float, *, bias: bool = True
) -> NTKDiagonalMoments:
    """Exact E[Θ̂(x,x)] and E[Θ̂(x,x)²] of the He-initialised ReLU FCN with hidden ``widths`` (depth =
    len(widths)), input dimension n0 and ‖x‖², over random initialisations (module docstring; Hanin & Nica
    2020 for the mechanism). ``bias``: biases are trainable (adds Σ_k G_k). float64 throughout."""
    ws, _, _ = check_widths(widths, input_dim, x_norm2)
    first, sec = ntk_diagonal_raw_moments(ws, input_dim, x_norm2, bias=bias, order=2)
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
    """E[Θ̂(x,x)] = ‖x‖²·(1 + Σ_l n_l/n_0) + b·(1 + Σ_{k=1}^{L} Π_{j<k}(1 − 2^{−n_j})):
    E[A_k] = ‖x‖² n_{k−1}/n_0 and E[G_k] = 1 for the weights (A_k, G_k independent; a dead layer zeroes
    both), and layer k's bias gradient vanishes when a layer below it is dead (the readout's is always 1)."""
    ws, n0, a = check_widths(widths, input_dim, x_norm2)
    biases = 1.0 + sum(alive_probability(ws[:k]) for k in range(len(ws)))
    return a * (1.0 + sum(ws) / n0) + (biases if bias else 0.0)


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
