"""Where the package's Hydra configs are, and how they compose: the one lookup and the one composition the
CLI, the notebook API and the suites use.

The repository keeps the configs at the top level (``conf/``, mirroring the pipeline). A wheel carries the
same files as package data ``ntk_bench/conf`` (``setup.py`` maps ``conf/`` onto the package
``ntk_bench.conf``), so an installed ``ntk-bench`` works from any directory; a source checkout or an editable
install (``make setup``) reads ``conf/`` beside the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


def conf_dir() -> Path:
    """The Hydra config directory: ``ntk_bench/conf`` in an installed wheel, else the checkout's ``conf/``."""
    for candidate in (PACKAGE / "conf", PACKAGE.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise RuntimeError(f"ntk-bench: no Hydra configs (conf/config.yaml) in {PACKAGE} or beside it")


def compose(overrides: Sequence[str], conf: Path | None = None) -> Any:
    """The job config (with its ``hydra`` node) that ``ntk-bench OVERRIDES`` would run, composed by Hydra's
    compose API from ``conf`` (default :func:`conf_dir`) and the plugins' config folders: the one composition
    the notebook API, the suite wrapper and the CLI's checks share. A config that does not compose is a
    :class:`~ntk_bench.errors.ConfigError` whose message is the first line of Hydra's reason.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from ntk_bench.errors import ConfigError
    from ntk_bench.plugins import register_plugin_configs
    from ntk_bench.tracker.common import one_line

    register_plugin_configs()
    try:
        with initialize_config_dir(
            config_dir=str(conf or conf_dir()), version_base="1.3", job_name="ntk_bench"
        ):
            return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(one_line(err)) from err
