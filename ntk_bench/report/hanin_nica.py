"""The Hanin–Nica figure: measured log E[Θ̂²]/E[Θ̂]² per (depth, width) cell next to the exact finite-size
moments (:mod:`ntk_bench.theory.hanin_nica`) and the paper's exp(5β) law."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.analysis.slopes import linear_fit
from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import plt, save_figure
from ntk_bench.results import Run
from ntk_bench.theory.hanin_nica import HANIN_NICA_RATE, equal_width_moments

NAME = "hanin_nica_fluctuations"


def fluctuation_figure(
    widths: Sequence[int],
    width_arr: np.ndarray,
    beta_arr: np.ndarray,
    log_r: np.ndarray,
    ci: Sequence[tuple[float, float]],
    fit: Any,
    exact_curves: Mapping[int, tuple[np.ndarray, np.ndarray]] | None,
    title: str,
) -> plt.Figure:
    """Left: log R against β per width (bootstrap 95% bars), the OLS fit, the exact moments per width
    (lines) and 5β. Right: the finite-size term log R − 5β, measured (points) and exact (lines)."""
    fig, (ax, ax_fs) = plt.subplots(1, 2, figsize=(11.5, 4.5))
    for i, n in enumerate(widths):
        sel = width_arr == n
        lo = np.array([c[0] for c, s in zip(ci, sel, strict=True) if s])
        hi = np.array([c[1] for c, s in zip(ci, sel, strict=True) if s])
        b, v = beta_arr[sel], log_r[sel]
        style = {"fmt": "o", "capsize": 3, "color": f"C{i}", "label": f"width {n} (measured)"}
        ax.errorbar(b, v, yerr=[v - lo, hi - v], **style)
        ax_fs.errorbar(b, v - HANIN_NICA_RATE * b, yerr=[v - lo, hi - v], **style)
        if exact_curves is not None and int(n) in exact_curves:
            eb, ev = exact_curves[int(n)]
            ax.plot(eb, ev, "-", color=f"C{i}", lw=1, label=f"width {n} (exact moments)")
            ax_fs.plot(eb, ev - HANIN_NICA_RATE * eb, "-", color=f"C{i}", lw=1)
    grid = np.linspace(0, float(beta_arr.max()), 50)
    ax.plot(
        grid,
        fit.intercept + fit.slope * grid,
        "k--",
        lw=0.8,
        label=f"fit: {fit.slope:.2f} β + {fit.intercept:.2f}",
    )
    ax.plot(grid, HANIN_NICA_RATE * grid, "k:", lw=0.8, label="5β (Hanin & Nica, small β)")
    ax_fs.axhline(0.0, color="k", ls=":", lw=0.8)
    ax.set_xlabel("β = depth / width")
    ax.set_ylabel("log E[Θ̂²]/E[Θ̂]²")
    ax_fs.set_xlabel("β = depth / width")
    ax_fs.set_ylabel("finite-size term: log R − 5β")
    ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def exact_log_ratio_curves(
    widths: list[int], beta_max: float, input_dim: int, x_norm2: float
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per width, (β = depth/width, exact log R) at every whole depth up to β_max·width (figure lines)."""
    out = {}
    for n in widths:
        depths = np.arange(1, int(round(beta_max * n)) + 1)
        out[int(n)] = (
            depths / n,
            np.array([equal_width_moments(int(d), int(n), input_dim, x_norm2).log_ratio for d in depths]),
        )
    return out


@register_figures(NAME)
def hanin_nica_figures(run: Run, out_dir: Path) -> dict[str, Path]:
    """The figure of a stored run: its cells' log R and intervals, the fit over β, the exact moments."""
    series, summary = run.series, run.summary
    width_arr = np.asarray(series["width"])
    beta_arr = np.asarray(series["beta"], dtype=np.float64)
    log_r = np.asarray(series["log_ratio"], dtype=np.float64)
    ci = list(zip(series["log_ratio_ci_low"], series["log_ratio_ci_high"], strict=True))
    widths = [int(n) for n in dict.fromkeys(series["width"])]
    exact_curves = (
        exact_log_ratio_curves(widths, float(np.max(beta_arr)), int(summary["input_dim"]), summary["x_norm2"])
        if summary["formula_covered"]
        else None
    )
    model = summary["model"]
    title = (
        f"{NAME}: {model['name']} {model['activation']} σ_w²={model['sigma_w2']:g} "
        f"({model['parameterization']}), {summary['samples']}-{summary['samples_max_beta']} inits per cell"
    )
    overall = linear_fit(beta_arr, log_r)
    figure = fluctuation_figure(widths, width_arr, beta_arr, log_r, ci, overall, exact_curves, title)
    return {NAME: save_figure(figure, out_dir / NAME)}
