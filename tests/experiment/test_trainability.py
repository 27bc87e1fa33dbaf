"""``experiment=schoenholz2017_trainability`` and the SGD/float32 FiniteTrainer it uses (tiny configs)."""

import copy

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from ntk_bench.claims.core import evaluate_claims, registered_claims
from ntk_bench.cli import CONF_DIR
from ntk_bench.errors import ConfigError
from ntk_bench.experiment.trainability import NAME, parse_config
from ntk_bench.model import Network, model_spec_from_config
from ntk_bench.results import Run, load_run
from ntk_bench.runner import run_job


def _spec(name, **overrides):
    cfg = {"name": name, "depth": 3, "width": 8, "activation": "erf", "sigma_w2": 1.0, "sigma_b2": 0.05}
    if name == "resnet":
        cfg["gamma"] = 0.5
    return model_spec_from_config({**cfg, **overrides})


# -------------------------------------------------------------------------------------------- the config

BASE = {
    "name": NAME,
    "networks": [{"name": "fcn"}],
    "sigma_w2": [1.0, 2.0],
    "depths": [1, 2],
    "steps": [5],
    "batch_size": 4,
}
MODEL = {"activation": "erf"}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"width": 0}, r"experiment.width=0 must be an integer in \[1, 8192\]"),
        ({"depths": [0, 3]}, r"experiment.depths\[0\]=0 must be an integer in \[1, 1000\]"),
        ({"depths": [2, 1001]}, r"experiment.depths\[1\]=1001"),
        ({"steps": [0, 10]}, r"experiment.steps\[0\]=0 must be an integer in \[1, 1000000\]"),
        ({"steps": [10, 5]}, r"experiment.steps=\[10, 5\] must be a list of strictly increasing entries"),
        ({"batch_size": 0}, r"experiment.batch_size=0 must be an integer"),
        ({"lr_factor": 1.5}, r"experiment.lr_factor=1.5 sets η above the SGD stability bound"),
        ({"dtype": "float16"}, "unknown experiment.dtype 'float16'; allowed: float64, float32"),
        ({"networks": [{"name": "mlp"}]}, "mlp"),
        ({"networks": [{"name": "fcn", "dropout": 0.1}]}, r"unknown key experiment.networks\[0\].dropout"),
        ({"networks": [{"name": "fcn"}, {"name": "fcn"}]}, "lists fcn_erf twice"),
        (
            {"networks": [{"name": "fcn", "depths": [3]}]},
            r"experiment.networks\[0\].depths=\[3\] must be a list of at least 2",
        ),
        ({"seeds": 0}, r"experiment.seeds=0 must be an integer in \[1, 1000\]"),
        ({"bogus": 1}, "unknown key experiment.bogus"),
        (
            {"networks": []},
            r"experiment.networks=\[\] must be a list of entries, each a mapping with at least 'name'",
        ),
        ({"networks": ["fcn"]}, r"experiment.networks\[0\]='fcn' must be a mapping with at least 'name'"),
        (
            {"networks": [{"name": "fcn", "downsample": 0}]},
            r"networks\[0\].downsample=0 must be an integer in \[1, 1024\]",
        ),
        (
            {"seeds": [3, 3]},
            r"seeds=\[3, 3\] must be a list of distinct entries, each an integer in \[0, 2147483647\]",
        ),
        (
            {"sigma_w2": {"start": 1.0, "stop": 2.0, "num": 0}},
            r"experiment.sigma_w2.num=0 must be an integer >= 1",
        ),
        ({"train_threshold": 0}, r"experiment.train_threshold=0 must be a finite number in \(0, 1\]"),
        ({"center": 1}, "experiment.center=1 must be true or false"),
        ({"n_train": 16}, "^experiment.n_train moved to data.n_train$"),
        ({"n_test": 16}, "^experiment.n_test moved to data.n_test$"),
    ],
)
def test_bad_config_is_one_line_config_error(change, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        parse_config({**BASE, **change}, MODEL)
    assert "\n" not in str(info.value)


def test_above_critical_needs_the_opt_in():
    assert parse_config({**BASE, "lr_factor": 3.0, "allow_above_critical": True}, MODEL).lr_factor == 3.0


def _config(overrides):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return OmegaConf.to_container(compose(config_name="config", overrides=overrides), resolve=True)


def test_cli_batch_larger_than_training_set_exits_2_and_writes_nothing(cli_bad_input):
    errors = cli_bad_input(
        f"experiment={NAME}", "tracker=none", "data.n_train=16", "experiment.batch_size=32"
    )
    assert errors == [
        "ntk-bench: error: batch_size=32 is larger than the training set (m = 16); allowed: 1..16"
    ]


def test_cnn_on_flat_data_is_refused(tmp_path):
    overrides = ["data=synthetic", "data.n_train=16", "experiment.downsample=1"]
    cfg = _config(
        [f"experiment={NAME}", "tracker=none", *overrides, "experiment.networks=[{name: cnn_pool}]"]
    )
    with pytest.raises(ConfigError, match="is a CNN and needs image or signal inputs"):
        run_job(cfg, tmp_path)
    assert not (tmp_path / "results.json").exists()


# ------------------------------------------------------------------------------------------ end to end

TINY = [
    f"experiment={NAME}",
    "tracker=none",
    "experiment.networks=[{name: fcn, activation: erf}, {name: resnet, activation: erf, gamma: 0.5},"
    " {name: cnn_pool, activation: erf, depths: [1, 4], downsample: 8}]",
    "experiment.sigma_w2=[0.5,1.0,3.0]",
    "experiment.depths=[1,3,6]",
    "experiment.width=16",
    "experiment.steps=[5,40]",
    "experiment.batch_size=8",
    "data.n_train=32",
    "data.n_test=32",
]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    job_dir = tmp_path_factory.mktemp("trainability")
    run_job(_config(TINY), job_dir)
    return load_run(job_dir)


def test_end_to_end_stores_maps_analysis_and_figures(tiny_run):
    arrays, summary = tiny_run.arrays, tiny_run.summary
    assert summary["networks"] == ["fcn_erf", "resnet_erf_dense", "cnn_pool_erf"]
    assert arrays["fcn_erf/finite_train_accuracy"].shape == (3, 3, 2, 2)  # (S, D, R, T)
    assert arrays["cnn_pool_erf/finite_test_accuracy"].shape == (3, 2, 2, 2)
    assert arrays["fcn_erf/infinite_train_accuracy"].shape == (3, 3, 2)
    assert summary["training_dtype"] == "float32" and summary["optimizer"] == "minibatch SGD"
    assert summary["cnn_pool_erf"]["input_shape"] == [5, 1] and summary["fcn_erf"]["input_shape"] == [10]
    # real training: the shallow ordered networks learn their training set beyond chance
    assert np.nanmean(arrays["fcn_erf/finite_train_accuracy"][0, 0, :, -1]) > summary["chance_train"] + 0.3
    eta = arrays["fcn_erf/eta"]
    assert np.all(eta > 0) and np.all(eta * arrays["fcn_erf/lambda_max_sgd"] <= 2 * 0.5 + 1e-12)
    b = summary["fcn_erf"]["boundary"]
    assert len(b["depth"]) == 3 and len(b["seed_depths"]) == 2 and "infinite_fit" in b
    assert "resnet_erf_dense" in summary["resnet_vs_fcn"]
    assert not summary["resnet_erf_dense"]["plain_mean_field"]
    # drawn by the runner from the stored results (report/trainability.py via the figure registry)
    for name in ("maps_fcn_erf", "maps_cnn_pool_erf", "boundaries", "resnet_vs_fcn"):
        assert (tiny_run.path / f"trainability_{name}.png").exists()


def test_claims_evaluate_on_the_run_and_detect_a_wrong_one(tiny_run):
    claims = [c for c in registered_claims() if c.id.startswith("trainability.")] or None
    if claims is None:
        from ntk_bench.claims import load_claim_modules

        load_claim_modules()
        claims = [c for c in registered_claims() if c.id.startswith("trainability.")]
    assert {c.id for c in claims} == {
        "trainability.boundary_xi_c",
        "trainability.finite_matches_infinite",
        "trainability.resnet_deeper_than_fcn",
    }
    results = evaluate_claims([tiny_run], claims)
    assert results and all("error evaluating" not in r.detail for r in results)
    # a run whose finite networks disagree with the kernel by 0.5 in test accuracy must fail
    document = copy.deepcopy(tiny_run.document)
    ag = document["summary"]["fcn_erf"]["agreement"]
    ag.update(cells=5, mean_abs_test_diff=0.5, margin=0.05)
    wrong = Run(tiny_run.path, document)
    verdicts = [r.verdict for r in evaluate_claims([wrong], claims) if r.subject == "fcn_erf"]
    assert "fail" in verdicts
    # a ResNet that stops training shallower than the FCN fails the ResNet claim
    document = copy.deepcopy(tiny_run.document)
    document["summary"]["resnet_vs_fcn"]["resnet_erf_dense"].update(
        informative_columns=1, fcn_boundary=[5.0, 5.0, 5.0], resnet_boundary=[1.5, 1.5, 1.5]
    )
    document["summary"]["resnet_erf_dense"]["boundary"]["seed_sd"] = [0.0, 0.0, 0.0]
    results = evaluate_claims([Run(tiny_run.path, document)], claims)
    assert [r.verdict for r in results if r.claim_id == "trainability.resnet_deeper_than_fcn"] == ["fail"]


def test_divergent_runs_are_kept_with_their_reason(tmp_path):
    overrides = [
        *TINY[:2],
        "experiment.networks=[{name: fcn, activation: erf}]",
        "experiment.sigma_w2=[1.0]",
        "experiment.depths=[1,2]",
        "experiment.width=16",
        "experiment.steps=[20]",
        "experiment.batch_size=8",
        "data.n_train=16",
        "data.n_test=16",
        "experiment.lr_factor=50",
        "experiment.allow_above_critical=true",
    ]
    run_job(_config(overrides), tmp_path)
    run = load_run(tmp_path)
    reason = run.arrays["fcn_erf/divergence_reason"]
    assert reason.shape == (1, 2, 2) and np.all(reason > 0)
    assert np.all(np.isnan(run.arrays["fcn_erf/finite_train_accuracy"]))
    divergent = run.summary["fcn_erf"]["divergent_runs"]
    assert divergent["count"] == 4 and len(divergent["cells"]) == 4


def test_infinite_width_map_is_gradient_flow_to_the_same_tau_as_the_sgd_steps(tiny_run):
    """Recomputed independently: kernel at (σ_w² = 1, depth 3), η = ½·η_crit^SGD, gradient flow to η·k."""
    from ntk_bench.data import load_dataset
    from ntk_bench.data.transforms import downsample
    from ntk_bench.dynamics.kernel_regression import accuracy, gradient_flow
    from ntk_bench.dynamics.learning_rates import minibatch_critical_learning_rate
    from ntk_bench.kernels import kernels_across_depth
    from ntk_bench.spectra import symmetric_eigh

    cfg = tiny_run.config
    data = downsample(load_dataset({**cfg["data"], "n_train": 32, "n_test": 32}), 4).flat()
    spec = _spec("fcn", width=16)
    train = kernels_across_depth(Network(spec, 0), data.x_train, None, [3], sigma_w2=1.0, sigma_b2=0.05)
    test = kernels_across_depth(Network(spec, 0), data.x_test, data.x_train, [3], sigma_w2=1.0, sigma_b2=0.05)
    eta = 0.5 * minibatch_critical_learning_rate(train.ntk[0], 8, data.num_classes) / (32 * data.num_classes)
    assert tiny_run.arrays["fcn_erf/eta"][1, 1] == pytest.approx(eta, rel=1e-12)
    f_train, f_test = gradient_flow(symmetric_eigh(train.ntk[0]), data.y_train, eta, [5, 40], test.ntk[0])
    np.testing.assert_allclose(
        tiny_run.arrays["fcn_erf/infinite_train_accuracy"][1, 1], accuracy(f_train, data.labels_train)
    )
    np.testing.assert_allclose(
        tiny_run.arrays["fcn_erf/infinite_test_accuracy"][1, 1], accuracy(f_test, data.labels_test)
    )


def test_paper_preset_is_paper_size():
    cfg = _config([f"experiment={NAME}_paper", "tracker=none"])
    tc = parse_config(cfg["experiment"], cfg["model"])
    assert tc.width == 300 and max(max(e.depths) for e in tc.networks) >= 100
    assert {e.key for e in tc.networks} >= {"fcn_tanh", "fcn_erf", "resnet_erf_dense", "cnn_pool_erf"}
    assert tc.sigma_w2[0] == 1.0 and tc.sigma_w2[-1] == 4.0 and tc.sigma_b2 == 0.05
    assert tc.batch_size == 128 and tc.batch_size < cfg["data"]["n_train"] == 2048
