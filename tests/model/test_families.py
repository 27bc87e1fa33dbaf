"""The architecture registry: one definition per family, one-line errors, and the ResNet kernel recursion
checked against an independent computation."""

import math

import numpy as np
import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.kernels import kernels_across_depth
from ntk_bench.model import MODELS, Network, get_family, model_spec_from_config

BASE = {"depth": 4, "width": 8, "activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.05}


def _spec(name, **overrides):
    return model_spec_from_config({"name": name, **BASE, **overrides})


def test_every_family_is_in_the_registry_with_a_config_file():
    from pathlib import Path

    conf = Path(__file__).resolve().parents[2] / "conf" / "model"
    assert set(MODELS) == {p.stem for p in conf.glob("*.yaml")}
    assert {"fcn", "cnn_flatten", "cnn_pool", "resnet"} <= set(MODELS)


@pytest.mark.parametrize("bad", ["cnn", "FCN", "resnet50", None, 3])
def test_unknown_family_is_a_one_line_error_listing_the_known_ones(bad):
    with pytest.raises(ConfigError) as err:
        model_spec_from_config({"name": bad, **BASE})
    message = str(err.value)
    assert "\n" not in message and repr(bad) in message
    assert all(name in message for name in MODELS)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"alpha": 0.0}, "model.alpha=0.0 must be a finite number > 0"),
        ({"alpha": -1}, "model.alpha=-1 must be a finite number > 0"),
        ({"alpha": float("nan")}, "model.alpha=nan must be a finite number"),
        ({"gamma": -0.5}, "model.gamma=-0.5 must be a finite number >= 0"),
        ({"gamma": "half"}, "model.gamma='half' must be a finite number"),
        ({"gamma": 0.5, "alpha": 0.9}, "contradicts model.gamma=0.5"),
        ({}, "both null"),
        ({"alpha": 0.5, "layer": "attention"}, "unknown model.layer 'attention'"),
        ({"alpha": 0.5, "layer": "conv", "readout": "dense"}, "unknown model.readout for model.layer=conv"),
    ],
)
def test_bad_residual_settings_are_one_line_errors(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        model_spec_from_config({"name": "resnet", **BASE, **overrides})
    assert "\n" not in str(err.value) and fragment in str(err.value), str(err.value)


def test_fixed_family_rejects_a_structure_it_does_not_have():
    with pytest.raises(ConfigError, match="model.readout='pool' does not fit model=cnn_flatten"):
        model_spec_from_config({"name": "cnn_flatten", **BASE, "readout": "pool"})
    with pytest.raises(ConfigError, match=r"model.alpha=0.5 does not fit model=fcn \(its alpha is 1.0\)"):
        model_spec_from_config({"name": "fcn", **BASE, "alpha": 0.5})
    with pytest.raises(ConfigError, match="model.gamma=0.5 does not fit model=fcn"):
        model_spec_from_config({"name": "fcn", **BASE, "gamma": 0.5})
    spec = _spec("cnn_pool")
    assert model_spec_from_config(dict(spec.__dict__)) == spec  # a fixed family's own fields read back


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"depth": 0}, "model.depth=0 must be an integer >= 1"),
        ({"width": 2.5}, "model.width=2.5 must be an integer >= 1"),
        ({"sigma_w2": -1}, "model.sigma_w2=-1 must be a finite number > 0"),
        ({"sigma_w2": 0}, "model.sigma_w2=0 must be a finite number > 0"),
        ({"sigma_b2": -0.1}, "model.sigma_b2=-0.1 must be a finite number >= 0"),
        ({"activation": "softplus"}, "unknown model.activation 'softplus'; allowed: erf, relu"),
        ({"parameterization": "mup"}, "unknown model.parameterization 'mup'; allowed: ntk, standard"),
        ({"padding": "REFLECT"}, "unknown model.padding 'REFLECT'; allowed: CIRCULAR, SAME, VALID"),
        ({"sigma_w": 1.5}, "unknown key model.sigma_w; allowed: name, depth, width"),
    ],
)
def test_bad_shared_model_keys_are_one_line_errors(overrides, message):
    with pytest.raises(ConfigError) as err:
        model_spec_from_config({"name": "fcn", **BASE, **overrides})
    assert str(err.value).startswith(message) and "\n" not in str(err.value), str(err.value)


def test_residual_scale_from_gamma_and_spec_round_trip():
    spec = _spec("resnet", depth=16, gamma=0.75)
    assert spec.alpha == pytest.approx(16**-0.75, rel=1e-15) and spec.gamma == 0.75
    assert model_spec_from_config(dict(spec.__dict__)) == spec  # α and γ read back consistently
    assert _spec("resnet", alpha=0.3).alpha == 0.3


