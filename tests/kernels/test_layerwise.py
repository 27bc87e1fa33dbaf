"""The one kernel pass: equal to neural-tangents' own network rebuilt at each depth (every family of the
registry, 1-D and 2-D), to Monte-Carlo at width, finite deep in the chaotic phase."""

import jax
import neural_tangents as nt
import numpy as np
import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.kernels import kernels_across_depth
from ntk_bench.kernels.layerwise import auto_block_size, validate_depths
from ntk_bench.model import Network, model_spec_from_config

RESNET_CONV_POOL = {"layer": "conv", "readout": "pool"}
CASES = [
    ("fcn", "erf", (12,), {}),
    ("fcn", "relu", (12,), {}),
    ("fcn", "tanh", (12,), {}),
    ("cnn_flatten", "erf", (6, 6, 2), {}),
    ("cnn_flatten", "erf", (11, 2), {}),  # 1-D signals: spatial diagonal, box operator (P = 11)
    ("cnn_flatten", "erf", (20, 1), {}),  # 1-D signals: spatial diagonal, shifted copies (P = 20)
    pytest.param("cnn_pool", "relu", (6, 6, 1), {}, marks=pytest.mark.slow),  # 2-D box path: (3, 4, 1) below
    ("cnn_pool", "erf", (10, 2), {}),  # 1-D signals: full covariance, P = 100 > 64 → shifted copies
    ("cnn_pool", "erf", (3, 4, 1), {}),  # 2-D, P = 9 and 16 → box operator
    ("cnn_pool", "erf", (5, 3, 1), {}),  # 2-D, P = 25 → shifted copies, P = 9 → box operator
    ("resnet", "erf", (12,), {}),
    ("resnet", "relu", (12,), {"alpha": 0.7}),
    ("resnet", "erf", (10, 2), RESNET_CONV_POOL),
    ("resnet", "erf", (4, 4, 1), {"layer": "conv", "readout": "flatten"}),
]


def _spatial_ndim(spec, shape) -> int:
    return len(shape) - 1 if spec.is_convolutional else 0


def _network(name, activation, shape, fast_kernels=True, **overrides):
    cfg = {"name": name, "depth": 6, "width": 64, "activation": activation, "sigma_w2": 1.7, "sigma_b2": 0.1}
    if name == "resnet":
        cfg["gamma"] = 0.5
        if "alpha" in overrides:
            cfg["gamma"] = None
    cfg.update(overrides)
    spec = model_spec_from_config(cfg)
    return Network(spec, _spatial_ndim(spec, shape), fast_kernels=fast_kernels)


def _tolerance(activation: str, reference: np.ndarray, depth: int) -> float:
    """Relative tolerance of layerwise vs rebuilt kernels.

    erf: the same float64 operations (jitted vs not), so round-off: 1e-12.
    relu: the arc-cosine kernel evaluates arccos(c) near c = 1 where its slope is 1/√(1-c²); a round-off
    δ ≈ ε in c moves θ by √(2ε) ≈ 2e-8 per layer, so allow 1e-7·(depth+1).
    tanh: Gauss-Hermite quadrature is not symmetric in (x1, x2); blocks filled by transposition differ from
    the reference by its own asymmetry, so allow twice the reference's measured |K - Kᵀ|/max|K| (+ round-off).
    """
    if activation == "relu":
        return 1e-7 * (depth + 1)
    if activation == "tanh":
        return 2 * np.abs(reference - reference.T).max() / np.abs(reference).max() + 1e-12
    return 1e-12


@pytest.mark.parametrize(("name", "activation", "shape", "extra"), CASES)
def test_layerwise_pass_equals_network_rebuilt_at_each_depth(name, activation, shape, extra):
    rng = np.random.default_rng(0)
    x, x_test = rng.normal(size=(9, *shape)), rng.normal(size=(4, *shape))
    network = _network(name, activation, shape, **extra)
    reference = _network(name, activation, shape, fast_kernels=False, **extra)  # neural-tangents' layers
    depths = [0, 1, 4]  # the readout alone, one block, and blocks fed their own output (each compiles)
    train = kernels_across_depth(network, x, None, depths)
    blocked = kernels_across_depth(network, x, None, depths, block_size=4)  # uneven blocks, padded
    cross = kernels_across_depth(network, x_test, x, depths, block_size=3)
    for i, depth in enumerate(depths):
        kernel_fn = reference.at_depth(depth)[2]
        full = kernel_fn(x, None, ("ntk", "nngp"))
        full_cross = kernel_fn(x_test, x, ("ntk", "nngp"))
        for kind in ("ntk", "nngp"):
            expected = np.asarray(getattr(full, kind))
            scale = np.abs(expected).max()
            atol = _tolerance(activation, expected, depth) * scale
            np.testing.assert_allclose(getattr(train, kind)[i], expected, rtol=0, atol=atol)
            np.testing.assert_allclose(getattr(blocked, kind)[i], expected, rtol=0, atol=atol)
            np.testing.assert_allclose(
                getattr(cross, kind)[i], np.asarray(getattr(full_cross, kind)), rtol=0, atol=atol
            )
    assert train.ntk.dtype == np.float64
    if activation != "tanh":  # closed-form kernels: Θ(x, x') = Θ(x', x) up to round-off
        scale = np.abs(train.ntk).max()
        np.testing.assert_allclose(train.ntk, np.swapaxes(train.ntk, 1, 2), rtol=0, atol=1e-14 * scale)


