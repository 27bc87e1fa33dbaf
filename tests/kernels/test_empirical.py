"""Blocked empirical NTK: equal to the unblocked kernel, all implementations agree, ``auto`` probes once."""

import jax
import numpy as np
import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.kernels.empirical import IMPLEMENTATIONS, EmpiricalNTK
from ntk_bench.model import model_spec_from_config
from ntk_bench.model.flax_models import FlaxModel, flax_twin


@pytest.fixture(scope="module")
def cnn():
    spec = model_spec_from_config(
        {
            "name": "cnn_flatten",
            "depth": 1,
            "width": 4,
            "activation": "relu",
            "sigma_w2": 2.0,
            "sigma_b2": 0.1,
        }
    )
    model = FlaxModel(flax_twin(spec, 3), spec, False, "cnn_flatten")
    x = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (7, 3, 3, 1)))
    x2 = np.asarray(jax.random.normal(jax.random.PRNGKey(1), (5, 3, 3, 1)))
    return model, model.init(jax.random.PRNGKey(2), x), x, x2


@pytest.mark.parametrize("trace_axes", [(-1,), ()])
def test_blocks_and_mirroring_reproduce_the_whole_kernel(cnn, trace_axes):
    model, params, x, x2 = cnn
    whole = EmpiricalNTK(
        model.apply, implementation="jacobian_contraction", block_size=64, trace_axes=trace_axes
    )
    blocked = EmpiricalNTK(
        model.apply, implementation="jacobian_contraction", block_size=3, trace_axes=trace_axes
    )
    reference = whole(params, x)
    assert reference.shape == ((7, 7) if trace_axes else (7, 7, 3, 3))
    np.testing.assert_allclose(blocked(params, x), reference, rtol=1e-12, atol=1e-13)  # uneven, padded blocks
    np.testing.assert_allclose(blocked(params, x2, x), whole(params, x2, x), rtol=1e-12, atol=1e-13)
    full = reference if not trace_axes else None
    if full is not None:  # the full kernel is symmetric under (x, k) ↔ (x', k')
        np.testing.assert_allclose(full, full.transpose(1, 0, 3, 2), atol=1e-13)


def test_implementations_agree_and_auto_probes_once(cnn):
    model, params, x, _ = cnn
    auto = EmpiricalNTK(model.apply, implementation="auto", block_size=7, probe_points=7, prune_factor=1e9)
    chosen = auto(params, x)  # the probe compiles every implementation on this very shape: reused below
    kernels = {name: np.asarray(auto.kernel_fn(name)(x, None, params)) for name in IMPLEMENTATIONS}
    scale = np.abs(kernels["jacobian_contraction"]).max()
    for kernel in [*kernels.values(), chosen]:
        np.testing.assert_allclose(kernel, kernels["jacobian_contraction"], rtol=0, atol=1e-12 * scale)
    auto(params, x)
    assert len(auto.probes) == 1  # cached per model shape
    report = auto.probes[0]
    assert report.chosen in IMPLEMENTATIONS and report.chosen in report.probe_times
    assert set(report.flops) | set(report.failed) == set(IMPLEMENTATIONS)
    assert report.chosen == min(
        report.block_times or report.probe_times, key=(report.block_times or report.probe_times).get
    )


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="unknown empirical NTK implementation 'fast'; allowed:"):
        EmpiricalNTK(lambda p, x: x, implementation="fast")
    with pytest.raises(ConfigError, match="block_size=0"):
        EmpiricalNTK(lambda p, x: x, block_size=0)
