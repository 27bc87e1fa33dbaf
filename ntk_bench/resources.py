"""Where the package's Hydra configs are: the one lookup the CLI, the notebook API and the suites use.

The repository keeps the configs at the top level (``conf/``, mirroring the pipeline). A wheel carries the
same files as package data ``ntk_bench/conf`` (``setup.py`` maps ``conf/`` onto the package
``ntk_bench.conf``), so an installed ``ntk-bench`` works from any directory; a source checkout or an editable
install (``make setup``) reads ``conf/`` beside the package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def conf_dir() -> Path:
    """The Hydra config directory: ``ntk_bench/conf`` in an installed wheel, else the checkout's ``conf/``."""
    for candidate in (PACKAGE / "conf", PACKAGE.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise RuntimeError(f"ntk-bench: no Hydra configs (conf/config.yaml) in {PACKAGE} or beside it")
