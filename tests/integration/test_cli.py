"""The ``ntk-bench`` command end to end, and one-line errors for bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ntk_bench.results import load_run

BIN = Path(sys.executable).parent
TINY = ["model.depth=3", "data.n_train=24", "data.n_test=12", "tracker=none"]


def _env():
    return {**os.environ, "NTK_BENCH_QUIET": "1", "WANDB_MODE": "offline"}


def test_cli_end_to_end_writes_results_matching_a_direct_computation(tmp_path):
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [BIN / "ntk-bench", *TINY, "model.sigma_w2=1.3", f"hydra.run.dir={run_dir}"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"results written to {run_dir / 'results.json'}" in proc.stdout
    run = load_run(run_dir)
    assert run.config["model"]["sigma_w2"] == 1.3
    assert run.series["depth"] == [1, 2, 3]
    assert run.provenance["jax_flags"]["jax_enable_x64"] is True
    assert run.arrays["ntk_eigenvalues"].shape == (3, 24)
    assert (run_dir / "spectrum_vs_depth.png").stat().st_size > 0
    # Independent check: λ_max at depth 3 from the network built directly with neural-tangents.
    from ntk_bench.data import load_dataset
    from ntk_bench.model import Network, model_spec_from_config

    data = load_dataset(run.config["data"]).flat()
    network = Network(model_spec_from_config(run.config["model"]), 0)
    ntk = np.asarray(network.at_depth(3)[2](data.x_train, None, "ntk"))
    assert run.series["ntk/lambda_max"][-1] == pytest.approx(np.linalg.eigvalsh(ntk)[-1], rel=1e-10)


def test_cli_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path):
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [BIN / "ntk-bench", *TINY, "model.sigma_w2=-1", f"hydra.run.dir={run_dir}"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ntk-bench: error:")]
    assert errors == ["ntk-bench: error: model.sigma_w2=-1 must be a finite number > 0"]
    assert not (run_dir / "results.json").exists() and not (run_dir / "arrays.npz").exists()


def test_help_lists_config_groups():
    proc = subprocess.run(
        [BIN / "ntk-bench", "--help"], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert proc.returncode == 0
    for group in ("model:", "data:", "experiment:", "tracker:"):
        assert group in proc.stdout
    assert "cnn_pool" in proc.stdout and "digits" in proc.stdout


BAD_INPUTS = [
    (["model=transformer"], "unknown model 'transformer'; allowed: cnn_flatten, cnn_pool, fcn, resnet"),
    (["model.name=transformer"], "unknown model 'transformer'; allowed: fcn, cnn_flatten, cnn_pool, resnet"),
    (["model=resnet", "model.gamma=-1"], "model.gamma=-1 must be a finite number >= 0 or null"),
    (["model=resnet", "model.gamma=null", "model.alpha=0"], "model.alpha=0 must be a finite number > 0"),
    (["model=resnet", "model.layer=conv"], "unknown model.readout for model.layer=conv 'dense'"),
    (["data=imagenet"], "unknown data 'imagenet'; allowed:"),
    (["model.activation=softplus"], "unknown model.activation 'softplus'; allowed: erf, relu, tanh"),
    (["model.depth=0"], "model.depth=0 must be an integer >= 1"),
    (["model.sigma_w2=0"], "model.sigma_w2=0 must be a finite number > 0"),
    (["model.sigma_b2=-0.1"], "model.sigma_b2=-0.1 must be a finite number >= 0"),
    (["+model.alpha=0.5"], "model.alpha=0.5 does not fit model=fcn (its alpha is 1.0)"),
    (["data.n_train=0"], "data.n_train=0 must be an integer >= 1 or null"),
    (["data=synthetic", "data.correlation=1.5"], "data.correlation=1.5 must be a finite number in [0, 1)"),
    (["+data.sha256.f=abc"], "data.sha256.f='abc' must be a 64-character hex string"),
    (["+data.dim=3"], "unknown key data.dim; allowed: name, n_train"),
    (["tracker=wandb", "tracker.mode=sometimes"], "unknown tracker.mode 'sometimes'; allowed: auto, offline"),
    (["tracker=mlflow", "tracker.timeout=0"], "tracker.timeout=0 must be a finite number > 0"),
    (["tracker=none", "+tracker.foo=1"], "unknown key tracker.foo; allowed: name, mode"),
    (["data.n_train=5000"], "data.n_train=5000 exceeds"),
    (["data=mnist", "data.cache_dir=/nonexistent/cache"], "dataset mnist not found"),
    (["model=cnn_pool", "data=synthetic", "data.dim=16"], "model=cnn_pool needs image or signal inputs"),
    (["experiment.depths=[3,1]"], "must be a list of strictly increasing entries"),
    (["experiment=xiao2020_fcn", "experiment.n_train=64"], "experiment.n_train moved to data.n_train"),
    (["experiment=lee2019_linearization", "experiment.depth=3"], "experiment.depth moved to model.depth"),
    (["+experiment.activation=relu"], "experiment.activation moved to model.activation"),
]


BAD_INPUT_SCRIPT = """
import contextlib, io, json, sys
from ntk_bench import cli
cases = json.loads(sys.argv[1])
report = []
for argv in cases:
    sys.argv = ["ntk-bench", *argv]
    err = io.StringIO()
    code = None
    with contextlib.redirect_stderr(err):
        try:
            cli.main()
        except SystemExit as exit_info:
            code = exit_info.code
    report.append({"code": code, "stderr": err.getvalue()})
