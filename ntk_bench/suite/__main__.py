"""``python -m ntk_bench.suite SUITE``: run a suite, report it, compare with its baseline, set the exit code.

    python -m ntk_bench.suite nightly                    # what `make nightly` and the nightly workflow run
    python -m ntk_bench.suite nightly --dir out/nightly  # fixed dir: a rerun skips complete cells
    python -m ntk_bench.suite quick tracker=none         # trailing args: Hydra overrides for every cell

Steps: (1) ``ntk-bench suite=SUITE hydra.sweep.dir=DIR ...`` — cells whose experiment is not registered yet
are dropped, with one line each; (2) ``ntk-bench-report DIR [--baseline REF]``, REF defaulting to
``reports/baselines/SUITE`` when that directory exists. A Hydra multirun always exits 0 when its jobs do, so
the verdict comes from step 2: exit 1 when a claim fails or a metric drifts (or the sweep failed), 2 on bad
input. The sweep's own report callback is switched off here: step 2 writes the same report, plus the drift.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from omegaconf import OmegaConf

from ntk_bench.resources import conf_dir

REPO = Path(__file__).resolve().parents[2]  # reports/baselines/ (a checkout only)
CONF = conf_dir()
CELLS_KEY = "+suite/cells"
EXIT_BAD_INPUT = 2


def suite_cells(suite: str, conf: Path = CONF) -> list[str]:
    """The cells a suite sweeps (``hydra.sweeper.params['+suite/cells']`` of ``conf/suite/SUITE.yaml``)."""
    params = OmegaConf.load(conf / "suite" / f"{suite}.yaml").hydra.sweeper.params
    return [c.strip() for c in str(params[CELLS_KEY]).split(",") if c.strip()]


def cell_experiments(cells: Sequence[str], conf: Path = CONF) -> dict[str, tuple[str, str | None]]:
    """``{cell: (experiment option, experiment.name)}`` from each cell's config as Hydra composes it
    (``ntk-bench +suite/cells=CELL``: the cell's defaults list, the experiment option's parents, plugins'
    config folders on the search path). A cell that does not compose (e.g. its experiment option does not
    exist yet) gives ``("does not compose: <Hydra's reason>", None)``.
    """
    from ntk_bench.errors import ConfigError
    from ntk_bench.resources import compose

    found: dict[str, tuple[str, str | None]] = {}
    for cell in cells:
        try:
            cfg = compose([f"{CELLS_KEY}={cell}"], conf)
        except ConfigError as err:
            found[cell] = (f"does not compose: {err}", None)
            continue
        name = OmegaConf.select(cfg, "experiment.name")
        found[cell] = (str(cfg.hydra.runtime.choices.get("experiment")), None if name is None else str(name))
    return found


def available_cells(cells: Sequence[str], conf: Path = CONF) -> tuple[list[str], list[tuple[str, str]]]:
    """(runnable cells, [(dropped cell, why)]): a cell is runnable when its composed config's
    ``experiment.name`` is an experiment registered in ``ntk_bench.experiment`` (or by a plugin)."""
    from ntk_bench.experiment import EXPERIMENTS
    from ntk_bench.plugins import register_plugin_experiments

    register_plugin_experiments()
    keep: list[str] = []
    dropped: list[tuple[str, str]] = []
    for cell, (option, name) in cell_experiments(cells, conf).items():
        if name in EXPERIMENTS:
            keep.append(cell)
        else:
            dropped.append((cell, option if name is None else f"{option!r} is not available"))
    return keep, dropped


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ntk_bench.suite", description=__doc__.splitlines()[0])
    p.add_argument("suite", help="a conf/suite/*.yaml name: quick, nightly, xiao2020, ...")
    p.add_argument("--dir", type=Path, default=None, help="sweep dir (default multirun/suite-SUITE/<time>)")
    p.add_argument("--baseline", type=Path, default=None, help="reference (default reports/baselines/SUITE)")
    p.add_argument("--no-baseline", action="store_true", help="report without a baseline comparison")
    p.add_argument("overrides", nargs="*", help="Hydra overrides applied to every cell")
    return p


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Options and overrides in any order (``nightly --dir D tracker=none``: intermixed parsing)."""
    return parser().parse_intermixed_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    if not (CONF / "suite" / f"{args.suite}.yaml").exists():
        options = sorted(p.stem for p in (CONF / "suite").glob("*.yaml"))
        print(
            f"ntk-bench: error: unknown suite {args.suite!r}; allowed: {', '.join(options)}", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    directory = args.dir or Path("multirun") / f"suite-{args.suite}" / time.strftime("%Y-%m-%d_%H-%M-%S")
    sweep = [sys.executable, "-m", "ntk_bench.cli", f"suite={args.suite}", f"hydra.sweep.dir={directory}"]
    if not any(o.startswith(CELLS_KEY + "=") for o in args.overrides):
        cells, dropped = available_cells(suite_cells(args.suite))
        for cell, why in dropped:
            print(f"ntk-bench: suite {args.suite}: cell {cell} not run ({why})")
        if dropped:
            sweep.append(f"{CELLS_KEY}={','.join(cells)}")
    if "report" in (OmegaConf.load(CONF / "config.yaml").hydra.get("callbacks") or {}):
        sweep.append("~hydra.callbacks.report")  # step 2 writes the report (with the baseline drift)
    start = time.perf_counter()
    sweep_code = subprocess.run([*sweep, *args.overrides], check=False).returncode
    sweep_s = time.perf_counter() - start

    report = [sys.executable, "-m", "ntk_bench.report.cli", str(directory)]
    baseline = args.baseline or REPO / "reports" / "baselines" / args.suite
    if not args.no_baseline and (args.baseline is not None or baseline.is_dir()):
        report += ["--baseline", str(baseline)]
    start = time.perf_counter()
    report_code = subprocess.run(report, check=False).returncode if directory.exists() else EXIT_BAD_INPUT
    report_s = time.perf_counter() - start
    print(
        f"ntk-bench: suite {args.suite}: sweep exit {sweep_code} ({sweep_s:.0f} s), "
        f"report exit {report_code} ({report_s:.0f} s), results in {directory}"
    )
    if sweep_code != 0:
        return 1 if report_code in (0, 1) else report_code
    return report_code


if __name__ == "__main__":
    sys.exit(main())
