"""The notebook API (``ntk_bench.run`` / ``ntk_bench.load``) and ``python -m ntk_bench``."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import ntk_bench
from ntk_bench.api import Result, Sweep, _free_dir
from ntk_bench.errors import ConfigError
from ntk_bench.results import config_hash

TINY = ["model.depth=3", "data.n_train=8", "data.n_test=6", "tracker=none"]


def _env():
    return {**os.environ, "NTK_BENCH_QUIET": "1", "WANDB_MODE": "offline"}


@pytest.fixture(scope="module")
def cli_sweep(tmp_path_factory):
    """A real two-job multirun of the CLI, started as ``python -m ntk_bench -m ...``."""
    sweep_dir = tmp_path_factory.mktemp("api") / "sweep"
    argv = ["-m", *TINY, "model.sigma_w2=1.2,1.6", f"hydra.sweep.dir={sweep_dir}"]
    proc = subprocess.run(
        [sys.executable, "-m", "ntk_bench", *argv],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return sweep_dir


def test_run_composes_the_cli_config_and_gives_the_same_numbers(cli_sweep, tmp_path):
    result = ntk_bench.run("spectrum", overrides=[*TINY, "model.sigma_w2=1.6"], job_dir=tmp_path / "job")
    assert isinstance(result, Result)
    cli_job = ntk_bench.load(cli_sweep / "1")
    assert cli_job.config["model"]["sigma_w2"] == 1.6
    assert result.config == cli_job.config  # the same composed config, hence the same config hash
    assert config_hash(result.config) == config_hash(cli_job.config)
    assert result.series == cli_job.series  # deterministic: identical numbers
    assert result.summary == cli_job.summary
    assert (tmp_path / "job" / "report" / "index.html").exists()  # report callback as configured
    assert (tmp_path / "job" / ".hydra" / "overrides.yaml").exists()


def test_frame_has_one_row_per_step_of_the_axis(tmp_path):
    result = ntk_bench.run("spectrum", overrides=TINY, job_dir=tmp_path / "job")
    frame = result.frame()
    assert isinstance(frame, pd.DataFrame)
    assert result.axis == "depth"
    assert frame["depth"].tolist() == [1, 2, 3]
    assert list(frame.columns) == list(result.series)
    for name, values in result.series.items():
        np.testing.assert_array_equal(frame[name].to_numpy(), np.asarray(values))


def test_load_a_multirun_concatenates_runs_with_swept_values_as_columns(cli_sweep):
    sweep = ntk_bench.load(cli_sweep)
    assert isinstance(sweep, Sweep)
    assert len(sweep) == 2
    assert sweep.swept_keys() == ["model.sigma_w2"]
    frame = sweep.frame()
    assert len(frame) == 2 * 3
    assert frame["model.sigma_w2"].tolist() == [1.2] * 3 + [1.6] * 3
    assert frame["job"].tolist() == [str(cli_sweep / "0")] * 3 + [str(cli_sweep / "1")] * 3
    second = frame[frame["model.sigma_w2"] == 1.6]
    assert second["ntk/lambda_max"].tolist() == sweep[1].series["ntk/lambda_max"]
    assert "model.depth" not in frame.columns  # constant over the sweep: left out


@pytest.mark.parametrize(
    ("experiment", "overrides", "fragment"),
    [
        ("nope", [], "unknown experiment 'nope'"),
        ("spectrum", ["model=zzz"], "unknown model 'zzz'"),
        ("spectrum", ["model.depth=0"], "model.depth=0"),
        ("spectrum", ["model.nope=1"], "model.nope"),
        ("spectrum", ["model.depth=[1"], "model.depth=[1"),
        ("spectrum", ["model.depth=1,2"], "sweep overrides ['model.depth']"),
        ("spectrum", ["suite=quick"], "suite=... is a sweep"),
        ("spectrum", "model.depth=2", "'model.depth=2'"),
        ("spectrum", ["depth"], "bad override 'depth'"),
        ("spectrum", ["tracker=neptune"], "unknown tracker 'neptune'"),
        (
            "spectrum",
            ["tracker=mlflow", "tracker.tracking_uri=htp://x"],
            "bad tracker.tracking_uri 'htp://x'",
        ),
    ],
)
def test_bad_input_is_one_line_config_error_and_writes_nothing(tmp_path, experiment, overrides, fragment):
    job_dir = tmp_path / "job"
    with pytest.raises(ConfigError) as info:
        ntk_bench.run(experiment, overrides=overrides, job_dir=job_dir)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
    assert not job_dir.exists()


def test_load_errors_name_the_path(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        ntk_bench.load(tmp_path / "missing")
    with pytest.raises(ConfigError, match="no completed ntk-bench jobs"):
        ntk_bench.load(tmp_path)


def test_default_job_dirs_never_collide(tmp_path):
    taken = tmp_path / "2026-12-02_10-00-00"
    assert _free_dir(taken) == taken
    taken.mkdir()
    assert _free_dir(taken) == tmp_path / "2026-12-02_10-00-00_1"


def test_import_ntk_bench_does_not_load_the_api_stack():
    script = (
        "import json, sys, ntk_bench; heavy = ('hydra', 'pandas', 'mlflow', 'wandb', 'ntk_bench.api');"
        " print(json.dumps([m for m in heavy if m in sys.modules]))"
        "; ntk_bench.run; print(json.dumps('ntk_bench.api' in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [json.loads(line) for line in proc.stdout.split()] == [[], True]
