"""Where a job sits in a Hydra launch: the facts a tracker needs to group and name its run.

Built once per job in the CLI (:func:`job_context_from_hydra`) and handed to :func:`make_tracker`; the tracker
itself never imports Hydra.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MULTIRUN_FILE = "multirun.yaml"  # written by Hydra's sweeper at the top of the sweep dir


@dataclass(frozen=True)
class JobContext:
    """One Hydra job: ``overrides`` are this job's task overrides (``model.sigma_w2=1.2``, concrete values),
    ``swept_keys`` the keys the sweep varies (``model.sigma_w2`` for ``-m model.sigma_w2=1.2,1.6``)."""

    multirun: bool = False
    sweep_dir: Path | None = None
    job_num: int | None = None
    overrides: tuple[str, ...] = ()
    swept_keys: tuple[str, ...] = ()
    override_dirname: str = ""

    def swept_overrides(self) -> list[str]:
        """This job's overrides of the swept keys, in command-line order (``["model.sigma_w2=1.2"]``)."""
        return [o for o in self.overrides if override_key(o) in self.swept_keys]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["sweep_dir"] = None if self.sweep_dir is None else str(self.sweep_dir)
        out["overrides"] = list(self.overrides)
        out["swept_keys"] = list(self.swept_keys)
        return out


def override_key(override: str) -> str:
    """``model.sigma_w2`` of ``model.sigma_w2=1.2`` (also of ``+key=...``/``~key``)."""
    return override.partition("=")[0].lstrip("+~")


def swept_keys(task_overrides: list[str]) -> tuple[str, ...]:
    """The keys of the sweep overrides (``a=1,2``, ``range(...)``, ``choice(...)``…), via Hydra's parser."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(task_overrides))
    return tuple(o.key_or_group for o in parsed if o.is_sweep_override())


def job_context_from_hydra(hydra_cfg: Any) -> JobContext:
    """The :class:`JobContext` of the running job from ``HydraConfig.get()``. Never raises: a tracker only
    loses its derived run name/group if Hydra's layout is not what it expects."""
    try:
        overrides = tuple(str(o) for o in hydra_cfg.overrides.task)
        context = {"overrides": overrides, "override_dirname": str(hydra_cfg.job.override_dirname or "")}
        if getattr(hydra_cfg.mode, "name", str(hydra_cfg.mode)) != "MULTIRUN":
            return JobContext(**context)
        sweep_dir = Path(hydra_cfg.sweep.dir)
        keys: tuple[str, ...] = ()
        with contextlib.suppress(Exception):  # a sweep without multirun.yaml: no swept keys known
            from omegaconf import OmegaConf

            keys = swept_keys(list(OmegaConf.load(sweep_dir / MULTIRUN_FILE).hydra.overrides.task))
        num = hydra_cfg.job.get("num")
        return JobContext(
            multirun=True,
            sweep_dir=sweep_dir,
            job_num=None if num is None else int(num),
            swept_keys=keys,
            **context,
        )
    except Exception:
        return JobContext()
