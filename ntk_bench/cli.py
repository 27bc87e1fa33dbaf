"""``ntk-bench``: the Hydra command line.

    ntk-bench experiment=spectrum model=fcn model.activation=erf model.sigma_w2=1.5 model.depth=400
    ntk-bench -m model.sigma_w2=1.25,1.5,1.76 model=fcn,cnn_flatten,cnn_pool

Bad input exits with status 2 and one line ``ntk-bench: error: ...`` on stderr; no results are written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from ntk_bench.errors import ConfigError
from ntk_bench.resources import conf_dir

CONF_DIR = conf_dir()  # conf/ in a checkout, ntk_bench/conf in an installed wheel
CHECKED_GROUPS = ("model", "data", "experiment", "tracker", "suite")
EXIT_BAD_INPUT = 2


def group_options(group: str, conf_dir: Path = CONF_DIR) -> list[str]:
    """The option names of a config group (the yaml files in ``conf/<group>/`` and in plugins' configs)."""
    from ntk_bench.plugins import plugin_conf_dirs

    dirs = [conf_dir, *plugin_conf_dirs()] if conf_dir == CONF_DIR else [conf_dir]
    return sorted({p.stem for d in dirs for p in (d / group).glob("*.yaml")})


def check_group_choices(argv: list[str], conf_dir: Path = CONF_DIR) -> None:
    """Reject ``group=unknown`` overrides up front with one line (Hydra's own message spans many)."""
    for arg in argv:
        key, sep, value = arg.partition("=")
        group = key.lstrip("+~")
        if not sep or group not in CHECKED_GROUPS or value.startswith(("choice(", "range(", "glob(")):
            continue
        allowed = group_options(group, conf_dir)
        for choice in value.split(","):
            if choice not in allowed:
                raise ConfigError(f"unknown {group} {choice!r}; allowed: {', '.join(allowed)}")


def check_moved_overrides(argv: list[str]) -> None:
    """``experiment.n_train=64`` where the chosen experiment has no ``n_train``: the key moved to another
    group (:data:`~ntk_bench.experiment.checks.MOVED_KEYS`), so say where in one line instead of Hydra's
    multi-line "not in struct". Composes the config (once per experiment option) only when such an
    override is given.
    """
    from ntk_bench.experiment.checks import MOVED_KEYS
    from ntk_bench.resources import compose

    keys = [arg.partition("=")[0] for arg in argv if arg.partition("=")[0].startswith("experiment.")]
    moved = [key for key in keys if key.removeprefix("experiment.") in MOVED_KEYS]
    if not moved:
        return
    choices = [arg for arg in argv if arg.partition("=")[0].lstrip("+") in ("experiment", "suite/cells")]
    chosen = [arg.partition("=")[2] for arg in choices if arg.startswith("experiment=")]
    options = [option for value in chosen for option in value.split(",")]
    base = [arg for arg in choices if not arg.startswith("experiment=")]
    for option in options or [None]:
        cfg = compose([*base, *([f"experiment={option}"] if option else [])])
        for key in moved:
            name = key.removeprefix("experiment.")
            if name not in cfg.experiment:
                raise ConfigError(f"{key} moved to {MOVED_KEYS[name]}")


def fail(message: str) -> None:
    """Print one error line and exit with the bad-input status."""
    print(f"ntk-bench: error: {message}", file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    """One Hydra job: resolve the config, run it (or skip it when complete), print where the results are."""
    from ntk_bench.runner import run_job
    from ntk_bench.tracker import job_context_from_hydra

    job_dir = Path(HydraConfig.get().runtime.output_dir)
    job = job_context_from_hydra(HydraConfig.get())  # never raises
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
        run_job(config, job_dir, job)  # prints "results written to …" or "skipped (complete) …"
    except ConfigError as err:
        if job.multirun:  # fail this cell only: the sweep goes on, and Hydra exits non-zero at its end
            print(f"ntk-bench: error: {err}", file=sys.stderr, flush=True)
            raise
        fail(str(err))


def main() -> None:
    """Console-script entry point."""
    from ntk_bench.plugins import register_plugin_configs

    try:
        check_group_choices(sys.argv[1:])
        check_moved_overrides(sys.argv[1:])
    except ConfigError as err:
        fail(str(err))
    register_plugin_configs()  # plugins' config folders on Hydra's search path (ntk_bench.plugins)
    hydra_main()


if __name__ == "__main__":
    main()
