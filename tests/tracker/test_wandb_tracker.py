"""``tracker=wandb`` end to end: real CLI runs written offline, read back with wandb's ``leet inspect``."""

import base64
import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ntk_bench.errors import ConfigError
from ntk_bench.results import ExperimentOutput, Results, load_run
from ntk_bench.tracker import JobContext, NullTracker, make_tracker
from ntk_bench.tracker.wandb_tracker import axis_steps, derive_group, derive_name, flatten, resolve_mode

BIN = Path(sys.executable).parent
TINY = ["model.depth=4", "data.n_train=32", "data.n_test=16"]
NO_NETWORK = "http://127.0.0.1:9"  # a closed local port: any W&B request fails at once


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    """No credentials, no network, and every wandb side file under ``tmp`` (not in $HOME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(
        NTK_BENCH_QUIET="1",
        OMP_NUM_THREADS="1",  # tiny jobs on a shared 2-core machine: no thread pools fighting for cores
        XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
        NETRC=str(tmp / "no-netrc"),
        WANDB_BASE_URL=NO_NETWORK,
        WANDB_DIR=str(tmp / "wandb-default-dir"),  # must stay unused: runs go to the job dir
        WANDB_CONFIG_DIR=str(tmp / "wandb-home" / "config"),
        WANDB_CACHE_DIR=str(tmp / "wandb-home" / "cache"),
        WANDB_DATA_DIR=str(tmp / "wandb-home" / "data"),
    )
    env.update(extra)
    return env


def _cli(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [BIN / "ntk-bench", *args], cwd=tmp, capture_output=True, text=True, env=_env(tmp, **env), timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


# The CLI runs the tests read (each ~8 s of imports + a tiny job), started together once per module.
CLI_RUNS = {
    "single": (
        # No WANDB_MODE, no key, no netrc: tracker.mode=auto (the default tracker) must choose offline.
        [
            *TINY,
            "model.sigma_w2=1.7",
            "tracker.tags=[smoke,tiny]",
            "tracker.group=my-group",
            "hydra.run.dir=job",
        ],
        {},
    ),
    "multirun": (["-m", *TINY, "model.sigma_w2=1.2,1.6", "hydra.sweep.dir=sweep"], {"WANDB_MODE": "offline"}),
    # tracker=none and a real tracker failure in one process: jobs 0, 1 log nothing; job 2's wandb.init fails
    # for real (a project name W&B rejects); job 3, started after it in the same process, must still log.
    "mixed": (
        [
            "-m",
            *TINY,
            "tracker=none,wandb",
            "++tracker.project=bad/name,ntk-bench-ok",
            "hydra.sweep.dir=sweep",
        ],
        {"WANDB_MODE": "offline"},
    ),
}


class _Launched:
    def __init__(self, tmp: Path, args: list[str], env: dict[str, str]) -> None:
        self.tmp = tmp
        self.out, self.err = (open(tmp / name, "w+") for name in ("stdout.txt", "stderr.txt"))  # noqa: SIM115
        self.proc = subprocess.Popen(
            [BIN / "ntk-bench", *args], cwd=tmp, stdout=self.out, stderr=self.err, env=_env(tmp, **env)
        )

    def result(self) -> tuple[Path, str, str]:
        """Wait for the run; its directory, stdout and stderr (it must have exited 0)."""
        code = self.proc.wait(timeout=300)
        stdout, stderr = ((self.tmp / n).read_text() for n in ("stdout.txt", "stderr.txt"))
        assert code == 0, stderr[-3000:]
        return self.tmp, stdout, stderr

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    launched = {name: _Launched(tmp_path_factory.mktemp(name), *spec) for name, spec in CLI_RUNS.items()}
    yield {name: run.result for name, run in launched.items()}
    for run in launched.values():
        run.close()


def _offline_run(job_dir: Path) -> Path:
    runs = sorted((job_dir / "wandb").glob("offline-run-*"))
    assert len(runs) == 1, runs
    return runs[0]


def _leet(run_dir: Path, *flags: str) -> str:
    proc = subprocess.run(
        [BIN / "wandb", "leet", "inspect", "--json", *flags, str(run_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in _leet(run_dir).splitlines() if line.strip()]


def _run_record(records: list[dict]) -> dict:
    (run,) = [r["run"] for r in records if r["type"] == "run"]
    return run


def _history(records: list[dict]) -> list[dict]:
    return [r["history"] for r in records if r["type"] == "history"]


def _number(value) -> float:
    return float(value)  # leet writes non-finite floats as "NaN" / "Infinity" / "-Infinity"


def test_single_job_logs_config_history_media_and_summary(cli_runs):
    tmp_path, stdout, _ = cli_runs["single"]()
    job_dir = tmp_path / "job"
    run_dir = _offline_run(job_dir)
    assert f"upload it with: wandb sync {run_dir}" in stdout
    assert not (tmp_path / "wandb").exists() and not (tmp_path / "wandb-default-dir").exists()
    results = load_run(job_dir)

    summary = json.loads(_leet(run_dir, "--summary"))
    assert summary["state"] == "finished" and summary["exit_code"] == 0
    assert summary["project"] == "ntk-bench" and summary["tags"] == ["smoke", "tiny"]
    config = summary["config"]
    assert config["model"]["sigma_w2"] == 1.7 and config["model"]["depth"] == 4
    assert config["tracker"]["name"] == "wandb" and config["data"]["n_train"] == 32
    assert config["provenance"]["config_hash"] == results.provenance["config_hash"]
    theory = results.summary["theory"]
    assert summary["summary"]["theory/chi_1"] == pytest.approx(theory["chi_1"], rel=1e-12)
    # The job's claims (evaluated on this job alone) are logged as a table and verdict counts; the
    # theory-only claim (critical line of erf/tanh/relu) is measured in every job.
    assert summary["summary"]["claims/pass"] >= 1
    assert summary["summary"]["claims/fail"] == 0
    assert summary["summary"]["tables/claims"]["_type"] == "table-file"
    assert summary["summary"]["theory/q_star"] == pytest.approx(theory["q_star"], rel=1e-12)
    assert summary["summary"]["theory/phase"] == theory["phase"]
    assert summary["summary"]["n_train"] == 32

    records = _records(run_dir)
    run = _run_record(records)
    assert run["job_type"] == "spectrum" and run["run_group"] == "my-group"
    assert "model.sigma_w2=1.7" in run["display_name"]  # single job: its overrides (override_dirname)
    rows = _history(records)
    assert [r["step"]["num"] for r in rows] == results.series["depth"] == [1, 2, 3, 4]
    for i, row in enumerate(rows):
        item = row["item"]
        for name, values in results.series.items():
            assert _number(item[name]) == pytest.approx(values[i], rel=1e-12, nan_ok=True), name
        for kernel in ("ntk", "nngp"):
            assert item[f"{kernel}/eigenvalues._type"] == "histogram"
            assert sum(item[f"{kernel}/eigenvalues.values"]) == 32  # one count per eigenvalue
            assert item[f"{kernel}/eigenvalues_log10._type"] == "histogram"
    last = rows[-1]["item"]
    assert last["tables/series._type"] == "table-file"
    assert (last["tables/series.nrows"], last["tables/series.ncols"]) == (4, len(results.series))
    assert last["figures/spectrum_vs_depth._type"] == "image-file"
    media = [f["path"] for r in records if r["type"] == "files" for f in r["files"]["files"]]
    assert any(p.startswith("media/images/figures/spectrum_vs_depth") for p in media), media
    assert any(p.startswith("media/table/tables/series") for p in media), media


def test_multirun_is_one_group_with_a_run_per_job(cli_runs):
    tmp_path, _, _ = cli_runs["multirun"]()
    sweep = tmp_path / "sweep"
    runs = []
    for num, sigma_w2 in ((0, 1.2), (1, 1.6)):
        run_dir = _offline_run(sweep / str(num))
        summary = json.loads(_leet(run_dir, "--summary"))
        assert summary["state"] == "finished" and summary["config"]["model"]["sigma_w2"] == sigma_w2
        assert summary["config"]["hydra_job"]["job_num"] == num
        run = _run_record(_records(run_dir))
        assert run["display_name"] == f"model.sigma_w2={sigma_w2}"  # the swept value only
        assert run["job_type"] == "spectrum"
        runs.append(run)
    assert (
        runs[0]["run_group"] == runs[1]["run_group"] == "sweep"
    )  # the sweep dir relative to the working dir
    assert runs[0]["run_id"] != runs[1]["run_id"]


def _md5_b64(path: Path) -> str:
    """W&B's digest of an artifact file: the base64 of its MD5."""
    return base64.b64encode(hashlib.md5(path.read_bytes()).digest()).decode()


