"""An installed wheel (not the checkout) is a working ``ntk-bench``: the Hydra configs ship inside it.

The wheel is built from a copy of the project's sources, installed with ``--no-deps`` into a fresh venv that
reuses this environment's packages (the supported install: the lock first, then the wheel without
dependencies, README "Install"), and run from a directory that is not the checkout.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from ntk_bench.resources import conf_dir

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "ntk_bench", "conf")


def _can_build_offline() -> bool:
    """setuptools with bdist_wheel here (>= 70.1, or >= 68 with ``wheel``): build without the index."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    has_wheel = importlib.util.find_spec("wheel") is not None
    return (major, minor) >= (70, 1) or ((major, minor) >= (68, 0) and has_wheel)


def _pip(*args: str, cwd: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )


def test_wheel_ships_the_configs_and_runs_from_another_directory(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(
            REPO / name,
            source / name,
            **({"ignore": shutil.ignore_patterns("__pycache__")} if (REPO / name).is_dir() else {}),
        )
    isolation = ["--no-build-isolation"] if _can_build_offline() else []  # else setuptools from the index
    _pip("wheel", "--no-deps", *isolation, "-q", "-w", str(tmp_path / "dist"), ".", cwd=source)
    (wheel,) = (tmp_path / "dist").glob("ntk_bench-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("ntk_bench/conf/")}
    expected = {f"ntk_bench/conf/{p.relative_to(conf_dir()).as_posix()}" for p in conf_dir().rglob("*.yaml")}
    assert expected and shipped == expected

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "lock.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the lock's packages
    _pip("--python", str(python), "install", "--no-deps", "-q", str(wheel), cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "NTK_BENCH_QUIET": "1", "PYTHONPATH": ""}
    where = subprocess.run(
        [python, "-c", "import ntk_bench.resources as r; print(r.conf_dir())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where) == Path(purelib) / "ntk_bench" / "conf"
    run = subprocess.run(
        [
            venv / "bin" / "ntk-bench",
            "experiment=spectrum",
            "model.depth=1",
            "data.n_train=8",
            "data.n_test=8",
            "tracker=none",
            "hydra.run.dir=job",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    job = elsewhere / "job"
    assert (job / "results.json").is_file() and (job / "report" / "index.html").is_file()
    bad = subprocess.run(
        [venv / "bin" / "ntk-bench", "experiment=nope"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "spectrum" in bad.stderr.partition("allowed: ")[2]
