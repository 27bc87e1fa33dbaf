"""Suites, launchers, resume and sweep progress (issue 7; docs/suites.md).

Each CLI process pays ~1-2 s of imports and its own compilation, so the default tier launches few: the quick
suite twice (killed after 3 cells, then resumed) and one joblib multirun of 2 tiny jobs; config checks run
in process.
The slow tier adds the submitit_local multirun of 2 tiny jobs and the nightly suite.
"""

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from ntk_bench.results import load_run, load_runs

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
TINY = ["model.depth=3", "data.n_train=16", "data.n_test=8", "tracker=none"]


def _env(**extra):
    return {**os.environ, "NTK_BENCH_QUIET": "1", "WANDB_MODE": "offline", **extra}


def _cli(args, cwd, timeout=600, **env):
    return subprocess.run(
        [BIN / "ntk-bench", *args], capture_output=True, text=True, env=_env(**env), cwd=cwd, timeout=timeout
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cells(suite):
    from ntk_bench.suite.__main__ import suite_cells

    return suite_cells(suite)


def test_slurm_launcher_config_renders_the_sbatch_script(tmp_path, monkeypatch):
    """hydra/launcher=slurm through the real submitit code path up to the sbatch file (no cluster here: a
    stand-in ``srun`` on PATH satisfies submitit's detection; nothing is submitted)."""
    import submitit
    from hydra import compose, initialize_config_dir
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "srun").write_text("#!/bin/sh\nexit 1\n")
    (fake / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.setenv("NTK_BENCH_SLURM_PARTITION", "gpu")
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                "hydra/launcher=slurm",
                "hydra.launcher.timeout_min=240",
                f"hydra.sweep.dir={tmp_path}",
            ],
            return_hydra_config=True,
        )
    params = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    params.update(name="ntk-bench", submitit_folder=str(tmp_path / ".submitit" / "%j"))
    params = OmegaConf.to_container(OmegaConf.create(params), resolve=True)
    assert params.pop("_target_").endswith("SlurmLauncher")
    # As hydra_submitit_launcher's BaseSubmititLauncher.launch builds its executor:
    executor = submitit.AutoExecutor(
        cluster="slurm",
        folder=params.pop("submitit_folder"),
        slurm_max_num_timeout=params.pop("max_num_timeout"),
    )
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    executor.update_parameters(**{k if k in base else f"slurm_{k}": v for k, v in params.items()})
    sbatch = executor._executor._make_submission_file_text("python -m ntk_bench.cli", "uid")
    for line in ("--partition=gpu", "--gpus-per-node=1", "--time=240", "--cpus-per-task=8", "--mem=64GB"):
        assert f"#SBATCH {line}\n" in sbatch, sbatch
    assert "export NTK_BENCH_QUIET=1" in sbatch


# ------------------------------------------------------------------------------- quick, kill, resume


