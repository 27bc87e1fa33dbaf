"""The lee2019_linearization figures, from stored results: training curves per optimizer and width, and the
width sweeps with their fitted log-log slopes (``summary.slopes``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ntk_bench.analysis.slopes import finite_mean
from ntk_bench.experiment.lee2019 import sweep_values
from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import plt, save_figure
from ntk_bench.results import Run

NAME = "lee2019_linearization"


@register_figures(NAME)
def lee2019_figures(run: Run, out_dir: Path) -> dict[str, Path]:
    data, summary, arrays = run.config["data"], run.summary, run.arrays
    n_train = int(summary["n_train"])
    # what the run used, as it recorded it (the widths, depth, steps, optimizers and step size drawn)
    keys = ("widths", "depth", "steps", "optimizers", "lr_fraction")
    s = SimpleNamespace(**{key: summary[key] for key in keys})
    per_step = {
        opt: {
            key.split("/", 1)[1]: arrays[key]
            for key in arrays
            if key.startswith(f"{opt}/") and key != f"{opt}/kernel_change"
        }
        for opt in s.optimizers
    }
    kernel_change = {opt: arrays[f"{opt}/kernel_change"] for opt in s.optimizers}
    title = (
        f"{NAME}: {data['name']}, m={n_train}, depth {s.depth}, {s.steps} steps, η={s.lr_fraction:g}·η_crit"
    )
    curves = curves_figure(s, per_step, kernel_change, arrays["checkpoint_steps"], title)
    slopes = slopes_figure(s, per_step, kernel_change, summary["slopes"], summary["layers"], title)
    return {
        "lee2019_curves": save_figure(curves, out_dir / "lee2019_curves"),
        "lee2019_slopes": save_figure(slopes, out_dir / "lee2019_slopes"),
    }


def _colors(n: int) -> list:
    cmap = plt.get_cmap("viridis")
    return [cmap(i / max(1, n - 1)) for i in range(n)]


def curves_figure(s, per_step, kernel_change, checkpoint_steps, title) -> plt.Figure:
    """Per optimizer: losses (net, linearization, kernel), output deviation, weight and kernel change."""
    rows = len(s.optimizers)
    fig, axes = plt.subplots(rows, 4, figsize=(19, 3.8 * rows), squeeze=False)
    colors = _colors(len(s.widths))
    steps = np.arange(s.steps + 1)
    for r, opt in enumerate(s.optimizers):
        m = per_step[opt]
        for wi, width in enumerate(s.widths):
            c = colors[wi]
            axes[r, 0].plot(steps, finite_mean(m["train_loss"][wi], 0), color=c, label=f"n={width} net")
            axes[r, 0].plot(steps, finite_mean(m["train_loss_lin"][wi], 0), "--", color=c)
            if "flow_train_loss" in m and wi == len(s.widths) - 1:
                axes[r, 0].plot(steps, finite_mean(m["flow_train_loss"][wi], 0), ":k", label="kernel flow")
                axes[r, 0].plot(
                    steps, finite_mean(m["kgd_train_loss"][wi], 0), "-.", color="gray", label="kernel GD"
                )
            axes[r, 1].plot(steps[1:], finite_mean(m["dev_train"][wi], 0)[1:], color=c, label=f"n={width}")
            axes[r, 1].plot(steps[1:], finite_mean(m["dev_test"][wi], 0)[1:], "--", color=c)
            axes[r, 2].plot(
                steps[1:], finite_mean(m["weight_change/total"][wi], 0)[1:], color=c, label=f"n={width}"
            )
            axes[r, 3].plot(checkpoint_steps[1:], finite_mean(kernel_change[opt][wi], 0)[1:], "o-", color=c)
        labels = (
            f"{opt}: train loss (net —, lin --)",
            "‖f_t − f_t^lin‖ (train —, test --)",
            "‖θ_t − θ_0‖/‖θ_0‖",
            "‖Θ̂_t − Θ̂_0‖_F/‖Θ̂_0‖_F",
        )
        for ax, label in zip(axes[r], labels, strict=True):
            ax.set_yscale("log")
            ax.set_xlabel("step")
            ax.set_title(label, fontsize=9)
        axes[r, 0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def slopes_figure(s, per_step, kernel_change, slopes, layers, title) -> plt.Figure:
    """The width sweeps with their log-log fits (as stored) and the n^-1/2, n^-1 guides."""
    widths = np.asarray(s.widths, dtype=float)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    markers = {"gd": "o", "sgd": "s"}
    for opt in s.optimizers:
        values = sweep_values(per_step[opt], kernel_change[opt], layers)
        panels = [
            (0, ("dev_train", "dev_test")),
            (1, ("kernel_change", "weight_change/total")),
            (2, tuple(f"weight_change/{n}" for n in layers)),
        ]
        for col, metrics in panels:
            for metric in metrics:
                mean = finite_mean(values[metric], axis=1)
                fit = slopes[opt][metric]
                line = axes[col].plot(
                    widths,
                    mean,
                    marker=markers.get(opt, "o"),
                    ls="none",
                    label=f"{opt} {metric}: {fit['slope']:.2f} [{fit['ci_low']:.2f}, {fit['ci_high']:.2f}]",
                )[0]
                if np.isfinite(fit["slope"]):
                    axes[col].plot(
                        widths,
                        np.exp(fit["intercept"]) * widths ** fit["slope"],
                        "-",
                        color=line.get_color(),
                        lw=0.8,
                    )
    for ax in axes:
        ref = ax.get_lines()[0].get_ydata()[0] if ax.get_lines() else 1.0
        ax.plot(widths, ref * (widths / widths[0]) ** -0.5, "k:", lw=0.8, label="n^-1/2")
        ax.plot(widths, ref * (widths / widths[0]) ** -1.0, "k--", lw=0.8, label="n^-1")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width n")
        ax.legend(fontsize=6)
    axes[0].set_title("sup_t ‖f − f_lin‖", fontsize=9)
    axes[1].set_title("kernel change (sup_t), total weight change", fontsize=9)
    axes[2].set_title("weight change per layer (final)", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
