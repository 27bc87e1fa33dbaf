"""The issue-5 experiments end to end at toy sizes: results storable, figures saved, bad knobs rejected."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from ntk_bench.errors import ConfigError
from ntk_bench.experiment import EXPERIMENTS, get_experiment
from ntk_bench.report.figure_registry import render_figures
from ntk_bench.results import load_run, write_results

CONF = Path(__file__).resolve().parent.parent / "conf" / "experiment"
MODEL = {"name": "fcn", "depth": 2, "width": 8, "activation": "erf", "sigma_w2": 1.5, "sigma_b2": 0.05}
FAST_NTK = {"ntk_implementation": "structured_derivatives"}

TOY = {
    "lee2019_linearization": {
        "widths": [16, 32],
        "seeds": 2,
        "steps": 4,
        "kernel_checkpoints": 2,
        "optimizers": ["sgd"],  # the GD path of PairTrainer is tested in test_dynamics.py
        "lr_fraction": 0.1,
        "batch_size": 4,
        "n_train": 8,
        "n_test": 4,
        "vectorize": "loop",  # auto is tested in test_vectorize.py; loop vs vmap equality there too
        **FAST_NTK,
    },
    "jacot2018_convergence": {"widths": [16, 32, 64], "seeds": 2, "n_train": 6, **FAST_NTK},
    "hanin_nica_fluctuations": {
        "widths": [4, 8],
        "betas": [0.25, 0.5],
        "samples": 40,
        "samples_max_beta": 80,
        "chunk": 16,
        "bootstrap": 20,
    },
    "lr_threshold": {
        "width": 16,
        "seeds": 2,
        "steps": 40,
        "grid": [0.5, 0.9, 1.2, 1e6],
        "refine_steps": 2,
        "n_train": 6,
        **FAST_NTK,
    },
}


def _config(name, **overrides):
    exp = yaml.safe_load((CONF / f"{name}.yaml").read_text())
    exp.update(TOY[name])
    exp.update(overrides)
    return {"experiment": exp, "model": dict(MODEL), "data": {"name": "digits"}, "seed": 0}


def _run(name, tmp_path, **overrides):
    cfg = _config(name, **overrides)
    output = get_experiment(name)(cfg, tmp_path)
    path = write_results(tmp_path, output.results, cfg, {})  # equal series lengths, JSON-safe values
    figures = {**output.figures, **render_figures(load_run(tmp_path))}  # drawn from the stored results
    assert figures
    for figure in figures.values():
        assert figure.exists() and figure.with_suffix(".svg").exists()
    return output, json.loads(path.read_text())


def test_experiments_are_registered_with_configs():
    for name in TOY:
        assert name in EXPERIMENTS
        assert yaml.safe_load((CONF / f"{name}.yaml").read_text())["name"] == name
        paper = yaml.safe_load((CONF / f"{name}_paper.yaml").read_text())
        assert paper["defaults"][0] == name  # extends the default-size config


def test_lee2019_linearization(tmp_path):
    output, doc = _run("lee2019_linearization", tmp_path)
    summary = doc["summary"]
    assert summary["layers"] == ["block_1", "block_2", "readout"]
    for opt in ("sgd",):
        for metric in ("dev_train", "kernel_change", "weight_change/block_2", "weight_change/total"):
            assert np.isfinite(summary["slopes"][opt][metric]["slope"])
        assert {k for k in summary["slopes"][opt] if k.startswith("weight_change/")} >= {
            "weight_change/block_1",
            "weight_change/block_2",
            "weight_change/readout",
        }
        assert "acceptance" not in summary  # verdicts are the claims' (ntk_bench/claims/lee2019.py)
    arrays = output.results.arrays
    assert arrays["sgd/train_loss"].shape == (2, 2, 5)  # widths × seeds × (steps + 1)
    assert arrays["sgd/kernel_change"].shape == (2, 2, 3)
    np.testing.assert_allclose(arrays["sgd/dev_train"][:, :, 0], 0.0)
    assert len(doc["series"]["step"]) == 5 and "sgd/n16/dev_flow_train" in doc["series"]
    assert summary["diverged_seeds_per_width"] == {"sgd": [0, 0]}
    assert summary["eta_crit"][0]["sgd"] < summary["eta_crit"][0]["gd"]
    assert summary["vectorize"] == "loop" and summary["vectorize_probes"] == []


def test_jacot2018_convergence(tmp_path):
    _, doc = _run("jacot2018_convergence", tmp_path)
    errors = np.array([doc["series"][f"error_seed_{s}"] for s in (0, 1)])
    assert np.all(errors > 0) and np.all(errors < 1)
    assert doc["summary"]["slope_single_draw"]["slope"] < 0
    assert "acceptance" not in doc["summary"]  # the verdict is claim jacot2018.empirical_to_analytic_slope


def test_hanin_nica_fluctuations(tmp_path):
    _, doc = _run("hanin_nica_fluctuations", tmp_path)
    series = doc["series"]
    assert series["depth"] == [1, 2, 2, 4] and series["beta"] == [0.25, 0.5, 0.25, 0.5]
    assert all(r >= 1 for r in series["ratio"])  # E[Θ²] ≥ E[Θ]² (Jensen)
    assert [c["beta"] for c in doc["summary"]["collapse"]] == [0.25, 0.5]
    assert series["samples"] == [40, 80, 40, 80]  # geometric in β
    test = doc["summary"]["collapse_test"]
    assert test["comparisons"] == 2 and test["z_critical"] > 1.96
    assert doc["summary"]["model"]["activation"] == "relu"


def test_lr_threshold_records_divergence_and_continues(tmp_path):
    _, doc = _run("lr_threshold", tmp_path)
    series, summary = doc["series"], doc["summary"]
    assert series["kernel_status"][:2] == [0, 0] and series["kernel_status"][-1] == 2
    assert series["kernel_first_nonfinite_step"][-1] > 0  # c = 1e6 overflows: caught, recorded
    assert series["net_fraction_diverged"][-1] == 1.0 and series["net_fraction_converged"][0] == 1.0
    assert abs(summary["kernel_threshold_c"] - 1) < 0.1
    assert len(summary["network_threshold_c_own"]) == 2
    # the linearizations are constant-kernel systems: their boundary is 2|Y|/λ̂_max(Θ̂_0) within δ_T + bracket
    claims = summary["claims"]
    for name, measured in claims["eta_crit_measured"].items():
        assert abs(measured / claims["eta_crit_theory"][name] - 1) <= claims["eta_crit_allowance"][name], name
    assert len(summary["linearized_threshold_c"]) == 2
    assert np.all(np.isfinite(summary["network_lambda_max_trained"]))
    assert set(claims["network_stability_at_end"]) == {"network seed 0", "network seed 1"}
    assert summary["vectorize"] == "auto" and summary["vectorize_chosen"][0] in ("vmap", "loop")


@pytest.mark.parametrize(
    ("name", "overrides", "fragment"),
    [
        ("lee2019_linearization", {"widths": [16, 8]}, "strictly increasing"),
        ("lee2019_linearization", {"steps": 5}, "multiple of experiment.kernel_checkpoints"),
        ("lee2019_linearization", {"optimizers": ["adam"]}, "experiment.optimizers"),
        ("lee2019_linearization", {"batch_size": 99}, "exceeds n_train"),
        ("lee2019_linearization", {"lr_fraction": -1}, "experiment.lr_fraction=-1"),
        ("jacot2018_convergence", {"ntk_implementation": "magic"}, "allowed: jacobian_contraction"),
        ("hanin_nica_fluctuations", {"betas": [0.3]}, "not a whole depth"),
        ("hanin_nica_fluctuations", {"samples_max_beta": 10}, "experiment.samples_max_beta=10"),
        ("hanin_nica_fluctuations", {"alpha": 1.5}, "experiment.alpha=1.5 must be in"),
        (
            "lr_threshold",
            {"vectorize": "pmap"},
            "unknown experiment.vectorize 'pmap'; allowed: vmap, loop, auto",
        ),
        ("lr_threshold", {"grid": [1.0]}, "at least 2 values"),
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


def test_lr_threshold_classification_and_bisection():
    from ntk_bench.analysis.thresholds import CATAPULT, CONVERGED, DIVERGED, ERROR, bracket, classify, refine
    from ntk_bench.experiment.lr_threshold import guarded

    losses = np.array(
        [
            [1.0, 0.5, 0.25, 0.1],  # monotone
            [1.0, 0.5, 0.6, 0.1],  # rose, then converged anyway
            [1.0, 0.5, 0.4, 1.5],  # ended above the start
            [1.0, 2.0, np.inf, np.nan],  # overflowed
            [1.0, 0.5, 0.5 * (1 + 1e-9), 0.1],  # round-off wiggle is not a rise
        ]
    )
    assert classify(losses).tolist() == [CONVERGED, CATAPULT, DIVERGED, DIVERGED, CONVERGED]
    errors = []

    def boom():
        raise RuntimeError("XLA ran out of memory\nsecond line")

    failed = guarded(boom, 2, 3, errors)
    assert classify(failed).tolist() == [ERROR, ERROR] and errors == [
        "RuntimeError: XLA ran out of memory\nsecond line"
    ]
    grid = np.array([0.5, 0.9, 1.1, 2.0])
    assert bracket(grid, np.array([0, 0, 1, 2])) == (0.9, 1.1)
    assert np.isnan(bracket(grid, np.array([2, 2, 2, 2]))[0])
    lo, hi = refine(np.array([0.9]), np.array([1.1]), 12, lambda c: np.where(c < 1.0, CONVERGED, DIVERGED))
    assert lo[0] < 1.0 < hi[0] and hi[0] / lo[0] < 1.0001
