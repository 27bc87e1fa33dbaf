"""The CNN half of Xiao et al. 2020 on 1-D signals: stratified draws, label conventions, signal lengths, the
boundaries' t-dependence and CNN-P's extra depth against ξ_*·ln d (experiment=xiao2020_pool_depth)."""

import math

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from ntk_bench.analysis.depth_scales import chance_noise_margin, trainable_depth_time_fit
from ntk_bench.claims.core import evaluate_claim, registered_claims
from ntk_bench.cli import CONF_DIR
from ntk_bench.data import load_dataset
from ntk_bench.data.transforms import resample_signals
from ntk_bench.errors import ConfigError
from ntk_bench.experiment.xiao2020 import parse_experiment_config
from ntk_bench.experiment.xiao2020.maps import diagonal_means
from ntk_bench.model import model_spec_from_config, require_input_fits
from ntk_bench.results import load_run
from ntk_bench.runner import run_job
from ntk_bench.theory import mean_field_columns, mean_field_summary

MNIST1D = {"name": "mnist1d", "n_train": 40, "n_test": 30, "seed": 3}


def _config(overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return OmegaConf.to_container(compose(config_name="config", overrides=overrides), resolve=True)


def test_stratified_draw_has_equal_class_counts_and_a_plain_draw_does_not():
    stratified = load_dataset({**MNIST1D, "stratify": True})
    assert np.bincount(stratified.labels_train).tolist() == [4] * 10
    assert (
        np.bincount(stratified.labels_test, minlength=10).max() - np.bincount(stratified.labels_test).min()
        <= 1
    )
    # centred one-hot labels of a stratified draw of k·C points already sum to zero per class (1ᵀY = 0)
    np.testing.assert_allclose(stratified.y_train.sum(axis=0), 0.0, atol=1e-12)
    plain = load_dataset(MNIST1D)
    assert np.bincount(plain.labels_train, minlength=10).max() > 4  # seed 3: an unbalanced random draw


def test_stratified_draw_beyond_the_smallest_class_pool_is_a_one_line_error():
    # MNIST-1D's train pool holds 394-411 signals per class: 3950 stratified needs 395 of each
    with pytest.raises(
        ConfigError, match=r"data.n_train=3950 with stratify=true needs 395 examples of class"
    ) as info:
        load_dataset({"name": "mnist1d", "n_train": 3950, "n_test": 10, "stratify": True})
    assert "\n" not in str(info.value) and "allowed: n_train <= 10·394 = 3940" in str(info.value)


def test_resampled_signals_keep_labels_and_norm_and_the_native_length_is_the_identity():
    data = load_dataset(MNIST1D)
    for length in (10, 80):
        out = resample_signals(data, length)
        assert out.x_train.shape == (40, length, 1)
        np.testing.assert_allclose(np.sum(out.x_train**2, axis=(1, 2)), length, rtol=1e-12)
        assert np.array_equal(out.labels_test, data.labels_test)
    np.testing.assert_allclose(resample_signals(data, 40).x_train, data.x_train, atol=1e-12)
    with pytest.raises(ConfigError, match="needs 1-D signal inputs"):
        resample_signals(load_dataset({"name": "digits", "n_train": 10, "n_test": 5}), 16)


def test_a_filter_longer_than_the_signal_is_refused():
    cfg = {"name": "cnn_pool", "depth": 1, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.1}
    cfg["filter_size"] = 5
    spec = model_spec_from_config(cfg)
    short = resample_signals(load_dataset(MNIST1D), 4)
    with pytest.raises(ConfigError, match=r"model.filter_size=5 is larger than the input's spatial size 4"):
        require_input_fits(spec, short.spatial_shape, short.name, "experiment.models entry cnn_pool")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"depths": [3]}, "needs at least 2"),
        ({"labels": ["as_given", "as_given"]}, "lists a convention twice"),
        ({"labels": ["as_given", "centred"]}, "unknown experiment.labels entry 'centred'"),
        ({"stratify": "yes"}, "experiment.stratify='yes' must be true or false"),
        ({"analysis": {"chance_margin": 1.5}}, "chance_margin=1.5 must be in \\[0, 1\\), or null"),
    ],
)
def test_bad_grid_labels_or_margin_is_a_one_line_error(change, fragment):
    base = {"name": "x", "sigma_w2": [1.0, 2.0], "depths": [0, 1], "times": [1, 8]}
    with pytest.raises(ConfigError, match=fragment) as info:
        parse_experiment_config({**base, **change})
    assert "\n" not in str(info.value)


def test_labels_accept_one_convention_or_a_list_and_the_first_is_primary():
    base = {"name": "x", "sigma_w2": [1.0], "depths": [0, 1], "times": [1]}
    assert parse_experiment_config({**base, "labels": "train_centred"}).labels == ("train_centred",)
    both = parse_experiment_config({**base, "labels": ["train_centred", "as_given"]})
    assert both.labels == ("train_centred", "as_given")


