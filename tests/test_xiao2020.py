"""Xiao et al. 2020 heat maps: σ-traced kernel pass and networks, η conventions, finite training."""

import json
import math

import jax
import numpy as np
import optax
import pytest
import scipy.linalg
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from ntk_bench.analysis.agreement import agreement_by_width
from ntk_bench.analysis.depth_scales import crossing_depth, fit_mean_predictor_decay, fit_proportional
from ntk_bench.cli import CONF_DIR
from ntk_bench.data.transforms import centre_labels_over_train
from ntk_bench.dynamics.finite_training import FiniteTrainer
from ntk_bench.dynamics.kernel_regression import (
    critical_learning_rate,
    discrete_gd,
    evaluate_depths,
    gradient_flow,
    nt_gradient_flow,
    nt_learning_rate,
)
from ntk_bench.errors import ConfigError
from ntk_bench.experiment.xiao2020 import parse_experiment_config
from ntk_bench.kernels import KernelPass, kernels_across_depth
from ntk_bench.model import Network, model_spec_from_config
from ntk_bench.results import load_run
from ntk_bench.runner import run_job
from ntk_bench.spectra import symmetric_eigh

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


def _toy_problem(m=7, n=3, c=2, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(m + n, m + n + 2))
    full = a @ a.T / (m + n)
    return full[:m, :m], full[m:, :m], rng.normal(size=(m, c))


def test_gradient_flow_matches_direct_matrix_exponential_and_neural_tangents_units():
    """f_t(X) = (I − e^{−ηΘt})Y, f_t(x) = Θ_xX Θ⁻¹(I − e^{−ηΘt})Y; nt needs η·|Y| for the same dynamics."""
    k_train, k_test, y = _toy_problem()
    eta = critical_learning_rate(np.linalg.eigvalsh(k_train)[-1])
    times = [0.0, 1.0, 8.0, 64.0]
    ours_train, ours_test = gradient_flow(symmetric_eigh(k_train), y, eta, times, k_test)
    nt_train, nt_test = nt_gradient_flow(k_train, y, eta, times, k_test)
    for i, t in enumerate(times):
        decay = scipy.linalg.expm(-eta * t * k_train)
        direct_train = (np.eye(len(y)) - decay) @ y
        direct_test = k_test @ np.linalg.solve(k_train, direct_train)
        for got in (ours_train[i], nt_train[i]):
            np.testing.assert_allclose(got, direct_train, rtol=0, atol=1e-10)
        for got in (ours_test[i], nt_test[i]):
            np.testing.assert_allclose(got, direct_test, rtol=0, atol=1e-9)
    assert nt_learning_rate(eta, y) == pytest.approx(eta * y.size)
    # passing η itself as neural-tangents' learning_rate trains |Y| times slower: a different prediction
    import neural_tangents as nt

    slow = nt.predict.gradient_descent_mse(k_train, y, learning_rate=eta)(8.0, 0.0)
    assert np.abs(np.asarray(slow) - ours_train[2]).max() > 1e-2


def test_discrete_gd_is_the_gradient_descent_iteration_and_diverges_above_critical():
    k_train, k_test, y = _toy_problem(seed=1)
    decomposition = symmetric_eigh(k_train)
    eta_crit = critical_learning_rate(decomposition.eigenvalues[0])
    for factor in (0.5, 0.99):
        eta = factor * eta_crit
        f, steps, train, test = np.zeros_like(y), [0, 1, 5, 40], [], []
        for k in range(steps[-1] + 1):
            if k in steps:
                train.append(f.copy())
                test.append(k_test @ np.linalg.solve(k_train, f))
            f = f - eta * k_train @ (f - y)
        ours_train, ours_test = discrete_gd(decomposition, y, eta, steps, k_test)
        np.testing.assert_allclose(ours_train, np.stack(train), rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours_test, np.stack(test), rtol=0, atol=1e-7)
    below, _ = discrete_gd(decomposition, y, 0.99 * eta_crit, [2000])
    above, _ = discrete_gd(decomposition, y, 1.01 * eta_crit, [2000])
    assert np.abs(below - y).max() < 1e-3 * np.abs(y).max()
    assert np.abs(above).max() > 1e3 * np.abs(y).max()


