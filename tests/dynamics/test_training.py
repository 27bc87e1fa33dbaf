"""Vectorisation over seeds/runs (``vectorize: vmap | loop | auto``): same numbers whichever mode runs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ntk_bench.dynamics.deviation import layer_names
from ntk_bench.dynamics.training import (
    FullBatchRuns,
    OptimizerSpec,
    PairTrainer,
    over_runs,
    probe_vectorize,
    stack_for_runs,
    train_losses,
    unstack,
)
from ntk_bench.errors import ConfigError


@pytest.fixture(scope="module")
def small(tiny_fcn_problem):
    return tiny_fcn_problem(out_dim=2, seeds=3, rng_seed=7)


def test_full_batch_runs_are_the_same_in_every_mode(small):
    model, data, variables = small
    runs = stack_for_runs(variables, 2)
    lrs = np.tile([0.5, 1e6], 3)  # a diverging lane must not leak into the others in either mode
    out = {
        mode: FullBatchRuns(model.apply, data.x_train, data.y_train, 6, max_parallel=4, vectorize=mode)(
            runs, lrs, keep_params=True
        )
        for mode in ("vmap", "loop", "auto")
    }
    for mode in ("loop", "auto"):
        np.testing.assert_allclose(out[mode][0], out["vmap"][0], rtol=1e-12, atol=0)
        mine, ref = (jax.tree_util.tree_leaves(out[m][1]) for m in (mode, "vmap"))
        for a, b in zip(mine, ref, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert out["vmap"][0].shape == (6, 7)
    assert np.all(np.isfinite(out["vmap"][0][0::2])) and out["vmap"][0][0, -1] < out["vmap"][0][0, 0]


def test_auto_probes_once_per_shape_and_reports(small):
    model, data, variables = small
    runs = FullBatchRuns(model.apply, data.x_train, data.y_train, 4, vectorize="auto")
    runs(variables, [0.1, 0.2, 0.3])
    runs(variables, [0.3, 0.2, 0.1])  # same shapes: no second probe
    assert len(runs.vectorizer.probes) == 1
    report = runs.vectorizer.probes[0]
    assert set(report.probe_times) == {"vmap", "loop"} and report.chosen in ("vmap", "loop")
    assert report.chosen == min(report.probe_times, key=report.probe_times.get)
    times = {"slow": lambda: jax.numpy.ones(3) + sum(np.ones(200_000)), "fast": lambda: jnp.ones(3)}
    assert probe_vectorize(times, repeats=1).chosen == "fast"


def test_pair_trainer_loop_equals_vmap(small):
    model, data, variables = small
    layers = layer_names(unstack(variables, 0))
    spec = OptimizerSpec("sgd", 0.3, batch_size=4, momentum=0.5)
    got = {}
    for mode in ("vmap", "loop"):
        trainer = PairTrainer(model.apply, data, spec, layers, vectorize=mode)
        state, metrics = trainer.advance(trainer.init(variables, [0, 1, 2]), 3)
        got[mode] = (metrics, trainer.metrics(state))
    for key in got["vmap"][0]:
        np.testing.assert_allclose(got["loop"][0][key], got["vmap"][0][key], rtol=1e-11, atol=1e-14)
    for key in got["vmap"][1]:
        np.testing.assert_allclose(got["loop"][1][key], got["vmap"][1][key], rtol=1e-11, atol=1e-14)


def test_bad_vectorize_is_a_config_error(small):
    model, data, _ = small
    with pytest.raises(ConfigError, match="unknown vectorize 'pmap'; allowed: vmap, loop, auto"):
        FullBatchRuns(model.apply, data.x_train, data.y_train, 2, vectorize="pmap")
    with pytest.raises(ConfigError, match="unknown vectorize mode 'auto'"):
        over_runs(lambda a: a, "auto")


def test_pair_trainer_auto_probes_once_and_matches(small):
    model, data, variables = small
    layers = layer_names(unstack(variables, 0))
    spec = OptimizerSpec("gd", 0.3)
    auto = PairTrainer(model.apply, data, spec, layers, vectorize="auto")
    fixed = PairTrainer(model.apply, data, spec, layers, vectorize="vmap")
    state_a, got = auto.advance(auto.init(variables, [0, 1, 2]), 2)
    _, again = auto.advance(state_a, 2)
    _, want = fixed.advance(fixed.init(variables, [0, 1, 2]), 2)
    assert len(auto.vectorizer.probes) == 1 and auto.vectorizer.chosen()[0] in ("vmap", "loop")
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-11, atol=1e-14)
    assert again["train_loss"].shape == (3, 2)


@pytest.fixture(scope="module")
def tiny(tiny_fcn_problem):
    return tiny_fcn_problem(out_dim=1, seeds=2, rng_seed=5)


def test_vmapped_seeds_equal_separate_runs_and_sgd_is_reproducible(tiny):
    model, data, variables = tiny
    layers = layer_names(unstack(variables, 0))
    trainer = PairTrainer(model.apply, data, OptimizerSpec("sgd", 0.5, batch_size=3, momentum=0.5), layers)
    _, both = trainer.advance(trainer.init(variables, [0, 1]), 3)
    _, alone = trainer.advance(trainer.init(jax.tree_util.tree_map(lambda a: a[1:], variables), [1]), 3)
    for key in both:  # seed 1's minibatches and trajectory do not depend on what else is in the batch
        np.testing.assert_allclose(both[key][1], alone[key][0], rtol=1e-10, atol=1e-13)
    with pytest.raises(ConfigError, match="batch_size=9 exceeds"):
        PairTrainer(model.apply, data, OptimizerSpec("sgd", 0.5, batch_size=9), layers)
    with pytest.raises(ConfigError, match="sgd needs an integer batch_size"):
        OptimizerSpec("sgd", 0.5)
    with pytest.raises(ConfigError, match="unknown optimizer 'adam'"):
        OptimizerSpec("adam", 0.5)


def test_train_losses_runs_each_learning_rate_in_its_own_lane(tiny):
    model, data, variables = tiny
    runs = stack_for_runs(variables, 3)  # run r = (seed r // 3, lr r % 3)
    lrs = np.tile([0.1, 1.0, 1e6], 2)
    chunked = train_losses(model.apply, runs, data.x_train, data.y_train, lrs, 5, max_parallel=4)
    whole = train_losses(model.apply, runs, data.x_train, data.y_train, lrs, 5)
    np.testing.assert_allclose(chunked, whole, rtol=1e-12)
    assert chunked.shape == (6, 6)
    assert np.all(np.isfinite(chunked[[0, 1, 3, 4]]))
    assert chunked[0, -1] < chunked[0, 0]
    assert chunked[2, -1] > chunked[2, 0] or not np.isfinite(chunked[2, -1])  # huge step: no convergence