def test_each_job_logs_results_and_arrays_as_a_versioned_artifact(cli_runs):
    tmp_path, _, _ = cli_runs["multirun"]()
    for num, sigma_w2 in ((0, 1.2), (1, 1.6)):
        job_dir = tmp_path / "sweep" / str(num)
        records = _records(_offline_run(job_dir))
        (artifact,) = [
            r["artifact"] for r in records if r["type"] == "artifact" and r["artifact"]["type"] == "results"
        ]
        assert artifact["name"] == f"results-model.sigma_w2_{sigma_w2}"  # '=' is not allowed in W&B names
        assert artifact["aliases"] == ["latest"] and artifact["finalize"] is True
        files = {f["path"]: f for f in artifact["manifest"]["contents"]}
        assert set(files) == {"results.json", "arrays.npz"}
        for name, entry in files.items():  # the very files the job wrote
            assert entry["digest"] == _md5_b64(job_dir / name)
            assert int(entry["size"]) == (job_dir / name).stat().st_size


def test_a_multirun_adds_one_sweep_run_with_claims_over_all_its_jobs(cli_runs):
    from ntk_bench.claims import claims_table, evaluate_claims, tracker_summary
    from ntk_bench.results import load_runs

    tmp_path, stdout, _ = cli_runs["multirun"]()
    sweep = tmp_path / "sweep"
    run_dir = _offline_run(sweep)  # <sweep>/wandb/: beside the jobs, not in one
    assert f"wandb sync {run_dir.relative_to(tmp_path)}" in stdout or f"wandb sync {run_dir}" in stdout
    run = _run_record(_records(run_dir))
    assert run["job_type"] == "sweep" and run["display_name"] == "sweep"
    assert run["run_group"] == "sweep"  # the jobs' group (test_multirun_is_one_group_with_a_run_per_job)
    summary = json.loads(_leet(run_dir, "--summary"))
    assert summary["state"] == "finished" and summary["summary"]["jobs"] == 2
    # The claims module's own verdicts over both jobs (the readers skip the tracker dirs).
    runs = load_runs(sweep)
    assert [r.path for r in runs] == [sweep / "0", sweep / "1"]
    results = [r for r in evaluate_claims(runs) if r.verdict != "not-run" or r.runs]
    for key, value in tracker_summary(results).items():
        assert summary["summary"][key] == value, key
    table = summary["summary"]["tables/claims"]
    assert table["nrows"] == len(claims_table(results)[1]) == len(results) > 0


