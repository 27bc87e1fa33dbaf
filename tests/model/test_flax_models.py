"""Flax twins compute the stax networks' functions, and their wide empirical NTK matches the analytic one."""

import math
import textwrap

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ntk_bench.dynamics.deviation import relative_frobenius
from ntk_bench.errors import ConfigError
from ntk_bench.kernels import kernels_across_depth
from ntk_bench.kernels.empirical import EmpiricalNTK
from ntk_bench.model import ACTIVATIONS, Network, model_spec_from_config
from ntk_bench.model.flax_models import (
    FlaxModel,
    activation_fn,
    flax_model_from_config,
    flax_twin,
    load_flax_module,
)


def _spec(name, **overrides):
    cfg = {"name": name, "depth": 2, "width": 6, "activation": "erf", "sigma_w2": 1.7, "sigma_b2": 0.2}
    if name == "resnet":
        cfg["gamma"] = 0.5
    cfg.update(overrides)
    return model_spec_from_config(cfg)


def stax_to_flax(stax_params, depth, stem=False):
    """Map the parameters of ``serial(stem, block^depth, readout)`` onto the twin's tree.

    The stax leaves are (W, b) pairs in network order: [stem,] block_1 … block_<depth>, readout.
    """
    leaves = jax.tree_util.tree_leaves(stax_params)
    pairs = [(leaves[i], leaves[i + 1]) for i in range(0, len(leaves), 2)]
    names = (["stem"] if stem else []) + [f"block_{i + 1}" for i in range(depth)] + ["readout"]
    assert len(pairs) == len(names)
    params = {name: {"kernel": w, "bias": b.reshape(-1)} for name, (w, b) in zip(names, pairs, strict=True)}
    return {"params": params}


TWIN_CASES = [
    ("resnet", (12,), "CIRCULAR", 3, "ntk"),
    ("resnet", (12,), "CIRCULAR", 3, "standard"),  # α enters the standard parameterization's init std
    ("fcn", (12,), "CIRCULAR", 3, "ntk"),
    ("fcn", (12,), "CIRCULAR", 3, "standard"),
    ("cnn_flatten", (5, 5, 2), "CIRCULAR", 3, "ntk"),
    ("cnn_flatten", (5, 4, 1), "SAME", 2, "standard"),  # even filter: asymmetric SAME padding
    ("cnn_pool", (6, 3), "CIRCULAR", 3, "standard"),  # 1-D signals
    ("cnn_pool", (6, 6, 1), "VALID", 3, "ntk"),
]


@pytest.mark.parametrize(("name", "shape", "padding", "filter_size", "parameterization"), TWIN_CASES)
def test_twin_is_the_stax_function_of_the_same_parameters(
    name, shape, padding, filter_size, parameterization
):
    spec = _spec(name, parameterization=parameterization, padding=padding, filter_size=filter_size)
    spatial = len(shape) - 1 if spec.is_convolutional else 0
    init, apply, _ = Network(spec, spatial, out_dim=3).at_depth(spec.depth)
    x = jax.random.normal(jax.random.PRNGKey(0), (4, *shape))
    _, stax_params = init(jax.random.PRNGKey(1), x.shape)
    twin = flax_twin(spec, out_dim=3)
    mapped = stax_to_flax(stax_params, spec.depth, stem=name == "resnet")
    own = jax.eval_shape(twin.init, jax.random.PRNGKey(2), x)
    assert jax.tree_util.tree_structure(own) == jax.tree_util.tree_structure(mapped)
    for a, b in zip(jax.tree_util.tree_leaves(own), jax.tree_util.tree_leaves(mapped), strict=True):
        assert a.shape == b.shape and a.dtype == jnp.float64
    # Same parameters → same outputs to round-off, hence the same Jacobian and empirical NTK.
    ours, theirs = jax.jit(twin.apply)(mapped, x), jax.jit(apply)(stax_params, x)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_twin_empirical_ntk_equals_stax_empirical_ntk():
    spec = _spec("cnn_pool", parameterization="standard")
    init, apply, _ = Network(spec, 2, out_dim=2).at_depth(spec.depth)
    x = jax.random.normal(jax.random.PRNGKey(0), (5, 4, 4, 1))
    _, stax_params = init(jax.random.PRNGKey(1), x.shape)
    twin = flax_twin(spec, out_dim=2)
    ours = EmpiricalNTK(twin.apply, implementation="structured_derivatives", trace_axes=())(
        stax_to_flax(stax_params, spec.depth), x
    )
    theirs = EmpiricalNTK(apply, implementation="jacobian_contraction", trace_axes=())(stax_params, x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12 * np.abs(theirs).max())


# Wide empirical vs analytic NTK. Θ̂ is a sum over n hidden units of O(1/n) terms, so its relative error is
# ~C/√n with C of order one (fluctuation) plus O(1/n) (bias). C measured on these cases (mean of 2 seeds):
# 1.4-1.5 for the FCNs (6 inputs), 0.75 for the CNNs; 2.7 for the FCN on 32 digits (jacot2018_convergence),
# single-draw spread about ±30% across seeds. Bound used: error ≤ 5/√n (≥ 1.8× every measured C), and for the
# FCN also the drop from n/16 to n, expected 4× (n^-1/2), required ≥ 2×.
WIDE_CASES = [
    ("fcn", (10,), "ntk", 2048),
    ("fcn", (10,), "standard", 2048),
    ("cnn_flatten", (3, 3, 1), "ntk", 128),
    ("cnn_pool", (5, 2), "ntk", 128),  # 1-D signals keep the full spatial covariance of CNN-P small
    ("resnet", (10,), "ntk", 2048),
    ("resnet", (10,), "standard", 2048),
]


