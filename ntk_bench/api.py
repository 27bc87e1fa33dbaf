"""The notebook API: run a job without the CLI, and read results back as objects with a pandas view.

    import ntk_bench
    result = ntk_bench.run("spectrum", overrides=["model.depth=20", "tracker=none"])
    result.summary["theory"]["chi_1"]; result.series["ntk/lambda_max"]; result.frame()   # one row per depth
    sweep = ntk_bench.load("multirun/spectrum/2026-12-02_10-00-00")                    # a whole multirun
    sweep.frame()                                   # every job's rows, its swept values as columns

:func:`run` composes the same Hydra config as ``ntk-bench experiment=... OVERRIDES`` (Hydra's compose API,
``conf/``), runs it through :func:`ntk_bench.runner.run_job` (results store, resume, tracker) and writes the
report when the config's report callback is enabled, into the same ``outputs/<experiment>/<time>`` directory
the CLI would use (or ``job_dir``). Reading goes through :mod:`ntk_bench.results.reader`: a :class:`Result` is
a :class:`~ntk_bench.results.reader.Run` with ``frame()``. Bad input raises
:class:`~ntk_bench.errors.ConfigError` with one line, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ntk_bench.errors import ConfigError, require
from ntk_bench.results.reader import Run, load_run, load_runs, runs_table
from ntk_bench.results.store import RESULTS_FILE
from ntk_bench.tracker.common import one_line

if TYPE_CHECKING:
    import pandas as pd

JOB_COLUMN = "job"  # runs_table's column holding each row's job directory


class Result(Run):
    """One job's results: ``.summary``, ``.series``, ``.config``, ``.axis``, ``.arrays``, ``.provenance`` and
    ``.path`` as in :class:`~ntk_bench.results.reader.Run`, plus :meth:`frame`."""

    def frame(self) -> pd.DataFrame:
        """The series as a DataFrame, one row per step of the axis (``self.axis`` is a column)."""
        import pandas as pd

        return pd.DataFrame(self.series)

    def __repr__(self) -> str:
        steps = len(next(iter(self.series.values()), []))
        return f"Result({self.experiment!r}, axis={self.axis!r}, steps={steps}, path='{self.path}')"


@dataclass(frozen=True)
class Sweep:
    """Every completed job under a multirun directory, sorted by path (iterable, indexable)."""

    path: Path
    runs: tuple[Result, ...]

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[Result]:
        return iter(self.runs)

    def __getitem__(self, index: int) -> Result:
        return self.runs[index]

    def swept_keys(self) -> list[str]:
        """The flattened config keys (``model.sigma_w2``) whose values differ between the jobs."""
        rows = runs_table(list(self.runs))
        series = {name for run in self.runs for name in run.series}
        keys = [k for k in dict.fromkeys(k for row in rows for k in row) if k not in series | {JOB_COLUMN}]
        return [k for k in keys if len({json.dumps(row.get(k), sort_keys=True) for row in rows}) > 1]

    def frame(self) -> pd.DataFrame:
        """All jobs' series concatenated, one row per (job, step), with the job directory and each swept
        config value as columns (constant config values left out: see ``run.config``)."""
        import pandas as pd

        swept = self.swept_keys()
        rows = runs_table(list(self.runs))
        series = list(dict.fromkeys(name for run in self.runs for name in run.series))
        return pd.DataFrame(rows, columns=[JOB_COLUMN, *swept, *series])

    def __repr__(self) -> str:
        return f"Sweep({len(self.runs)} runs, swept={self.swept_keys()}, path='{self.path}')"


def load(path: str | Path) -> Result | Sweep:
    """A job directory (or its ``results.json``) as a :class:`Result`; any other directory (a Hydra multirun)
    as a :class:`Sweep` of every completed job under it."""
    path = Path(path)
    if path.name == RESULTS_FILE or (path / RESULTS_FILE).exists():
        return _result(load_run(path))
    runs = load_runs(path)
    require(bool(runs), f"no completed ntk-bench jobs under {path} (no {RESULTS_FILE} found)")
    return Sweep(path, tuple(_result(run) for run in runs))


def _result(run: Run) -> Result:
    return Result(run.path, run.document)


def _check_overrides(experiment: object, overrides: object) -> list[str]:
    """``experiment=<name>`` + the overrides, as the CLI's argv; rejects what a single job cannot run."""
    from ntk_bench.cli import check_group_choices
    from ntk_bench.tracker.context import override_key, swept_keys

    require(isinstance(experiment, str) and bool(experiment), f"bad experiment {experiment!r}: not a name")
    if isinstance(overrides, str) or not isinstance(overrides, Sequence):
        raise ConfigError(f"overrides must be a list of 'key=value' strings, got {overrides!r}")
    for item in overrides:
        require(isinstance(item, str) and "=" in item, f"bad override {item!r}; expected 'key=value'")
    argv = [f"experiment={experiment}", *overrides]
    check_group_choices(argv)
    require(
        not [o for o in argv if override_key(o) == "suite"],
        "suite=... is a sweep; run it with the CLI (ntk-bench suite=NAME) and read it with ntk_bench.load",
    )
    try:
        swept = swept_keys(argv)
    except Exception as err:
        raise ConfigError(f"bad override in {overrides!r}: {one_line(err)}") from err
    require(not swept, f"sweep overrides {list(swept)} need the CLI (ntk-bench -m ...); run() runs one job")
    return argv