def test_tracker_none_writes_no_wandb_files(cli_runs):
    tmp_path, stdout, _ = cli_runs["mixed"]()
    for num in (0, 1):  # tracker=none
        job_dir = tmp_path / "sweep" / str(num)
        assert load_run(job_dir).config["tracker"]["name"] == "none"
        assert not list(job_dir.rglob("wandb")), list(job_dir.rglob("wandb"))
    assert not (tmp_path / "wandb").exists() and not (tmp_path / "wandb-default-dir").exists()
    # Job 3, and the sweep-level run: the sweep's own config keeps the default tracker (wandb).
    assert stdout.count("wandb sync") == 2 and "wandb sync sweep/wandb/offline-run-" in stdout


def test_a_failing_tracker_keeps_results_and_spares_the_other_jobs(cli_runs):
    tmp_path, _, stderr = cli_runs["mixed"]()
    failed, after = tmp_path / "sweep" / "2", tmp_path / "sweep" / "3"
    warnings = [line for line in stderr.splitlines() if line.startswith("ntk-bench: warning:")]
    assert len(warnings) == 1, stderr[-3000:]
    assert "tracker failed" in warnings[0] and "Invalid project name 'bad/name'" in warnings[0]
    assert warnings[0].endswith("results kept")
    assert load_run(failed).config["tracker"]["project"] == "bad/name"
    assert load_run(failed).series["depth"] == [1, 2, 3, 4]
    assert not list(failed.glob("wandb/offline-run-*"))
    summary = json.loads(_leet(_offline_run(after), "--summary"))
    assert summary["state"] == "finished" and summary["project"] == "ntk-bench-ok"
    assert summary["config"]["tracker"]["project"] == "ntk-bench-ok"