def _relative_error(spec, x, width, seeds=(0, 1)):
    spec = model_spec_from_config({**spec.__dict__, "width": width})
    model = FlaxModel(flax_twin(spec, 1), spec, not spec.is_convolutional, spec.name)
    xs = np.asarray(model.prepare(x))
    analytic = kernels_across_depth(model.stax_network(x.ndim - 2), xs, None, [spec.depth]).ntk[0]
    ntk = EmpiricalNTK(model.apply, implementation="structured_derivatives")
    return float(
        np.mean([relative_frobenius(ntk(model.init(jax.random.PRNGKey(s), xs), xs), analytic) for s in seeds])
    )


@pytest.mark.parametrize(("name", "shape", "parameterization", "width"), WIDE_CASES)
def test_wide_empirical_ntk_matches_the_analytic_kernel(name, shape, parameterization, width):
    spec = _spec(name, parameterization=parameterization, width=width)
    x = jax.random.normal(jax.random.PRNGKey(3), (6, *shape))
    x = x / jnp.linalg.norm(x.reshape(6, -1), axis=1).reshape(-1, *([1] * len(shape))) * math.sqrt(x[0].size)
    error = _relative_error(spec, x, width)
    assert error <= 5 / math.sqrt(width), error
    if name == "fcn" and parameterization == "ntk":
        narrow = _relative_error(spec, x, width // 16)
        assert error <= narrow / 2, (narrow, error)


@pytest.mark.parametrize("name", ["fcn", "resnet"])  # resnet: α scales the branches' init std
def test_fast_init_has_the_distribution_of_module_init(name):
    spec = _spec(name, width=200, parameterization="standard", sigma_b2=0.3, depth=4)
    model = FlaxModel(flax_twin(spec, 2), spec, True, name)
    x = jnp.ones((2, 30))
    fast = model.init(jax.random.PRNGKey(0), x)
    slow = model.module.init(jax.random.PRNGKey(0), x)
    assert jax.tree_util.tree_structure(fast) == jax.tree_util.tree_structure(slow)
    for (path, a), b in zip(
        jax.tree_util.tree_flatten_with_path(fast)[0], jax.tree_util.tree_leaves(slow), strict=True
    ):
        assert a.shape == b.shape
        if a.size >= 200:  # std of ≥ 200 Gaussians: relative standard error ≤ 1/√400 = 5%
            assert abs(float(jnp.std(a)) / float(jnp.std(b)) - 1) < 0.15, jax.tree_util.keystr(path)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_is_the_registry_function(name):
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(activation_fn(name)(jnp.asarray(x)), ACTIVATIONS[name].fn(x), atol=1e-12)


USER_MODULE = textwrap.dedent(
    """
    import flax.linen as nn
    import jax.numpy as jnp

    class TinyMLP(nn.Module):
        width: int = 8
        out: int = 1

        @nn.compact
        def __call__(self, x):
            x = jnp.tanh(nn.Dense(self.width, param_dtype=jnp.float64, name="hidden")(x))
            return nn.Dense(self.out, param_dtype=jnp.float64, name="head")(x)

    NOT_A_MODULE = 3
    """
)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_user_nets.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_user_nets:TinyMLP"


def test_user_flax_module_from_config(user_module):
    cfg = {"flax_module": user_module, "flax_kwargs": {"out": 3}, "flatten_input": True}
    model = flax_model_from_config(cfg, spatial_ndim=2, out_dim=3, width=16)
    assert model.spec is None and model.module.width == 16 and model.module.out == 3
    x = jnp.ones((5, 4, 4, 1))
    variables = model.init(jax.random.PRNGKey(0), x)
    assert set(variables["params"]) == {"hidden", "head"}
    assert model.apply(variables, model.prepare(x)).shape == (5, 3)
    with pytest.raises(ConfigError, match="no analytic kernel"):
        model.stax_network(2)


@pytest.mark.parametrize(
    ("path", "kwargs", "fragment"),
    [
        ("my_user_nets.TinyMLP", {}, "must be a 'package.module:ClassName' path"),
        ("no_such_package_xyz:Net", {}, "cannot import"),
        ("my_user_nets:NOT_A_MODULE", {}, "is not a flax.linen.Module"),
        ("my_user_nets:TinyMLP", {"depth": 3}, "do not fit"),
    ],
)
def test_bad_user_modules_are_one_line_config_errors(user_module, path, kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment) as err:
        load_flax_module(path, kwargs)
    assert "\n" not in str(err.value)


def test_convolutional_twin_needs_spatial_inputs():
    with pytest.raises(ConfigError, match="spatial axes"):
        flax_model_from_config({**_spec("cnn_pool").__dict__}, spatial_ndim=0, out_dim=1)
    assert isinstance(flax_twin(_spec("fcn"), 1), nn.Module)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"flax_module": "no path"}, "model.flax_module='no path' must be a 'package.module:ClassName'"),
        ({"flatten_input": 1}, "model.flatten_input=1 must be true or false"),
        ({"width_kwarg": ""}, "model.width_kwarg='' must be a non-empty string"),
        ({"flax_kwargs": [1]}, "model.flax_kwargs=[1] must be a mapping"),
        ({"flax_kwarg": {}}, "unknown key model.flax_kwarg; allowed: flax_module, flax_kwargs"),
    ],
)
def test_user_module_keys_are_a_schema_with_one_line_errors(user_module, extra, message):
    cfg = {"name": "fcn", "depth": 2, "flax_module": user_module, **extra}
    with pytest.raises(ConfigError) as err:
        flax_model_from_config(cfg, spatial_ndim=2, out_dim=3, width=16)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