print(json.dumps(report))
"""


def test_bad_inputs_give_one_line_errors_and_write_nothing(tmp_path):
    # All cases in one process (cli.main called repeatedly) to pay the JAX/neural-tangents import once.
    quiet = ["hydra/job_logging=disabled", "hydra/hydra_logging=disabled"]
    cases = [
        [*TINY, *overrides, *quiet, f"hydra.run.dir={tmp_path / str(i)}"]
        for i, (overrides, _) in enumerate(BAD_INPUTS)
    ]
    proc = subprocess.run(
        [sys.executable, "-c", BAD_INPUT_SCRIPT, json.dumps(cases)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for i, ((overrides, message), outcome) in enumerate(zip(BAD_INPUTS, report, strict=True)):
        lines = [line for line in outcome["stderr"].splitlines() if line.startswith("ntk-bench: error:")]
        assert outcome["code"] == 2, (overrides, outcome)
        assert len(lines) == 1 and message in lines[0], (overrides, outcome["stderr"])
        assert not (tmp_path / str(i) / "results.json").exists()


def test_results_are_reproducible_across_processes(tmp_path):
    documents = []
    for name in ("a", "b"):
        run_dir = tmp_path / name
        subprocess.run(
            [BIN / "ntk-bench", *TINY, f"hydra.run.dir={run_dir}"],
            check=True,
            capture_output=True,
            env=_env(),
        )
        documents.append(json.loads((run_dir / "results.json").read_text()))
    assert documents[0]["series"] == documents[1]["series"]
    assert documents[0]["provenance"]["config_hash"] == documents[1]["provenance"]["config_hash"]


def _run_cli(tmp_path, *overrides):
    subprocess.run(
        [BIN / "ntk-bench", *overrides, "tracker=none", f"hydra.run.dir={tmp_path}"],
        check=True,
        capture_output=True,
        env=_env(),
        timeout=300,
    )
    return load_run(tmp_path), np.load(tmp_path / "arrays.npz")


def test_deep_chaotic_heat_map_column_writes_only_finite_numbers(tmp_path):
    # The command that wrote λ_max, λ_bulk, λ_min and η as NaN at depths 115-150 and reported success before
    # the σ-traced heat-map pass shared the layerwise pass's diagonal pin (one kernel pass now).
    run, arrays = _run_cli(
        tmp_path,
        "experiment=xiao2020_fcn",
        "experiment.sigma_w2=[3.0]",
        "experiment.sigma_b2=0.05",
        "experiment.depths=[1,50,100,115,130,150]",
        "data.n_train=64",
        "data.n_test=64",
    )
    for key in ("lambda_max", "lambda_bulk", "lambda_min", "kappa_bulk", "eta", "eta_nt", "train_accuracy"):
        assert np.isfinite(arrays[f"fcn/{key}"]).all(), key
    assert run.summary["fcn"]["nonfinite_kernel_cells"]["count"] == 0
    assert run.summary["fcn"]["divergent_cells"] == 0


def test_overflowing_kernel_depths_are_recorded_as_divergent_and_claims_say_so(tmp_path):
    # ReLU with σ_w² = 1e6: q^l = (σ_w²/2)^l overflows float64 near l = 27; those depths must be recorded
    # (NaN spectra, listed with a reason), not written as numbers, and the claim reading them must say so.
    from ntk_bench.claims import evaluate_claims

    run, arrays = _run_cli(
        tmp_path,
        "experiment=spectrum",
        "model.activation=relu",
        "model.sigma_w2=1e6",
        "model.sigma_b2=0",
        "model.depth=40",
        "data.n_train=8",
        "data.n_test=8",
    )
    divergent = run.summary["divergent_depths"]
    assert divergent["depths"] and divergent["reason"]
    first = divergent["depths"][0]
    assert 20 < first < 35 and divergent["depths"] == list(range(first, 41))
    lam = np.asarray(run.series["ntk/lambda_max"])
    assert np.isnan(lam[first - 1 :]).all() and np.isfinite(lam[: first - 1]).all()
    assert np.isnan(arrays["ntk_eigenvalues"][first - 1 :]).all()
    verdicts = {v.claim_id: v for v in evaluate_claims([run])}
    pd = verdicts["spectrum.ntk_positive_definite"]
    assert pd.verdict == "fail" and f"non-finite eigenvalues from depth {first}" in pd.detail