def test_vmapped_finite_training_equals_one_stax_network_trained_alone():
    rng = np.random.default_rng(2)
    x, x_test = rng.normal(size=(10, 6)), rng.normal(size=(4, 6))
    y = rng.normal(size=(10, 3))
    spec = _spec("fcn", width=16)
    sigmas, lrs, seeds, steps = [0.9, 2.4], [0.02, 0.01], [3], [0, 3]
    run = FiniteTrainer(Network(spec, 0, out_dim=3), 2, center=False).run(
        x, y, x_test, sigmas, 0.18, lrs, seeds, steps
    )
    assert run.train.shape == (2, 1, 2, 10, 3) and not run.diverged.any()
    for b, sigma_w2 in enumerate(sigmas):
        init_fn, apply_fn, _ = Network(_spec("fcn", width=16, sigma_w2=sigma_w2), 0, 3).at_depth(2)
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


def test_depth_scale_helpers():
    depths = np.array([0, 1, 2, 4, 8])
    assert crossing_depth(depths, [1.0, 0.9, 0.8, 0.4, 0.1], 0.5) == pytest.approx(2 + 2 * 0.3 / 0.4)
    assert crossing_depth(depths, [0.2, 0.9, 0.8, 0.4, 0.1], 0.5) == pytest.approx(2 + 2 * 0.3 / 0.4)
    assert math.isnan(crossing_depth(depths, [0.2, 0.3, 0.1, 0.1, 0.1], 0.5))  # never trainable: undefined
    assert math.isnan(crossing_depth(depths, [1.0, 0.9, 0.8, 0.7, 0.6], 0.5))
    fit = fit_proportional([1, 2, 3, np.nan], [2.0, 4.0, 6.0, 5.0])
    assert fit.constant == pytest.approx(2.0) and fit.r_squared == pytest.approx(1.0) and fit.n_points == 3
    ell = np.arange(1, 30)
    decay = fit_mean_predictor_decay(ell, 3.0 * ell * np.exp(-0.3 * ell), -0.3)
    assert decay.fitted_rate == pytest.approx(-0.3) and decay.ratio == pytest.approx(1.0)
    scores = agreement_by_width([8, 32], np.array([[0.2, -0.1], [0.01, 0.0]]), np.array([[0.5], [0.2]]), 0.05)
    assert scores["agreement"] == [0.0, 1.0] and scores["output_error_decreases_with_width"]


# ------------------------------------------------------------------------------------ the experiment

TINY = [
    "tracker=none",
    "data.n_train=64",
    "data.n_test=64",
    "experiment.n_test=null",
    "experiment.sigma_w2=[0.5,1.0,2.5,3.0]",
    "experiment.depths=[0,1,2,4,8,16,32]",
    "experiment.times=[1,64,4096]",
    "experiment.workers=1",
]