def test_structure_metadata_comes_from_the_family():
    assert (_spec("fcn").layer, _spec("fcn").readout) == ("dense", "dense")
    assert (_spec("cnn_pool").layer, _spec("cnn_pool").readout) == ("conv", "pool")
    conv = _spec("resnet", alpha=0.5, layer="conv", readout="pool")
    assert conv.is_convolutional and Network(conv, 1).input_kernel_options == {"diagonal_spatial": False}
    assert get_family("cnn_flatten").label == "CNN-F"
    with pytest.raises(ConfigError, match="needs image or signal inputs"):
        Network(conv, 0)
    with pytest.raises(ConfigError, match="takes flattened inputs"):
        Network(_spec("resnet", alpha=0.5), 2)


def _erf_t(k_ab, k_aa, k_bb):
    """Closed-form erf kernel T and Ṫ, numpy."""
    denominator = (1 + 2 * k_aa) * (1 + 2 * k_bb)
    t = 2 / np.pi * np.arcsin(2 * k_ab / np.sqrt(denominator))
    t_dot = 4 / np.pi / np.sqrt(denominator - 4 * k_ab**2)
    return t, t_dot


def _resnet_recursion(x, depth, alpha, w2, b2):
    """Independent NNGP/NTK of the fully-connected ResNet at every depth (Yang & Schoenholz 2017 recursion):

    K^0 = σ_w² xxᵀ/d + σ_b² = Θ^0 (the stem),  K^{l+1} = K^l + α²(σ_w² T(K^l) + σ_b²),
    Θ^{l+1} = Θ^l + α²σ_w² Ṫ(K^l)Θ^l + α²(σ_w² T(K^l) + σ_b²),  out: K = σ_w² T + σ_b², Θ = K + σ_w² Ṫ Θ.
    """
    k = w2 * x @ x.T / x.shape[1] + b2
    theta = k.copy()
    outputs = []
    for level in range(depth + 1):
        diag = np.diag(k)
        t, t_dot = _erf_t(k, diag[:, None], diag[None, :])
        out_k = w2 * t + b2
        outputs.append((out_k + w2 * t_dot * theta, out_k))
        if level < depth:
            branch = alpha**2 * (w2 * t + b2)
            theta = theta + alpha**2 * w2 * t_dot * theta + branch
            k = k + branch
    return outputs


def test_resnet_kernels_follow_the_residual_recursion():
    x = np.random.default_rng(4).normal(size=(7, 5))
    depth, w2, b2 = 12, 2.0, 0.1
    spec = _spec("resnet", depth=depth, gamma=0.5, sigma_w2=w2, sigma_b2=b2)
    kernels = kernels_across_depth(Network(spec, 0), x, None, list(range(depth + 1)))
    expected = _resnet_recursion(x, depth, 1 / math.sqrt(depth), w2, b2)
    for level, (ntk, nngp) in enumerate(expected):
        # the same closed forms evaluated in another order: round-off, growing mildly with depth
        np.testing.assert_allclose(kernels.ntk[level], ntk, rtol=1e-12)
        np.testing.assert_allclose(kernels.nngp[level], nngp, rtol=1e-12)


def test_resnet_kernel_stays_data_dependent_where_the_fcn_kernel_degenerates():
    """Huang et al. 2020: with α = L^{-1/2} the deep ResNet NTK keeps its input correlations; the chaotic FCN
    NTK at the same depth is diagonally dominated (κ → 1: correlations → c* ≪ 1 relative to the diagonal)."""
    x = np.random.default_rng(5).normal(size=(16, 8))
    x *= np.sqrt(8) / np.linalg.norm(x, axis=1, keepdims=True)
    depth = 200
    resnet = _spec("resnet", depth=depth, gamma=0.5, sigma_w2=3.0, sigma_b2=0.05)
    fcn = _spec("fcn", depth=depth, sigma_w2=3.0, sigma_b2=0.05)

    def off_diagonal_correlation_spread(network):
        theta = kernels_across_depth(network, x, None, [depth]).ntk[0]
        d = np.sqrt(np.diag(theta))
        corr = theta / np.outer(d, d)
        return np.std(corr[~np.eye(len(x), dtype=bool)])

    input_spread = np.std((x @ x.T / 8)[~np.eye(16, dtype=bool)])
    res_spread = off_diagonal_correlation_spread(Network(resnet, 0))
    fcn_spread = off_diagonal_correlation_spread(Network(fcn, 0))
    # measured: input spread 0.31, ResNet 0.118 (≈ a third of it), FCN 7e-39 (every correlation → the same c*)
    assert res_spread > 0.1 * input_spread, (res_spread, input_spread)
    assert fcn_spread < 1e-6 * input_spread, (fcn_spread, input_spread)
