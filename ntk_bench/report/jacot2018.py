"""The jacot2018_convergence figure, from stored results: ‖Θ̂ − Θ‖_F/‖Θ‖_F against width, single draws and
the seed average, with their log-log fits (as stored in the summary) and the n^-1/2 guide."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import plt, save_figure
from ntk_bench.results import Run

NAME = "jacot2018_convergence"


@register_figures(NAME)
def jacot2018_figures(run: Run, out_dir: Path) -> dict[str, Path]:
    summary, arrays = run.summary, run.arrays
    model = summary["model"]
    title = (
        f"{NAME}: {model.get('name', model.get('flax_module'))} depth "
        f"{model.get('depth')}, {run.config['data']['name']}"
        f" m={summary['n_points']}, {len(summary['seeds'])} seeds"
    )
    single = SimpleNamespace(**summary["slope_single_draw"])
    avg_fit = SimpleNamespace(**summary["slope_averaged"])
    widths = [int(w) for w in arrays["widths"]]
    figure = convergence_figure(widths, arrays["errors"], arrays["errors_averaged"], single, avg_fit, title)
    return {NAME: save_figure(figure, out_dir / NAME)}


def convergence_figure(widths, errors, averaged, single, avg_fit, title) -> plt.Figure:
    """Single-draw errors per seed and their fit, the seed average and its fit, and the n^-1/2 guide."""
    w = np.asarray(widths, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for i in range(errors.shape[1]):
        ax.plot(
            w, errors[:, i], "o", color="tab:blue", alpha=0.35, ms=4, label="single draw" if i == 0 else None
        )
    ax.plot(
        w,
        np.exp(single.intercept) * w**single.slope,
        "-",
        color="tab:blue",
        label=f"single-draw fit: {single.slope:.3f} [{single.ci_low:.3f}, {single.ci_high:.3f}]",
    )
    ax.plot(w, averaged, "s", color="tab:red", label=f"seed average ({errors.shape[1]} seeds)")
    if np.isfinite(avg_fit.slope):
        ax.plot(
            w,
            np.exp(avg_fit.intercept) * w**avg_fit.slope,
            "--",
            color="tab:red",
            label=f"average fit: {avg_fit.slope:.3f} [{avg_fit.ci_low:.3f}, {avg_fit.ci_high:.3f}]",
        )
    ref = np.nanmean(errors[0])
    ax.plot(w, ref * (w / w[0]) ** -0.5, "k:", lw=0.8, label="n^-1/2")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width n")
    ax.set_ylabel("‖Θ̂ − Θ‖_F / ‖Θ‖_F")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
