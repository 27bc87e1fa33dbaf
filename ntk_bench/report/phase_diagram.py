"""The mean-field phase diagram figure (neural-tangents' ``phase_diagram.ipynb``): χ_1, c*, ξ_1 and ξ_* over
(σ_w², σ_b²), each with the critical line χ_1 = 1."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import plt, save_figure
from ntk_bench.results import Run

NAME = "phase_diagram"

PANELS = (
    ("chi_1", "χ_1", False),
    ("c_star", "c*", False),
    ("xi_1", "ξ_1 (ordered side)", True),
    ("xi_star", "ξ_* (chaotic side)", True),
)


def phase_diagram_figure(
    activation: str,
    sigma_w2: np.ndarray,
    sigma_b2: np.ndarray,
    grids: Mapping[str, np.ndarray],
    critical: np.ndarray,
) -> plt.Figure:
    """Four heat maps (rows σ_b², columns σ_w², each cell centred on its grid point; depth scales on a log
    colour scale, NaN blank) with the critical line σ_w²(σ_b²) drawn on each."""
    from matplotlib.colors import LogNorm

    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    for ax, (key, label, log) in zip(axes, PANELS, strict=True):
        grid = np.where(np.isfinite(grids[key]), grids[key], np.nan)
        finite = grid[np.isfinite(grid) & (grid > 0)]
        norm = LogNorm(vmin=finite.min(), vmax=finite.max()) if log and finite.size else None
        image = ax.pcolormesh(sigma_w2, sigma_b2, grid, shading="nearest", norm=norm, cmap="viridis")
        fig.colorbar(image, ax=ax, fraction=0.046)
        ax.plot(critical, sigma_b2, "w--", lw=1.5, label="χ_1 = 1")
        ax.set_xlabel("σ_w²")
        ax.set_ylabel("σ_b²")
        ax.set_title(label)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"phase diagram: {activation}", fontsize=10)
    fig.tight_layout()
    return fig


@register_figures(NAME)
def phase_diagram_figures(run: Run, out_dir: Path) -> dict[str, Path]:
    """A stored ``phase_diagram`` run's figure (grids: ``arrays.npz``; axes and line: the summary)."""
    summary, arrays = run.summary, run.arrays
    fig = phase_diagram_figure(
        summary["activation"],
        np.asarray(summary["sigma_w2_axis"], dtype=np.float64),
        np.asarray(summary["sigma_b2_axis"], dtype=np.float64),
        {key: arrays[key] for key, _, _ in PANELS},
        np.asarray(summary["critical_line"]["sigma_w2"], dtype=np.float64),
    )
    return {NAME: save_figure(fig, out_dir / NAME)}