# Slow tier (~9 s: 256 NNGP draws at width 1024). The default tier still checks the analytic kernel against
# a wide network of the same parameters: tests/model/test_flax_models.py::
# test_wide_empirical_ntk_matches_the_analytic_kernel (empirical NTK at width 2048 of the flax twin, which
# test_twin_is_the_stax_function_of_the_same_parameters ties to this Network's stax layers).
@pytest.mark.slow
def test_analytic_kernel_matches_monte_carlo_at_width_1024():
    spec = _network("fcn", "erf", (16,), width=1024).spec
    x = np.random.default_rng(1).normal(size=(8, 16))
    # neural-tangents' test_monte_carlo_vs_analytic accepts relative Frobenius error 0.041 at width 1024.
    # NTK: self-averaging over the width; 4 draws measured 0.027-0.031 across seeds 0-2.
    init_fn, apply_fn, kernel_fn = Network(spec, 0, out_dim=1).at_depth(2)
    mc = nt.monte_carlo_kernel_fn(
        init_fn,
        apply_fn,
        jax.random.PRNGKey(0),
        n_samples=4,
        implementation=nt.NtkImplementation.STRUCTURED_DERIVATIVES,
    )
    estimate, exact = np.asarray(mc(x, None, "ntk")), np.asarray(kernel_fn(x, None, "ntk"))
    assert np.linalg.norm(estimate - exact) / np.linalg.norm(exact) < 0.041
    # NNGP = E[f fᵀ] is one output draw per sample, so it needs many draws: 256 draws × 16 outputs.
    init_fn, apply_fn, kernel_fn = Network(spec, 0, out_dim=16).at_depth(2)
    mc = nt.monte_carlo_kernel_fn(init_fn, apply_fn, jax.random.PRNGKey(0), n_samples=256)
    estimate, exact = np.asarray(mc(x, None, "nngp")), np.asarray(kernel_fn(x, None, "nngp"))
    assert np.linalg.norm(estimate - exact) / np.linalg.norm(exact) < 0.041


def test_depth_list_validation():
    assert validate_depths([0, 2, 5]) == (0, 2, 5)
    for bad in ([], [3, 1], [1, 1], [-1, 2]):
        with pytest.raises(ConfigError) as err:
            validate_depths(bad)
        assert "\n" not in str(err.value)


def test_auto_block_size_respects_memory_and_cache_bounds():
    per_pair = 36 * 36  # CNN-P on 6×6 images stores (H·W)² entries per input pair
    edge = auto_block_size(1000, 1000, per_pair, max_block_bytes=1e8, cache_bytes=1e9)  # memory-bound
    assert edge**2 * per_pair * 8 * 8 <= 1e8 < (2 * edge) ** 2 * per_pair * 8 * 8 and edge & (edge - 1) == 0
    edge = auto_block_size(1000, 1000, per_pair, max_block_bytes=1e9, cache_bytes=1e6)  # cache-bound
    assert edge**2 * per_pair * 8 <= 1e6 < (2 * edge) ** 2 * per_pair * 8 and edge & (edge - 1) == 0
    assert auto_block_size(10, 10, 1, 1e9) == 10  # fits whole: one block, no padding
    assert auto_block_size(64, 64, 1600, 1e9) == 16  # MNIST-1D CNN-P: the measured best edge


def test_deep_chaotic_kernel_stays_finite_with_exact_diagonal():
    # Chaotic erf (σ_w² = 3): c = 1 is unstable, so an unpinned diagonal drifts like ε·χ_1^l and went NaN by
    # depth 115 at m = 64 (measured before pin_diagonal). The theory's diagonal is q* at every depth.
    from ntk_bench.theory import q_star

    x = np.random.default_rng(2).normal(size=(64, 16))
    x *= np.sqrt(16) / np.linalg.norm(x, axis=1, keepdims=True)
    network = _network("fcn", "erf", (16,), sigma_w2=3.0, sigma_b2=0.05)
    depths = [100, 115, 130, 150, 200]
    kernels = kernels_across_depth(network, x, None, depths)
    assert kernels.finite.all() and not kernels.nonfinite_depths
    # After 100 layers the variance map has converged to q* (ordered contraction of q, rate ≪ 1 per layer).
    for i in range(len(depths)):
        np.testing.assert_allclose(np.diag(kernels.nngp[i]), q_star("erf", 3.0, 0.05), rtol=1e-12)
        assert np.linalg.eigvalsh(kernels.ntk[i])[0] > 0
    # σ traced (the heat-map column of another network at σ_w² = 1) gives the same numbers: one pass, one pin
    traced = kernels_across_depth(network.with_spec(sigma_w2=1.0), x, None, depths, sigma_w2=3.0)
    np.testing.assert_allclose(traced.ntk, kernels.ntk, rtol=1e-13)
    np.testing.assert_allclose(traced.nngp, kernels.nngp, rtol=1e-13)
