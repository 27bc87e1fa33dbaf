"""Figures from stored results: a registry of renderers keyed by experiment name.

An experiment computes and returns results only; its figures are drawn from what the job stored
(``results.json`` + ``arrays.npz``, read as a :class:`~ntk_bench.results.Run`) by the renderer registered
for its experiment name, one report module per experiment's figures. The runner calls it after writing the
results (the figures then go to the tracker), and ``ntk-bench-report --figures RUN_DIR`` calls it again to
re-render every figure without recomputing anything.

A renderer module registers itself on import::

    @register_figures("spectrum")
    def spectrum_figures(run: Run, out_dir: Path) -> dict[str, Path]:   # name -> saved PNG
        ...

and is listed in :data:`FIGURE_MODULES` (``experiment name -> module``, imported lazily so that matplotlib
loads only when a figure is drawn); an experiment without a renderer simply has no stored-result figures.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from ntk_bench.results import Run

FigureRenderer = Callable[[Run, Path], dict[str, Path]]

# experiment name -> module registering its renderer (one line per experiment)
FIGURE_MODULES: dict[str, str] = {
    "spectrum": "ntk_bench.report.spectrum",
    "phase_diagram": "ntk_bench.report.phase_diagram",
    "jacot2018_convergence": "ntk_bench.report.jacot2018",
    "hanin_nica_fluctuations": "ntk_bench.report.hanin_nica",
    "lr_threshold": "ntk_bench.report.lr_threshold",
    "lee2019_linearization": "ntk_bench.report.lee2019",
    "xiao2020_fcn": "ntk_bench.report.xiao2020",
    "xiao2020_cnn": "ntk_bench.report.xiao2020",
    "xiao2020_pool_depth": "ntk_bench.report.xiao2020",
    "schoenholz2017_trainability": "ntk_bench.report.trainability",
}
_RENDERERS: dict[str, FigureRenderer] = {}


def register_figures(*experiments: str) -> Callable[[FigureRenderer], FigureRenderer]:
    """Decorator: ``fn(run, out_dir) -> {name: png path}`` draws the figures of ``experiments``' runs."""

    def decorate(fn: FigureRenderer) -> FigureRenderer:
        for name in experiments:
            _RENDERERS[name] = fn
        return fn

    return decorate


def figure_renderer(experiment: str) -> FigureRenderer | None:
    """The renderer registered for ``experiment`` (importing its module on first use), or None."""
    if experiment not in _RENDERERS:
        from ntk_bench.plugins import plugin_figure_modules

        module = FIGURE_MODULES.get(experiment) or plugin_figure_modules().get(experiment)
        if module is not None:
            importlib.import_module(module)
    return _RENDERERS.get(experiment)


def render_figures(run: Run, out_dir: Path | None = None) -> dict[str, Path]:
    """Draw ``run``'s figures from its stored results into ``out_dir`` (default: its job directory)."""
    renderer = figure_renderer(run.experiment)
    return {} if renderer is None else renderer(run, Path(out_dir) if out_dir is not None else run.path)
