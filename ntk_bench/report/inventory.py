"""What a run or multirun directory holds: completed runs, and the sweep cells that are missing.

A Hydra multirun directory has ``multirun.yaml`` (the sweep's overrides) and one job directory per cell with
``.hydra/overrides.yaml``; a job that completed has ``results.json`` (written last, atomically). The cells
the sweep should have are re-expanded from ``multirun.yaml`` exactly as Hydra's basic sweeper does (also
used by the joblib and submitit launchers), so a partial or interrupted multirun lists:

* ``incomplete``: the job directory exists but has no ``results.json`` (failed or interrupted), and
* ``not started``: the cell has no job directory at all (the sweep stopped before it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ntk_bench.errors import ConfigError
from ntk_bench.results import Run, load_run
from ntk_bench.results.reader import TRACKER_DIRS
from ntk_bench.results.store import RESULTS_FILE

CellStatus = Literal["complete", "incomplete", "not started"]
SKIP_DIRS = frozenset({"report", ".submitit", "__pycache__"}) | TRACKER_DIRS  # TRACKER_DIRS: wandb, mlruns


@dataclass(frozen=True)
class Cell:
    """One job of a sweep (or the single job of a run directory)."""

    label: str
    overrides: tuple[str, ...]
    status: CellStatus
    path: Path | None = None


@dataclass
class Inventory:
    """The runs found under ``root`` and every expected cell with its status."""

    root: Path
    kind: Literal["run", "multirun", "directory"]
    runs: list[Run]
    cells: list[Cell] = field(default_factory=list)
    sweep_overrides: tuple[str, ...] = ()
    expected_known: bool = True

    @property
    def missing(self) -> list[Cell]:
        return [c for c in self.cells if c.status != "complete"]

    def label(self, path: str | Path) -> str:
        """``path`` relative to the root ('.' for the root itself)."""
        try:
            rel = Path(path).resolve().relative_to(self.root.resolve())
        except ValueError:
            return str(path)
        return str(rel) if str(rel) != "." else "."

    def overrides_of(self, run: Run) -> tuple[str, ...]:
        for cell in self.cells:
            if cell.path is not None and cell.path.resolve() == run.path.resolve():
                return cell.overrides
        return ()


def _read_yaml(file: Path) -> Any:
    try:
        return yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{file} is not readable YAML: {err}".splitlines()[0]) from err


def expected_cells(multirun_yaml: Path) -> list[tuple[str, ...]] | None:
    """The override list of every cell of the sweep in ``multirun.yaml``; None if it cannot be expanded
    (not Hydra's basic sweeper, or an unparseable override)."""
    doc = _read_yaml(multirun_yaml)
    hydra_cfg = (doc or {}).get("hydra") or {}
    sweeper = hydra_cfg.get("sweeper") or {}
    if "basic_sweeper" not in str(sweeper.get("_target_", "basic_sweeper")):
        return None
    task = list(((hydra_cfg.get("overrides") or {}).get("task")) or [])
    params = sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()] + [str(t) for t in task]
    try:
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parsed = OverridesParser.create().parse_overrides(arguments)
        batches = BasicSweeper.split_arguments(parsed, None)
    except Exception:  # an override Hydra itself would have to interpret (plugins, custom sweepers)
        return None
    return [tuple(cell) for batch in batches for cell in batch]


def _job_overrides(job_dir: Path) -> tuple[str, ...]:
    file = job_dir / ".hydra" / "overrides.yaml"
    if not file.exists():
        return ()
    value = _read_yaml(file)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _job_dirs(root: Path) -> list[Path]:
    """Directories under ``root`` that are Hydra job dirs (``.hydra/``) or hold a ``results.json``."""
    found: set[Path] = set()
    for marker in (*root.rglob(".hydra"), *root.rglob(RESULTS_FILE)):
        if any(part in SKIP_DIRS for part in marker.relative_to(root).parts):
            continue
        job = marker.parent
        if marker.name == ".hydra" and not marker.is_dir():
            continue
        found.add(job)
    return sorted(found, key=lambda p: _natural_key(p.relative_to(root)))


def _natural_key(path: Path) -> tuple[Any, ...]:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.parts)


def take_inventory(path: str | Path) -> Inventory:
    """Scan a job directory or a (multi)run directory. Corrupt or alien ``results.json`` files raise
    :class:`ConfigError` naming the file."""
    root = Path(path)
    if not root.exists():
        raise ConfigError(f"results path {root} does not exist")
    if root.is_file():
        if root.name != RESULTS_FILE:
            raise ConfigError(f"{root} is not a run directory or a {RESULTS_FILE}")
        root = root.parent
    multirun_yaml = root / "multirun.yaml"
    if (root / RESULTS_FILE).exists() or ((root / ".hydra").is_dir() and not multirun_yaml.exists()):
        run = load_run(root) if (root / RESULTS_FILE).exists() else None
        status: CellStatus = "complete" if run else "incomplete"
        cell = Cell(".", _job_overrides(root), status, root)
        return Inventory(root, "run", [run] if run else [], [cell])
    jobs = _job_dirs(root)
    runs: list[Run] = []
    cells: list[Cell] = []
    seen: set[frozenset[str]] = set()
    for job in jobs:
        overrides = _job_overrides(job)
        done = (job / RESULTS_FILE).exists()
        if done:
            runs.append(load_run(job))
        rel = str(job.relative_to(root))
        cells.append(Cell(rel, overrides, "complete" if done else "incomplete", job))
        seen.add(frozenset(overrides))
    if not multirun_yaml.exists():
        if not jobs:
            raise ConfigError(f"no {RESULTS_FILE} or Hydra job directory under {root}")
        return Inventory(root, "directory", runs, cells)
    expected = expected_cells(multirun_yaml)
    task = tuple(
        str(t)
        for t in ((_read_yaml(multirun_yaml) or {}).get("hydra", {}).get("overrides", {}).get("task") or [])
    )
    if expected is not None:
        for cell_overrides in expected:
            if frozenset(cell_overrides) not in seen:
                cells.append(Cell("-", cell_overrides, "not started"))
    return Inventory(root, "multirun", runs, cells, task, expected is not None)
