"""Sweep progress: one line per job of a multirun, ``ntk-bench: [k/N] <swept overrides> (R remain)``.

A Hydra callback (enabled in ``conf/config.yaml`` under ``hydra.callbacks.progress``). ``on_job_start`` runs
inside the job's own process (basic launcher: the main process; joblib: a worker; submitit: the job, whose
output goes to ``.submitit/*/*_log.out``), so the sweep size N is recomputed there from what every launcher
shares: the sweep's ``multirun.yaml`` (its command-line overrides and ``hydra.sweeper.params``), expanded
the way Hydra's basic sweeper does. k is the job number + 1, so with parallel launchers lines may appear out
of order. The line is always printed (one per job, fine for CI logs); per-loop progress inside a job is
:mod:`ntk_bench.progress`'s business.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

MULTIRUN_FILE = "multirun.yaml"


def sweep_overrides(task_overrides: list[str], params: dict[str, Any] | None) -> list[Any]:
    """The parsed overrides a basic-sweeper multirun expands: ``hydra.sweeper.params`` first, then the
    command line (a key given on both: the command line wins, as in Hydra's BasicSweeper)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    merged = [f"{key}={value}" for key, value in (params or {}).items()] + list(task_overrides)
    return OverridesParser.create().parse_overrides(merged)


def sweep_size(overrides: list[Any]) -> tuple[int, tuple[str, ...]]:
    """(number of jobs, swept keys) of a basic-sweeper multirun over ``overrides``."""
    last = {override.get_key_element(): override for override in overrides}  # later ones win
    counts = {
        key: len(list(o.sweep_string_iterator())) if o.is_sweep_override() else 1 for key, o in last.items()
    }
    swept = tuple(key for key, o in last.items() if o.is_sweep_override())
    return math.prod(counts.values()), swept


@cache
def _sweep_plan(multirun_file: str) -> tuple[int, tuple[str, ...]] | None:
    """(N, swept keys) from a sweep's ``multirun.yaml``; ``None`` when it cannot be read or expanded
    (e.g. a ``glob()`` sweep or another sweeper plugin): the line then omits N."""
    try:
        launch = OmegaConf.load(multirun_file)
        task = [str(o) for o in launch.hydra.overrides.task]
        node = launch.hydra.sweeper.get("params")
        params = {} if node is None else OmegaConf.to_container(node, resolve=False)
        return sweep_size(sweep_overrides(task, params))  # type: ignore[arg-type]
    except Exception:
        return None


def progress_line(job_num: int, overrides: list[str], plan: tuple[int, tuple[str, ...]] | None) -> str:
    """``ntk-bench: [k/N] key=value ... (R remain)`` for job ``job_num`` (0-based)."""
    k = job_num + 1
    if plan is None:
        return f"ntk-bench: [{k}] {' '.join(overrides)}"
    total, swept = plan
    shown = [o for o in overrides if o.partition("=")[0] in swept] or overrides
    return f"ntk-bench: [{k}/{total}] {' '.join(shown)} ({max(total - k, 0)} remain)"


class SweepProgress(Callback):
    """Prints :func:`progress_line` at the start of every multirun job (nothing for single runs)."""

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            hydra_cfg = config.hydra
            if str(hydra_cfg.mode) not in ("MULTIRUN", "RunMode.MULTIRUN"):
                return
            num = int(hydra_cfg.job.num)
            overrides = [str(o) for o in hydra_cfg.overrides.task]
            plan = _sweep_plan(str(Path(hydra_cfg.sweep.dir) / MULTIRUN_FILE))
            print(progress_line(num, overrides, plan), flush=True)
        except Exception:  # progress is cosmetic: never fail a job over it
            return