# 47 s of the default tier's 5 min 16 s (fresh clone, 2026-12-01): slow tier. The resume logic stays in the
# default tier through test_resume_skips_only_a_complete_run_of_the_same_config_and_force_recomputes.
@pytest.mark.slow
def test_quick_suite_killed_mid_way_resumes_to_the_uninterrupted_results(tmp_path):
    """``suite=quick`` end to end, interrupted by a real SIGKILL after 3 of its 6 cells (the runner's
    NTK_BENCH_CRASH_AFTER hook), then rerun with the same command: the 3 complete cells are skipped untouched,
    only the 3 missing ones are computed (and equal a from-scratch computation of their configs), and the
    report is written."""
    sweep = tmp_path / "quick"
    args = ["suite=quick", "tracker=none", f"hydra.sweep.dir={sweep}"]
    cells = _cells("quick")
    n, k = len(cells), 3

    crashed = _cli(args, tmp_path, NTK_BENCH_CRASH_AFTER=str(k))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    done = sorted(sweep.glob("*/results.json"))
    assert [p.parent.name for p in done] == [f"{i}_{c}" for i, c in enumerate(cells[:k])]
    assert crashed.stdout.count("ntk-bench: results written to") == k
    before = {p: _sha(p) for p in done}

    resumed = _cli(args, tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    out = resumed.stdout
    skipped = re.findall(r"^ntk-bench: skipped \(complete\) (\S+)$", out, re.M)
    computed = re.findall(r"^ntk-bench: results written to (\S+)$", out, re.M)
    assert sorted(map(Path, skipped)) == done  # no duplicate work: the complete cells were not recomputed ...
    assert len(computed) == n - k  # ... and exactly the missing ones were
    assert all(_sha(p) == sha for p, sha in before.items())  # skipped files are byte-for-byte untouched
    for i, cell in enumerate(cells):  # sweep progress: which cell, how many remain
        assert f"ntk-bench: [{i + 1}/{n}] +suite/cells={cell} ({n - i - 1} remain)" in out
    assert (sweep / "report" / "index.html").stat().st_size > 0
    assert (sweep / "report" / "summary.md").stat().st_size > 0
    claims = re.search(r"claims: (\d+) passed, (\d+) failed, (\d+) not run; 0 missing cells", out)
    assert claims and int(claims[1]) >= 10, out[-2000:]  # the quick suite's cells let the spectrum claims run

    # The uninterrupted reference. The k skipped cells are byte-for-byte what the first process wrote before
    # the kill, i.e. what an uninterrupted run computes for them (same process, same order, before any kill).
    # The n - k cells computed after the resume are recomputed here from scratch and must match exactly.
    from ntk_bench.runner import run_job

    runs = load_runs(sweep)
    assert len(runs) == n and all(r.provenance["config_hash"] for r in runs)
    for run in (r for r in runs if r.path / "results.json" not in before):
        reference = load_run(run_job(run.config, tmp_path / "reference" / run.path.name))
        assert reference.provenance["config_hash"] == run.provenance["config_hash"]
        assert set(reference.series) == set(run.series)
        for name, values in run.series.items():
            np.testing.assert_array_equal(values, reference.series[name], err_msg=f"{run.path.name}: {name}")
        for name, array in run.arrays.items():
            np.testing.assert_array_equal(array, reference.arrays[name], err_msg=f"{run.path.name}: {name}")


# --------------------------------------------------------------------------------------- launchers


# Both launchers are in the slow tier (nightly) to keep the default tier under 5 minutes on 2 cores: each
# starts extra processes (~8 s of jax/TF imports each; joblib measured 25 s, submitit_local 30 s).
@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_launcher_runs_two_tiny_jobs_and_reports(tmp_path, launcher):
    sweep = tmp_path / "sweep"
    extra = ["hydra.launcher.n_jobs=2"] if launcher == "joblib" else []
    proc = _cli(
        [
            "-m",
            f"hydra/launcher={launcher}",
            *extra,
            *TINY,
            "model.sigma_w2=1.2,1.6",
            f"hydra.sweep.dir={sweep}",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = load_runs(sweep)
    assert sorted(r.config["model"]["sigma_w2"] for r in runs) == [1.2, 1.6]
    assert all(r.series["depth"] == [1, 2, 3] for r in runs)
    assert (sweep / "report" / "index.html").stat().st_size > 0
    # Progress and result lines come from the job processes: joblib's workers share our stdout; submitit
    # keeps each job's output in .submitit/<job id>/*_log.out.
    logs = proc.stdout + "".join(p.read_text() for p in sweep.glob(".submitit/*/*_log.out"))
    for line in ("[1/2] model.sigma_w2=1.2 (1 remain)", "[2/2] model.sigma_w2=1.6 (0 remain)"):
        assert f"ntk-bench: {line}" in logs, logs[-3000:]
    assert logs.count("ntk-bench: results written to") == 2


# ------------------------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_nightly_suite_passes_its_claims_and_baseline(tmp_path):
    """``make nightly``'s command. In the nightly workflow NTK_BENCH_NIGHTLY_DIR points at the sweep the
    workflow just ran, so this resumes it (every cell skipped) instead of computing it twice."""
    from ntk_bench.suite.__main__ import available_cells

    directory = Path(os.environ.get("NTK_BENCH_NIGHTLY_DIR") or tmp_path / "nightly")
    proc = subprocess.run(
        # exactly `make nightly`'s arguments: an extra override changes the config hash, so nothing resumes
        [sys.executable, "-m", "ntk_bench.suite", "nightly", "--dir", str(directory)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=REPO,
        timeout=1800,
    )
    assert proc.returncode == 0, (proc.stdout[-5000:], proc.stderr[-3000:])
    cells, _ = available_cells(_cells("nightly"))
    names = sorted(p.parent.name for p in directory.glob("*/results.json"))
    assert sorted(names) == sorted(f"{i}_{c}" for i, c in enumerate(cells))
    assert {r.experiment for r in load_runs(directory)} >= {
        "spectrum",
        "xiao2020_fcn",
        "lee2019_linearization",
    }
    assert (directory / "report" / "summary.md").stat().st_size > 0
    assert "ntk-bench-report: OK" in proc.stdout
