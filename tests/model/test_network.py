"""Xiao et al. 2020 heat maps: σ-traced kernel pass and networks, η conventions, finite training."""

import math

import jax
import numpy as np
import pytest

from ntk_bench.data import load_dataset
from ntk_bench.data.transforms import resample_signals
from ntk_bench.errors import ConfigError
from ntk_bench.kernels import KernelPass, kernels_across_depth
from ntk_bench.model import Network, model_spec_from_config, require_input_fits

SPECS = [
    ("fcn", (12,)),
    ("cnn_flatten", (4, 4, 2)),
    ("cnn_pool", (3, 3, 1)),
    ("cnn_pool", (5, 2)),  # 1-D signals
    ("resnet", (12,)),
    ("resnet_conv_pool", (6, 2)),  # 1-D signals, residual convolutions
]


def _spec(name, **overrides):
    cfg = {"name": name, "depth": 1, "width": 16, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.18}
    if name.startswith("resnet"):
        cfg.update(name="resnet", alpha=0.6)
        if name == "resnet_conv_pool":
            cfg.update(layer="conv", readout="pool")
    cfg.update(overrides)
    return model_spec_from_config(cfg)


def _spatial(name, shape):
    return len(shape) - 1 if _spec(name).is_convolutional else 0


@pytest.mark.parametrize(("name", "shape"), SPECS)
def test_traced_sigma_kernels_equal_neural_tangents_network_with_fixed_sigma(name, shape):
    """One pass with σ traced (and the fast circular-conv kernel) == neural-tangents' own layers, σ fixed."""
    rng = np.random.default_rng(0)
    x, x_test = rng.normal(size=(5, *shape)), rng.normal(size=(3, *shape))
    depths = [0, 1, 3] if name == "fcn" else [0, 2]
    kernel_pass = KernelPass(Network(_spec(name), _spatial(name, shape)))
    # ordered and chaotic σ_w² for the FCN (one compilation serves both); neural-tangents' own CIRCULAR conv
    # kernel compiles slowly, so the CNN references use one chaotic σ_w².
    for sigma_w2 in (0.8, 2.6) if name == "fcn" else (2.6,):
        fixed = Network(_spec(name, sigma_w2=sigma_w2), _spatial(name, shape), fast_kernels=False)
        ref_train = kernels_across_depth(fixed, x, None, depths)
        ref_test = kernels_across_depth(fixed, x_test, x, depths)
        train = kernel_pass.across_depth(x, None, depths, sigma_w2, 0.18, block_size=4)  # padded blocks
        test = kernel_pass.across_depth(x_test, x, depths, sigma_w2, 0.18)
        for ours, ref in ((train, ref_train), (test, ref_test)):
            for kind in ("ntk", "nngp"):
                expected = getattr(ref, kind)
                scale = np.abs(expected).max()
                np.testing.assert_allclose(getattr(ours, kind), expected, rtol=0, atol=1e-13 * scale)


@pytest.mark.parametrize(("name", "shape"), SPECS)
def test_traced_sigma_forward_pass_equals_neural_tangents_network(name, shape):
    spec = _spec(name, sigma_w2=2.2)
    nd = _spatial(name, shape)
    x = np.random.default_rng(1).normal(size=(5, *shape))
    init_fn, apply_fn, _ = Network(spec, nd, out_dim=3, fast_kernels=False).at_depth(2)
    _, params = init_fn(jax.random.PRNGKey(0), x.shape)
    network = Network(spec, nd, out_dim=3)
    _, ours_params = network.at_depth(2, 1.0, 1.0)[0](jax.random.PRNGKey(0), x.shape)
    # NTK parameterization: the same N(0, 1) draws whatever σ is
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(ours_params), strict=True):
        np.testing.assert_array_equal(a, b)
    ours = network.at_depth(2, math.sqrt(2.2), math.sqrt(0.18))[1](params, x)
    np.testing.assert_allclose(ours, apply_fn(params, x), rtol=1e-13, atol=1e-13)


MNIST1D = {"name": "mnist1d", "n_train": 40, "n_test": 30, "seed": 3}


def test_a_filter_longer_than_the_signal_is_refused():
    cfg = {"name": "cnn_pool", "depth": 1, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.1}
    cfg["filter_size"] = 5
    spec = model_spec_from_config(cfg)
    short = resample_signals(load_dataset(MNIST1D), 4)
    with pytest.raises(ConfigError, match=r"model.filter_size=5 is larger than the input's spatial size 4"):
        require_input_fits(spec, short.spatial_shape, short.name, "experiment.models entry cnn_pool")
