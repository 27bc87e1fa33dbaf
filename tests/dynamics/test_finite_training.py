"""``experiment=schoenholz2017_trainability`` and the SGD/float32 FiniteTrainer it uses (tiny configs)."""

import jax
import numpy as np
import optax
import pytest

from ntk_bench.dynamics.finite_training import BATCH_STREAM, FiniteTrainer
from ntk_bench.model import Network, model_spec_from_config


def _spec(name, **overrides):
    cfg = {"name": name, "depth": 3, "width": 8, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.05}
    if name == "resnet":
        cfg["gamma"] = 0.5
    return model_spec_from_config({**cfg, **overrides})


# ------------------------------------------------------------------------------------------- the trainer


def test_minibatch_sgd_equals_a_manual_loop_over_the_same_batches():
    """(m/b)-scaled batch loss, one permutation per epoch from the seed's batch key, f_0 kept."""
    rng = np.random.default_rng(0)
    m, b = 12, 4
    x, x_test, y = rng.normal(size=(m, 5)), rng.normal(size=(3, 5)), rng.normal(size=(m, 2))
    sigma_w2, lr, seed, steps = 1.7, 0.01, 5, [2, 7]
    run = FiniteTrainer(Network(_spec("fcn", depth=2), 0, out_dim=2), 2, center=False, batch_size=b).run(
        x, y, x_test, [sigma_w2], 0.05, [lr], [seed], steps
    )
    init_fn, apply_fn, _ = Network(_spec("fcn", depth=2, sigma_w2=sigma_w2), 0, 2).at_depth(2)
    _, params = init_fn(jax.random.PRNGKey(seed), x.shape)
    np.testing.assert_allclose(run.initial_train[0, 0], apply_fn(params, x), rtol=1e-10, atol=1e-12)
    key = jax.random.fold_in(jax.random.PRNGKey(seed), BATCH_STREAM)
    optimizer = optax.sgd(lr)
    state = optimizer.init(params)
    grad = jax.grad(lambda p, xb, yb: (m / b) * 0.5 * ((apply_fn(p, xb) - yb) ** 2).sum())
    for k in range(steps[-1]):
        order = np.asarray(jax.random.permutation(jax.random.fold_in(key, k // (m // b)), m))
        idx = order[(k % (m // b)) * b : (k % (m // b) + 1) * b]
        updates, state = optimizer.update(grad(params, x[idx], y[idx]), state, params)
        params = optax.apply_updates(params, updates)
        if k + 1 in steps:
            j = steps.index(k + 1)
            np.testing.assert_allclose(run.train[0, 0, j], apply_fn(params, x), rtol=1e-9, atol=1e-11)
            np.testing.assert_allclose(run.test[0, 0, j], apply_fn(params, x_test), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["resnet", "cnn_pool"])
def test_scanned_blocks_equal_the_stax_network(name):
    spec = _spec(name)
    ndim = 1 if spec.is_convolutional else 0
    x = np.random.default_rng(1).normal(size=(4, 6, 2) if ndim else (4, 6))
    run = FiniteTrainer(Network(spec, ndim, out_dim=3), 3, center=False).run(
        x, np.zeros((4, 3)), x, [spec.sigma_w2], spec.sigma_b2, [0.0], [2], [0]
    )
    init_fn, apply_fn, _ = Network(spec, ndim, 3).at_depth(3)
    _, params = init_fn(jax.random.PRNGKey(2), x.shape)
    np.testing.assert_allclose(run.train[0, 0, 0], apply_fn(params, x), rtol=1e-10, atol=1e-12)


def test_float32_training_runs_in_float32_and_tracks_float64():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 6)), rng.normal(size=(16, 2))
    net = Network(_spec("fcn", width=32), 0, out_dim=2)
    args = (x, y, x, [1.0, 2.0], 0.05, [0.01, 0.01], [0], [20])
    low = FiniteTrainer(net, 3, batch_size=8, dtype="float32")
    assert all(p.dtype == np.float32 for p in jax.tree_util.tree_leaves(low.init_params([0], x.shape)))
    f32, f64 = low.run(*args), FiniteTrainer(net, 3, batch_size=8).run(*args)
    assert not np.allclose(f32.train, f64.train, rtol=1e-9, atol=0)  # really another precision
    np.testing.assert_allclose(f32.train, f64.train, rtol=1e-3, atol=1e-4)


def _xiao_spec(name, **overrides):
    cfg = {"name": name, "depth": 1, "width": 16, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.18}
    if name.startswith("resnet"):
        cfg.update(name="resnet", alpha=0.6)
        if name == "resnet_conv_pool":
            cfg.update(layer="conv", readout="pool")
    cfg.update(overrides)
    return model_spec_from_config(cfg)


def test_vmapped_finite_training_equals_one_stax_network_trained_alone():
    rng = np.random.default_rng(2)
    x, x_test = rng.normal(size=(10, 6)), rng.normal(size=(4, 6))
    y = rng.normal(size=(10, 3))
    spec = _xiao_spec("fcn", width=16)
    sigmas, lrs, seeds, steps = [0.9, 2.4], [0.02, 0.01], [3], [0, 3]
    run = FiniteTrainer(Network(spec, 0, out_dim=3), 2, center=False).run(
        x, y, x_test, sigmas, 0.18, lrs, seeds, steps
    )
    assert run.train.shape == (2, 1, 2, 10, 3) and not run.diverged.any()
    for b, sigma_w2 in enumerate(sigmas):
        init_fn, apply_fn, _ = Network(_xiao_spec("fcn", width=16, sigma_w2=sigma_w2), 0, 3).at_depth(2)
        for r, seed in enumerate(seeds):
            _, params = init_fn(jax.random.PRNGKey(seed), x.shape)
            optimizer = optax.sgd(lrs[b])
            state = optimizer.init(params)

            grad = jax.jit(jax.grad(lambda p, apply_fn=apply_fn: 0.5 * ((apply_fn(p, x) - y) ** 2).sum()))

            for k in range(steps[-1] + 1):
                if k in steps:
                    j = steps.index(k)
                    np.testing.assert_allclose(
                        run.train[b, r, j], apply_fn(params, x), rtol=1e-10, atol=1e-12
                    )
                    np.testing.assert_allclose(
                        run.test[b, r, j], apply_fn(params, x_test), rtol=1e-10, atol=1e-12
                    )
                updates, state = optimizer.update(grad(params), state, params)
                params = optax.apply_updates(params, updates)