def test_tracker_is_generic_over_any_experiment_output(tmp_path, monkeypatch):
    """A made-up output (float axis, a histogram that is not per step): the same tracker logs it, in process;
    offline ``wandb.init`` returns in well under the bound a hung network would break."""
    import wandb

    for name in ("CONFIG", "CACHE", "DATA"):
        monkeypatch.setenv(f"WANDB_{name}_DIR", str(tmp_path / name.lower()))
    results = Results(
        experiment="made_up",
        axis="time",
        series={"time": [0.5, 1.0, 2.0], "loss": [1.0, float("nan"), 0.25]},
        summary={"fit": {"slope": -0.5, "nested": {"deeper": 3}}, "label": "x"},
    )
    output = ExperimentOutput(results=results, histograms={"weights": np.arange(10.0)})
    tracker = make_tracker({"name": "wandb", "mode": "offline", "project": "p"}, JobContext())
    tracker.start({"experiment": {"name": "made_up"}, "lr": 0.1}, {"seed": 0}, tmp_path / "job")
    tracker.log_output(output)
    tracker.finish(0)
    wandb.teardown()  # flush the .wandb file before another process reads it
    print(f"offline wandb.init took {tracker.init_seconds:.2f} s")
    assert tracker.init_seconds < 10.0

    run_dir = _offline_run(tmp_path / "job")
    rows = _history(_records(run_dir))
    assert [r["step"]["num"] for r in rows] == [0, 1, 2]  # a non-integer axis: steps are row indices
    assert [_number(r["item"]["time"]) for r in rows] == [0.5, 1.0, 2.0]
    assert math.isnan(_number(rows[1]["item"]["loss"]))
    assert rows[-1]["item"]["weights._type"] == "histogram"
    summary = json.loads(_leet(run_dir, "--summary"))
    assert summary["summary"]["fit/slope"] == -0.5 and summary["summary"]["fit/nested/deeper"] == 3
    assert summary["config"]["lr"] == 0.1 and summary["name"] == "made_up"


def test_mode_name_and_group_rules():
    assert resolve_mode("auto", {}) == "offline"
    assert resolve_mode("auto", {"WANDB_API_KEY": "k" * 40}) == "online"
    assert resolve_mode("auto", {"WANDB_API_KEY": "k" * 40, "WANDB_MODE": "offline"}) == "offline"
    assert resolve_mode("offline", {"WANDB_API_KEY": "k" * 40}) == "offline"
    assert resolve_mode("online", {}) == "online"
    assert axis_steps([1, 2, 4, 8]) == [1, 2, 4, 8]
    assert axis_steps([0.1, 0.2]) == [0, 1] and axis_steps([3, 1]) == [0, 1]
    assert flatten({"a": {"b": 1, "c": {"d": "x"}}, "e": 2}) == {"a/b": 1, "a/c/d": "x", "e": 2}
    job = JobContext(
        multirun=True,
        sweep_dir=Path("/work/x/multirun/spectrum/2026-11-05_12-00-00"),
        job_num=3,
        overrides=("model.depth=4", "model=cnn_pool", "model.sigma_w2=1.5"),
        swept_keys=("model", "model.sigma_w2"),
    )
    assert derive_name(job, "spectrum") == "model=cnn_pool,model.sigma_w2=1.5"
    assert derive_group(None, job, cwd=Path("/work/x")) == "multirun/spectrum/2026-11-05_12-00-00"
    assert derive_group(None, job, cwd=Path("/elsewhere")) == "spectrum/2026-11-05_12-00-00"
    assert derive_group("mine", job) == "mine"
    assert derive_group(None, JobContext()) is None
    assert derive_name(JobContext(), "spectrum") == "spectrum"
    assert isinstance(make_tracker({"name": "none"}), NullTracker)
    with pytest.raises(ConfigError, match="unknown tracker.mode 'sometimes'"):
        make_tracker({"name": "wandb", "mode": "sometimes"})


@pytest.mark.slow
def test_auto_mode_without_network_falls_back_to_offline(tmp_path):
    """Credentials, unreachable server: the online start fails within init_timeout; the run goes offline."""
    job_dir = tmp_path / "job"
    proc = _cli(tmp_path, *TINY, "tracker.init_timeout=3", f"hydra.run.dir={job_dir}", WANDB_API_KEY="k" * 40)
    assert "wandb online start failed" in proc.stderr and "logging offline instead" in proc.stderr
    assert json.loads(_leet(_offline_run(job_dir), "--summary"))["state"] == "finished"
    assert (job_dir / "results.json").exists()
