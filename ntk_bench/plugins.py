"""Extending without forking: experiments, claims, figures, architecture families and Hydra configs from a
user's own installed package, declared as Python entry points (docs/extending.md)::

    [project.entry-points."ntk_bench.experiments"]
    my_exp = "my_pkg.exp:run"        # experiment.name -> run(cfg, job_dir) -> ExperimentOutput
    [project.entry-points."ntk_bench.configs"]
    my_pkg = "my_pkg:conf"           # a folder of the package: experiment/<name>.yaml, model/<name>.yaml, ...
    [project.entry-points."ntk_bench.claims"]
    my_pkg = "my_pkg.claims"         # a module registering claims (@claim) when imported
    [project.entry-points."ntk_bench.figures"]
    my_exp = "my_pkg.figures"        # a module registering @register_figures("my_exp") when imported
    [project.entry-points."ntk_bench.families"]
    my_fam = "my_pkg.family"         # a module with FAMILIES = (Family(...),)
    [project.entry-points."ntk_bench.datasets"]
    my_data = "my_pkg.data:load"     # data.name -> load(DataConfig) -> RawData (common data keys only)

Built-in names win: a plugin cannot replace a registered experiment, family or dataset. Plugins are found
through ``importlib.metadata`` (any installed distribution, or a ``*.dist-info`` folder on ``sys.path``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.resources
from functools import cache
from pathlib import Path
from typing import Any

GROUP = "ntk_bench.{}"
KINDS = ("experiments", "configs", "claims", "figures", "families", "datasets")
_CONFIGS_REGISTERED = False  # the Hydra search-path plugin, once per process


@cache
def entry_points(kind: str) -> tuple[importlib.metadata.EntryPoint, ...]:
    """The installed entry points of ``ntk_bench.<kind>``, by name (read once per process: a scan of the
    installed distributions costs ~6 ms)."""
    if kind not in KINDS:
        raise ValueError(f"unknown plugin kind {kind!r}; allowed: {', '.join(KINDS)}")
    return tuple(sorted(importlib.metadata.entry_points(group=GROUP.format(kind)), key=lambda ep: ep.name))


def plugin_experiments() -> dict[str, str]:
    """``{experiment name: "module:function"}`` declared by plugins."""
    return {ep.name: ep.value for ep in entry_points("experiments")}


def register_plugin_experiments() -> None:
    """Add the plugins' experiments to ``ntk_bench.experiment.EXPERIMENTS`` (built-in names are kept)."""
    from ntk_bench.experiment import EXPERIMENTS

    for name, target in plugin_experiments().items():
        EXPERIMENTS.setdefault(name, target)


@cache
def plugin_conf_dirs() -> tuple[Path, ...]:
    """The Hydra config folders plugins ship (``"package:folder"``), searched after ``conf/``."""
    dirs = []
    for ep in entry_points("configs"):
        package, _, folder = ep.value.partition(":")
        path = Path(str(importlib.resources.files(package).joinpath(*folder.split("/"))))
        if path.is_dir():
            dirs.append(path)
    return tuple(dirs)


def register_plugin_configs() -> None:
    """Put the plugins' config folders on Hydra's search path (after ``conf/``), for composition, ``--help``
    and the compose API alike: a Hydra ``SearchPathPlugin`` registered in this process. Nothing without
    plugins."""
    global _CONFIGS_REGISTERED
    if _CONFIGS_REGISTERED or not plugin_conf_dirs():
        return
    from hydra.core.config_search_path import ConfigSearchPath
    from hydra.core.plugins import Plugins
    from hydra.plugins.search_path_plugin import SearchPathPlugin

    class NtkBenchPluginConfigs(SearchPathPlugin):
        def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
            for path in plugin_conf_dirs():
                search_path.append(provider="ntk-bench-plugin", path=path.as_uri())

    Plugins.instance().register(NtkBenchPluginConfigs)
    _CONFIGS_REGISTERED = True


def import_plugin_modules(kind: str) -> list[Any]:
    """Import the modules of ``kind`` (claims, figures, families): importing registers them."""
    return [importlib.import_module(ep.value.partition(":")[0]) for ep in entry_points(kind)]


def plugin_figure_modules() -> dict[str, str]:
    """``{experiment name: module}`` of the plugins' figure renderers."""
    return {ep.name: ep.value.partition(":")[0] for ep in entry_points("figures")}


def plugin_datasets() -> dict[str, importlib.metadata.EntryPoint]:
    """``{data.name: entry point of its loader}`` declared by plugins."""
    return {ep.name: ep for ep in entry_points("datasets")}
