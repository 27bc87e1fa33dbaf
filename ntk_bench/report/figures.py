"""Figures of the experiments (matplotlib, Agg backend), saved as PNG and SVG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def save_figure(fig: plt.Figure, path_stem: Path) -> Path:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.svg``; returns the PNG path."""
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    png = path_stem.with_suffix(".png")
    fig.savefig(png, dpi=120, bbox_inches="tight")
    fig.savefig(path_stem.with_suffix(".svg"), bbox_inches="tight")
    plt.close(fig)
    return png


def spectrum_vs_depth_figure(
    depths: Sequence[int],
    series: Mapping[str, Sequence[float]],
    title: str,
    kernels: Sequence[str],
    c_star: float | None = None,
) -> plt.Figure:
    """Panels against depth: λ_max & λ_bulk, κ_bulk & κ_min, effective rank, mean predictor rms, and (when the
    run has them) the NNGP's input correlations with the mean-field fixed point c* (plain networks)."""
    correlations = "nngp/correlation_mean" in series
    fig, axes = plt.subplots(1, 4 + correlations, figsize=(17 + 4 * correlations, 3.8))
    # Colour = quantity, line style = kernel (solid NTK, dashed NNGP).
    for kernel, style in zip(kernels, ("-", "--"), strict=False):
        axes[0].plot(depths, series[f"{kernel}/lambda_max"], style, color="C0", label=f"{kernel} λ_max")
        axes[0].plot(depths, series[f"{kernel}/lambda_bulk"], style, color="C1", label=f"{kernel} λ_bulk")
        axes[1].plot(depths, series[f"{kernel}/kappa_bulk"], style, color="C2", label=f"{kernel} κ_bulk")
        kappa_min = _finite(series[f"{kernel}/kappa_min"])
        axes[1].plot(depths, kappa_min, style, color="C3", label=f"{kernel} κ_min")
        axes[2].plot(depths, series[f"{kernel}/effective_rank"], style, color="C4", label=kernel)
        key = f"{kernel}/mean_predictor_rms"
        if key in series:
            axes[3].plot(depths, series[key], style, color="C5", label=kernel)
    for ax, ylabel in zip(
        axes, ("eigenvalue", "condition number", "effective rank", "‖P(Θ)Y‖ rms"), strict=False
    ):
        ax.set_xlabel("depth l")
        ax.set_ylabel(ylabel)
        ax.set_yscale("log")
        ax.legend(fontsize=7)
    if correlations:
        ax = axes[4]
        ax.plot(depths, series["nngp/correlation_mean"], color="C6", label="mean c_ab")
        ax.plot(depths, series["nngp/correlation_std"], "--", color="C7", label="spread of c_ab")
        if c_star is not None and np.isfinite(c_star):
            ax.axhline(c_star, color="k", lw=0.8, ls=":", label="c* (mean field)")
        ax.set_xlabel("depth l")
        ax.set_ylabel("NNGP input correlation")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _finite(values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(array), array, np.nan)