def test_chance_noise_margin_is_two_binomial_standard_errors():
    assert chance_noise_margin(0.1, 150) == pytest.approx(2 * math.sqrt(0.09 / 150))


def test_time_fit_recovers_one_xi_per_e_fold_of_t_and_rejects_a_doubled_rate():
    """Boundaries built from the law l/ξ − ln l = ln t + c give slope 1; a law twice as fast gives 2."""
    from scipy.optimize import brentq

    times = np.array([0.0, 8.0, 64.0, 512.0, 4096.0])
    xi = np.array([1.5, 3.0])

    def depth_at(x: float, t: float, rate: float) -> float:
        return brentq(lambda depth: depth / x - np.log(depth) - (rate * np.log(t) + 2.0), x, 1e4)

    def boundary(rate):
        return np.array([[depth_at(x, t, rate) if t > 0 else np.nan for t in times] for x in xi])

    assert trainable_depth_time_fit(times, boundary(1.0), xi).slope == pytest.approx(1.0, abs=1e-9)
    assert trainable_depth_time_fit(times, boundary(2.0), xi).slope == pytest.approx(2.0, abs=1e-9)


def test_diagonal_means_and_mean_field_columns():
    ntk = np.array([[[2.0, 1.0, 0.0], [1.0, 4.0, 2.0], [0.0, 2.0, 6.0]]])
    diagonal, off = diagonal_means(ntk)
    assert diagonal[0] == pytest.approx(4.0) and off[0] == pytest.approx(1.0)
    columns = mean_field_columns("erf", [1.0, 3.0], 0.18)
    single = mean_field_summary("erf", 3.0, 0.18)
    assert columns["phase"] == ["ordered", "chaotic"]
    assert columns["xi_star"][1] == single.xi_star and columns["q_star"][1] == single.q_star


POOL_TINY = [
    "experiment=xiao2020_pool_depth",
    "tracker=none",
    "experiment.lengths=[8,16]",
    "experiment.sigma_w2=[4.0]",
    "experiment.depths=[0,1,2,4,8,16,24,32,40]",
    "experiment.n_train=10",
    "experiment.n_test=10",
]


@pytest.fixture(scope="module")
def pool_run(tmp_path_factory):
    job_dir = tmp_path_factory.mktemp("pool_depth")
    run_job(_config(POOL_TINY), job_dir)
    return load_run(job_dir)


def test_pool_depth_ratio_tends_to_d_and_its_claim_passes(pool_run):
    summary = pool_run.summary
    assert pool_run.config["data"]["name"] == "mnist1d"  # the experiment's default data
    # ξ_* = 1.69 at σ_w² = 4: by depth ~30 (18·ξ_*) the pooled/flatten ratio sits on its plateau d (measured
    # at m = 32: ln ratio within 0.004 of ln d); at m = 10 the deepest depth above the round-off floor leaves
    # it 0.025 below ln 8 (measured), so 0.05 here; the slope against ln d is the claim's test
    deepest = np.asarray(summary["log_ratio_deepest"])[:, 0]
    np.testing.assert_allclose(deepest, np.log([8, 16]), atol=0.05)
    claim = next(c for c in registered_claims() if c.id == "xiao2020.pool_extra_depth_log_d")
    (result,) = evaluate_claim(claim, [pool_run])
    assert result.verdict == "pass", result.detail
    assert (pool_run.path / "pool_extra_depth.png").stat().st_size > 0


def test_pool_depth_claim_fails_when_the_ratio_does_not_scale_with_d(pool_run):
    claim = next(c for c in registered_claims() if c.id == "xiao2020.pool_extra_depth_log_d")
    doctored = load_run(pool_run.path)
    doctored.document["summary"]["slope_vs_log_d"] = {
        **pool_run.summary["slope_vs_log_d"],
        "slope": 0.5,
    }
    (result,) = evaluate_claim(claim, [doctored])
    assert result.verdict == "fail"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (["experiment.sigma_w2=[1.0]"], "must be chaotic"),
        (["experiment.lengths=[16]"], "must list >= 2 increasing signal lengths"),
        (["experiment.lengths=[2,16]"], "model.filter_size=3 is larger than the input's spatial size 2"),
        (["data=digits"], "needs 1-D signals"),
    ],
)
def test_pool_depth_bad_input_is_a_one_line_error_and_writes_nothing(tmp_path, overrides, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        run_job(_config([*POOL_TINY, *overrides]), tmp_path)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "results.json").exists()


def test_cli_stratified_draw_too_large_exits_2_and_writes_nothing(cli_bad_input):
    # the whole MNIST-1D train pool (4000) cannot give 400 of every class (394-411 per class)
    errors = cli_bad_input("experiment=xiao2020_cnn", "tracker=none", "experiment.n_train=4000")
    assert len(errors) == 1 and "data.n_train=4000 with stratify=true" in errors[0]
