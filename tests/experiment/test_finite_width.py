"""The issue-5 experiments end to end at toy sizes: results storable, figures saved, bad knobs rejected."""

import pytest
import yaml
from toy_experiments import CONF, TOY, _config  # tests/toy_experiments.py

from ntk_bench.errors import ConfigError
from ntk_bench.experiment import EXPERIMENTS, get_experiment


def test_experiments_are_registered_with_configs():
    for name in TOY:
        assert name in EXPERIMENTS
        assert yaml.safe_load((CONF / f"{name}.yaml").read_text())["experiment"]["name"] == name
        paper = yaml.safe_load((CONF / f"{name}_paper.yaml").read_text())
        assert paper["defaults"][0] == name  # extends the default-size config


@pytest.mark.parametrize(
    ("name", "overrides", "fragment"),
    [
        ("lee2019_linearization", {"widths": [16, 8]}, "strictly increasing"),
        ("lee2019_linearization", {"steps": 5}, "multiple of experiment.kernel_checkpoints"),
        ("lee2019_linearization", {"optimizers": ["adam"]}, "experiment.optimizers"),
        ("lee2019_linearization", {"batch_size": 99}, "exceeds data.n_train=8"),
        ("lee2019_linearization", {"lr_fraction": -1}, "experiment.lr_fraction=-1"),
        ("jacot2018_convergence", {"ntk_implementation": "magic"}, "allowed: jacobian_contraction"),
        ("hanin_nica_fluctuations", {"betas": [0.3]}, "not a whole depth"),
        ("hanin_nica_fluctuations", {"samples_max_beta": 10}, "experiment.samples_max_beta=10"),
        (
            "hanin_nica_fluctuations",
            {"alpha": 1.5},
            r"experiment.alpha=1.5 must be a finite number in \(0, 1\)",
        ),
        (
            "lr_threshold",
            {"vectorize": "pmap"},
            "unknown experiment.vectorize 'pmap'; allowed: vmap, loop, auto",
        ),
        ("lr_threshold", {"grid": [1.0]}, "at least 2 entries"),
        ("lr_threshold", {"grid": [0.0, 1.0]}, r"experiment.grid\[0\]=0.0 must be a finite number > 0"),
        ("lr_threshold", {"momentum": 1.0}, r"experiment.momentum=1.0 must be a finite number in \[0, 1\)"),
        ("jacot2018_convergence", {"ntk_vmap_axes": 1}, "experiment.ntk_vmap_axes=1 must be"),
        ("jacot2018_convergence", {"widht": 3}, "unknown key experiment.widht; allowed: name,"),
        # keys that shadowed the data and model groups say where they went (issue #15)
        ("lee2019_linearization", {"n_train": 32}, "^experiment.n_train moved to data.n_train$"),
        ("jacot2018_convergence", {"n_test": 0}, "^experiment.n_test moved to data.n_test$"),
        ("lr_threshold", {"depth": 2}, "^experiment.depth moved to model.depth$"),
        (
            "hanin_nica_fluctuations",
            {"activation": "relu"},
            "^experiment.activation moved to model.activation$",
        ),
        ("hanin_nica_fluctuations", {"sigma_w2": 2.0}, "^experiment.sigma_w2 moved to model.sigma_w2$"),
        (
            "hanin_nica_fluctuations",
            {"parameterization": "standard"},
            "^experiment.parameterization moved to model.parameterization$",
        ),
    ],
)
def test_bad_knobs_are_one_line_config_errors(name, overrides, fragment, tmp_path):
    with pytest.raises(ConfigError, match=fragment) as err:
        get_experiment(name)(_config(name, **overrides), tmp_path)
    assert "\n" not in str(err.value)


def test_analytic_experiments_reject_user_modules(tmp_path, monkeypatch):
    (tmp_path / "user_net_for_jacot.py").write_text(
        "import flax.linen as nn\nclass Net(nn.Module):\n    width: int = 4\n"
        "    @nn.compact\n    def __call__(self, x):\n        return nn.Dense(1)(x)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = _config("jacot2018_convergence")
    cfg["model"] = {"flax_module": "user_net_for_jacot:Net", "flatten_input": True}
    with pytest.raises(ConfigError, match="has no analytic kernel"):
        get_experiment("jacot2018_convergence")(cfg, tmp_path)