def _config(overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return OmegaConf.to_container(compose(config_name="config", overrides=overrides), resolve=True)


@pytest.fixture(scope="module")
def fcn_run(tmp_path_factory):
    job_dir = tmp_path_factory.mktemp("xiao2020_fcn")
    run_job(_config(["experiment=xiao2020_fcn", *TINY]), job_dir)
    return load_run(job_dir)


def test_fcn_end_to_end_writes_maps_figures_and_theory(fcn_run):
    arrays, summary = fcn_run.arrays, fcn_run.document["summary"]
    assert arrays["fcn/train_accuracy"].shape == (4, 7, 3)
    assert arrays["fcn/train_accuracy"].dtype == np.float64
    for key in ("eta", "eta_nt", "lambda_max", "lambda_bulk", "kappa_bulk", "mean_predictor_rms"):
        assert arrays[f"fcn/{key}"].shape == (4, 7)
    np.testing.assert_allclose(arrays["fcn/eta"] * arrays["fcn/lambda_max"], 2.0, rtol=1e-12)  # η = 2/λ_max
    np.testing.assert_allclose(arrays["fcn/eta_nt"], arrays["fcn/eta"] * 64 * 10, rtol=1e-12)  # η·|Y|
    assert summary["fcn"]["crosscheck_max_rel_error"] < 1e-8  # spectral closed form == nt's predictor
    assert summary["theory"]["phase"] == ["ordered", "ordered", "chaotic", "chaotic"]
    assert 1.7 < summary["theory"]["critical_sigma_w2"] < 1.8
    for name in ("heatmaps_fcn", "spectra_fcn", "depth_scales_fcn", "time_dependence_fcn"):
        for suffix in (".png", ".svg"):
            assert (fcn_run.path / f"{name}{suffix}").stat().st_size > 0
    # finite networks at depth are experiment=schoenholz2017_trainability's
    assert "finite_width" not in summary["fcn"]


def test_ordered_deep_columns_do_not_train_at_small_t_and_chaotic_deep_columns_do_not_generalize(fcn_run):
    train, test = fcn_run.arrays["fcn/train_accuracy"], fcn_run.arrays["fcn/test_accuracy"]
    depth = {d: i for i, d in enumerate(fcn_run.arrays["depths"])}
    # ordered σ_w² = 0.5 (ξ_1 ≈ 1.2): trains when shallow, stuck near the majority class when deep
    assert train[0, depth[1], 1] > 0.9
    assert train[0, depth[32], 1] < 0.3
    # chaotic σ_w² = 3.0 (ξ_* ≈ 2.4): deep networks still fit the training set, but test accuracy is at chance
    assert train[3, depth[32], 2] == 1.0
    assert test[3, depth[2], 2] > 0.5
    chance = fcn_run.document["summary"]["chance_accuracy"]
    assert test[3, depth[32], 2] <= chance + 0.05


def test_above_critical_rate_is_refused_without_the_flag_and_reported_divergent_with_it(tmp_path):
    with pytest.raises(ConfigError, match="above the critical rate.*allow_above_critical"):
        parse_experiment_config(
            {"name": "x", "sigma_w2": [1.0], "depths": [1], "times": [1], "lr_factor": 1.5}
        )
    overrides = [
        "experiment=xiao2020_fcn",
        *TINY,
        "experiment.lr_factor=1.5",
        "experiment.allow_above_critical=true",
        "experiment.sigma_w2=[1.0]",
        "experiment.depths=[1,2]",
    ]
    run_job(_config(overrides), tmp_path)
    run = load_run(tmp_path)
    assert run.arrays["fcn/divergent"].all()
    assert np.isnan(run.arrays["fcn/train_accuracy"]).all()
    assert run.document["summary"]["fcn"]["divergent_cells"] == 2


BASE = {"name": "x", "sigma_w2": [1.0, 2.0], "depths": [0, 1], "times": [1, 8]}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"sigma_w2": []}, "experiment.sigma_w2 is empty"),
        ({"sigma_w2": [2.0, 1.0]}, "must be strictly increasing"),
        ({"sigma_w2": {"start": 3.0, "stop": 1.0, "num": 4}}, "must be < stop"),
        ({"sigma_w2": None, "sigma_w2_range": {"start": 1.0, "stop": 2.0}}, "sigma_w2_range.num"),
        ({"sigma_w2": [0.0, 1.0]}, "σ_w² > 0"),
        ({"depths": []}, "experiment.depths is empty"),
        ({"depths": [4, 2]}, "strictly increasing"),
        ({"times": []}, "experiment.times is empty"),
        ({"times": [8, 1]}, "strictly increasing"),
        ({"times": None}, "must be a list"),
        ({"models": ["mlp"]}, "unknown experiment.models entry 'mlp'"),
        ({"predictor": "exact"}, "unknown experiment.predictor"),
        ({"labels": "centered"}, "unknown experiment.labels"),
        ({"typo": 1}, "unknown key experiment.typo"),
        ({"finite": {"enabled": True}}, "unknown key experiment.finite"),
        ({"analysis": {"time": 3}}, "must be one of experiment.times"),
    ],
)
def test_bad_experiment_config_is_a_one_line_config_error(change, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        parse_experiment_config({**BASE, **change})
    assert "\n" not in str(info.value)


def test_cnn_on_flat_data_is_refused(tmp_path):
    overrides = [
        "experiment=xiao2020_cnn",
        "tracker=none",
        "data=synthetic",
        "experiment.n_train=null",
        "experiment.n_test=null",
        "experiment.downsample=1",
    ]
    with pytest.raises(ConfigError, match="is a CNN and needs image or signal inputs") as info:
        run_job(_config(overrides), tmp_path)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "results.json").exists()