def compose_config(experiment: str, overrides: Sequence[str] = ()) -> Any:
    """The job's config (with its ``hydra`` node) exactly as the CLI composes it from ``conf/``."""
    from ntk_bench.resources import compose

    argv = _check_overrides(experiment, overrides)
    try:
        return compose(argv)
    except ConfigError as err:
        raise ConfigError(f"bad override in {list(overrides)!r}: {err}") from err


def _free_dir(path: Path) -> Path:
    """``path``, or ``path_1``, ``path_2``… when a run in the same second already took it."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}_{n}")
    return candidate


def run(
    experiment: str = "spectrum", overrides: Sequence[str] = (), job_dir: str | Path | None = None
) -> Result:
    """Run one job of ``experiment`` with Hydra ``overrides`` (as on the command line) and return its
    :class:`Result`. ``job_dir``: where to write (default: the CLI's ``outputs/<experiment>/<time>``; a
    ``job_dir`` already holding complete results of the same config is not recomputed, as in the CLI)."""
    from omegaconf import OmegaConf, open_dict

    from ntk_bench.runner import run_job
    from ntk_bench.tracker import JobContext

    cfg = compose_config(experiment, overrides)
    hydra_cfg = cfg.hydra
    target = Path(job_dir) if job_dir is not None else _free_dir(Path(hydra_cfg.run.dir))
    job = JobContext(
        overrides=tuple(str(o) for o in hydra_cfg.overrides.task),
        override_dirname=str(hydra_cfg.job.override_dirname or ""),
    )
    with open_dict(cfg):
        del cfg["hydra"]
    config = OmegaConf.to_container(cfg, resolve=True)
    run_job(config, target, job)
    _save_hydra_files(cfg, hydra_cfg, target)
    _write_report(hydra_cfg, target)
    return load(target)


def _save_hydra_files(cfg: Any, hydra_cfg: Any, job_dir: Path) -> None:
    """``.hydra/{config,hydra,overrides}.yaml`` as the CLI leaves them (reports and baselines read them)."""
    from omegaconf import OmegaConf

    hydra_dir = job_dir / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, hydra_dir / "config.yaml")
    OmegaConf.save(OmegaConf.create({"hydra": hydra_cfg}), hydra_dir / "hydra.yaml")
    OmegaConf.save(OmegaConf.create(list(hydra_cfg.overrides.task)), hydra_dir / "overrides.yaml")


def _write_report(hydra_cfg: Any, job_dir: Path) -> None:
    """Run the configured report callback (``hydra.callbacks.report``) on the job, as the CLI does."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    spec = OmegaConf.select(hydra_cfg, "callbacks.report")
    if spec is None:
        return
    callback = instantiate(spec)
    callback.on_run_end(OmegaConf.create({"hydra": {"runtime": {"output_dir": str(job_dir)}}}))
