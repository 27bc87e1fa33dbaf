"""The CNN half of Xiao et al. 2020 on 1-D signals: stratified draws, label conventions, signal lengths, the
boundaries' t-dependence and CNN-P's extra depth against ξ_*·ln d (experiment=xiao2020_pool_depth)."""

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from ntk_bench.claims.core import evaluate_claim, registered_claims
from ntk_bench.cli import CONF_DIR
from ntk_bench.errors import ConfigError
from ntk_bench.experiment.xiao2020 import parse_experiment_config
from ntk_bench.experiment.xiao2020.maps import diagonal_means
from ntk_bench.results import load_run
from ntk_bench.runner import run_job
from ntk_bench.theory import mean_field_columns, mean_field_summary


def _config(overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return OmegaConf.to_container(compose(config_name="config", overrides=overrides), resolve=True)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            {"depths": [3]},
            r"experiment.depths=\[3\] must be a list of at least 2 strictly increasing entries",
        ),
        (
            {"labels": ["as_given", "as_given"]},
            "must be a list of distinct entries, each as_given or train_centred",
        ),
        (
            {"labels": ["as_given", "centred"]},
            r"unknown experiment.labels\[1\] 'centred'; allowed: as_given, train_centred",
        ),
        ({"stratify": "yes"}, "^experiment.stratify moved to data.stratify$"),
        (
            {"analysis": {"chance_margin": 1.5}},
            r"chance_margin=1.5 must be a finite number in \[0, 1\) or null",
        ),
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
    "data.n_train=10",
    "data.n_test=10",
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
        (
            ["experiment.lengths=[16]"],
            r"experiment.lengths=\[16\] must be a list of at least 2 strictly increasing",
        ),
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
    errors = cli_bad_input("experiment=xiao2020_cnn", "tracker=none", "data.n_train=4000")
    assert len(errors) == 1 and "data.n_train=4000 with stratify=true" in errors[0]
