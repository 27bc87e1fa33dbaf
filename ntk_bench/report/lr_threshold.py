"""The lr_threshold figure, from stored results: status per c for the kernel predictor and each network
with the measured thresholds, final/initial loss against c, and the loss curves (network seed 0, kernel)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ntk_bench.analysis.thresholds import CATAPULT, CONVERGED, DIVERGED, ERROR, STATUS, classify
from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import plt, save_figure
from ntk_bench.results import Run

NAME = "lr_threshold"


@register_figures(NAME)
def lr_threshold_figures(run: Run, out_dir: Path) -> dict[str, Path]:
    summary, arrays = run.summary, run.arrays
    grid, losses, k_losses = arrays["grid"], arrays["network_losses"], arrays["kernel_losses"]
    with np.errstate(divide="ignore", invalid="ignore"):
        final_ratio = losses[:, :, -1] / losses[:, :, :1][:, :, 0]
        k_final_ratio = k_losses[:, -1] / k_losses[:, 0]
    depth = summary["model"].get("depth")
    title = (
        f"{NAME}: width {summary['width']}, depth {depth}, {run.config['data']['name']} "
        f"m={summary['n_train']}, {summary['steps']} GD steps"
    )
    threshold_c = np.asarray(summary["network_threshold_c_own"], dtype=np.float64)
    figure = threshold_figure(
        grid, final_ratio, k_final_ratio, threshold_c, summary["kernel_threshold_c"], losses, k_losses, title
    )
    return {NAME: save_figure(figure, out_dir / NAME)}


def threshold_figure(grid, final_ratio, k_final_ratio, threshold_c, kernel_c, losses, k_losses, title):
    """Status per c (with the thresholds), L_T/L_0 against c, and the loss curves."""
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.5))
    colors = {CONVERGED: "tab:green", CATAPULT: "tab:orange", DIVERGED: "tab:red", ERROR: "black"}
    rows = [("kernel", classify(k_losses), kernel_c)] + [
        (f"net seed {i}", classify(losses[i]), threshold_c[i]) for i in range(losses.shape[0])
    ]
    ax = axes[0]
    for r, (_, status, threshold) in enumerate(rows):
        ax.scatter(grid, [r] * len(grid), c=[colors[int(v)] for v in status], s=60, marker="s")
        ax.plot([threshold, threshold], [r - 0.4, r + 0.4], "k-", lw=1.5)
    for code, color in colors.items():
        ax.scatter([], [], c=color, marker="s", label=STATUS[code])
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.axvline(1.0, color="gray", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("c = η / η_crit  (| = measured threshold)")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("status (kernel: analytic λ_max; nets: own λ̂_max at init)", fontsize=9)

    ceiling = 1e16
    ax = axes[1]
    for label, values in [("kernel", k_final_ratio)] + [
        (f"net seed {i}", v) for i, v in enumerate(final_ratio)
    ]:
        finite = np.isfinite(values)
        line = ax.plot(grid[finite], np.clip(values[finite], 1e-16, ceiling), "o-", label=label)[0]
        if (~finite).any():
            ax.plot(grid[~finite], np.full((~finite).sum(), ceiling), "x", color=line.get_color(), ms=9)
    ax.axhline(1.0, color="gray", lw=0.5)
    ax.axvline(1.0, color="gray", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-16, ceiling * 10)
    ax.set_xlabel("c")
    ax.set_ylabel(f"L_T / L_0 (clipped at {ceiling:g}; x = Inf/NaN)")
    ax.legend(fontsize=7)

    ax = axes[2]
    cmap = plt.get_cmap("coolwarm")(np.linspace(0, 1, len(grid)))
    for g, c in enumerate(grid):
        ax.plot(np.clip(losses[0, g], 1e-30, 1e30), color=cmap[g], label=f"c={c:g}")
        ax.plot(np.clip(k_losses[g], 1e-30, 1e30), color=cmap[g], ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(1e-10, 1e8)
    ax.set_xlabel("step")
    ax.set_ylabel("train loss (net seed 0 —, kernel ⋯)")
    ax.legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