def test_cli_bad_grid_exits_2_with_one_line(cli_bad_input):
    errors = cli_bad_input("experiment=xiao2020_fcn", "tracker=none", "experiment.times=[]")
    assert errors == [
        "ntk-bench: error: experiment.times is empty;"
        " give increasing training times t >= 0 (full-batch steps)"
    ]


def test_results_json_is_loadable(fcn_run):
    document = json.loads((fcn_run.path / "results.json").read_text())
    assert document["axis"] == "sigma_w2" and document["series"]["sigma_w2"] == [0.5, 1.0, 2.5, 3.0]


def test_deep_chaotic_mean_predictor_collapses_to_the_majority_class_unless_labels_are_train_centred():
    """The mechanism behind the chaotic-side test-accuracy collapse of the infinite-width maps: with labels as
    given, Θ_xX Θ⁻¹ Y carries the constant-mode term Θ_xX 1 (1ᵀΘ⁻¹Y) ∝ the training class counts, which
    dominates deep in the chaotic phase; with 1ᵀY = 0 (labels centred over the training set) it is gone."""
    from ntk_bench.data import load_dataset

    data = load_dataset({"name": "digits", "n_train": 48, "n_test": 96}).flat()
    centred = centre_labels_over_train(data)
    np.testing.assert_allclose(centred.y_train.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_array_equal(centred.y_train.argmax(1), data.y_train.argmax(1))  # same classes
    spec = model_spec_from_config(
        {"name": "fcn", "depth": 1, "width": 256, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.18}
    )
    depths = [3, 60]
    kernel_pass = KernelPass(Network(spec, 0))
    train = kernel_pass.across_depth(data.x_train, None, depths, 3.0, 0.18).ntk
    test = kernel_pass.across_depth(data.x_test, data.x_train, depths, 3.0, 0.18).ntk
    majority = np.bincount(data.labels_train).argmax()
    share, acc_given, acc_centred = [], [], []
    for k_train, k_test in zip(train, test, strict=True):
        given = (k_test @ np.linalg.solve(k_train, data.y_train)).argmax(1)
        fixed = (k_test @ np.linalg.solve(k_train, centred.y_train)).argmax(1)
        share.append(np.mean(given == majority))
        acc_given.append(np.mean(given == data.labels_test))
        acc_centred.append(np.mean(fixed == data.labels_test))
    # depth 60 = 25·ξ_* at σ_w² = 3: every test point gets the majority training class ...
    assert share[1] == 1.0 and share[0] < 0.5, share
    # ... while the centred labels keep the shallow accuracy (digits, m = 48: ~0.8; chance ~0.18)
    assert acc_centred[1] > 0.6 and acc_given[1] < 0.2, (acc_given, acc_centred)


def test_a_nonfinite_kernel_cell_is_divergent_and_every_value_is_nan():
    train, test, y = _toy_problem()
    labels_train, labels_test = y.argmax(1), np.array([0, 1, 0])
    train_k = np.stack([train, train, train])
    test_k = np.stack([test, test, test])
    train_k[1, 0, 0] = np.nan  # one NaN entry at the middle depth
    test_k[2, 1, 2] = np.inf  # one Inf in the cross kernel at the last depth
    out = evaluate_depths(train_k, test_k, y, labels_train, labels_test, [1, 8])
    np.testing.assert_array_equal(out.nonfinite_kernel, [False, True, True])
    np.testing.assert_array_equal(out.divergent, [False, True, True])
    for field in ("eta", "lambda_max", "lambda_min", "kappa_bulk", "mean_predictor_rms"):
        values = getattr(out, field)
        assert np.isfinite(values[0]) and np.isnan(values[1:]).all(), field
    assert np.isnan(out.train_accuracy[1:]).all() and np.isfinite(out.train_accuracy[0]).all()
