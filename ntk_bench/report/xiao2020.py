"""The figures of the Xiao et al. (2020) experiments, drawn from stored results (``results.json`` +
``arrays.npz``) alone: heat maps with the theory lines, spectra, depth-scale fits, the t-dependence of the
trainable boundary, CNN-F vs CNN-P side by side, and the pooled extra depth vs ln d.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ntk_bench.model import get_family
from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import plt, save_figure
from ntk_bench.report.heatmaps import (
    accuracy_heatmaps,
    depth_scale_figure,
    side_by_side_heatmaps,
    spectra_figure,
)
from ntk_bench.results import Run


def _theory_lines(results: Run) -> dict[str, Any]:
    theory = results.summary["theory"]
    return {
        "xi_1": np.asarray(results.series["xi_1"], dtype=np.float64),
        "xi_star": np.asarray(results.series["xi_star"], dtype=np.float64),
        "critical_sigma_w2": theory["critical_sigma_w2"],
        "line_factor": theory["line_factor"],
    }


def time_dependence_figure(
    times: np.ndarray, boundary: np.ndarray, xi_1: np.ndarray, sigma_w2: np.ndarray, fit: dict, title: str
) -> plt.Figure:
    """Left: the trainable boundary l(t)/ξ_1 per ordered column against t (log axis), beside the authors'
    constant line. Right: u = l/ξ_1 − ln l against ln t, each column shifted to zero mean, with the fitted
    common slope and theory's 1 (η·λ_bulk·t ≳ 1 with λ_bulk ∝ l·χ_1^l)."""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(sigma_w2), 1)))
    keep = times > 0
    for s, color in enumerate(colors):
        depth = boundary[s, keep]
        axes[0].plot(times[keep], depth / xi_1[s], "o-", color=color, ms=3, label=f"σ_w² = {sigma_w2[s]:.2f}")
        with np.errstate(divide="ignore", invalid="ignore"):
            u = depth / xi_1[s] - np.log(depth)
        ok = np.isfinite(u)
        if ok.sum() >= 2:
            x = np.log(times[keep])[ok]
            axes[1].plot(x - x.mean(), u[ok] - u[ok].mean(), "o", color=color, ms=3)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("training time t (full-batch steps)")
    axes[0].set_ylabel("trainable depth / ξ_1")
    axes[0].legend(fontsize=6, ncol=2)
    grid = np.linspace(-5, 5, 3)
    slope, stderr = fit.get("slope", np.nan), fit.get("stderr", np.nan)
    if np.isfinite(slope):
        axes[1].plot(grid, slope * grid, "k-", lw=1, label=f"fit: {slope:.3f} ± {stderr:.3f}")
    axes[1].plot(grid, grid, "r--", lw=1, label="theory: slope 1")
    axes[1].set_xlabel("ln t (centred per column)")
    axes[1].set_ylabel("l/ξ_1 − ln l (centred per column)")
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


@register_figures("xiao2020_fcn", "xiao2020_cnn")
def heatmap_figures(results: Run, out_dir: Path) -> dict[str, Path]:
    """Every figure of an ``xiao2020_fcn`` / ``xiao2020_cnn`` run, saved under ``out_dir`` (PNG + SVG)."""
    s, a = results.summary, results.arrays
    sigma, depths, times = a["sigma_w2"], a["depths"], a["times"]
    theory = _theory_lines(results)
    factor = theory["line_factor"]
    figures: dict[str, Path] = {}
    test_panels: dict[str, np.ndarray] = {}
    for name in s["models"]:
        label, block = get_family(name).label, s[name]
        ordered, chaotic = block["ordered_trainable_depth"], block["chaotic_test_chance_depth"]
        t = ordered["time"]
        title = (
            f"{label} {s['activation']}, σ_b²={s['sigma_b2']:g}, m={s['n_train']} (test {s['n_test']}),"
            f" labels {s['labels']}; η = 2/λ_max; dashed: the authors' {factor:g}·ξ_1 (white),"
            f" {factor:g}·ξ_* (red)"
        )
        figures[f"heatmaps_{name}"] = save_figure(
            accuracy_heatmaps(
                sigma, depths, times, a[f"{name}/train_accuracy"], a[f"{name}/test_accuracy"], theory, title
            ),
            out_dir / f"heatmaps_{name}",
        )
        spectra = {
            k: a[f"{name}/{k}"] for k in ("lambda_max", "lambda_bulk", "kappa_bulk", "mean_predictor_rms")
        }
        figures[f"spectra_{name}"] = save_figure(
            spectra_figure(
                sigma,
                depths,
                spectra,
                a[f"{name}/mean_predictor_decay_theory"],
                f"{label}: NTK spectra per σ_w² column (blue: small σ_w², red: large)",
            ),
            out_dir / f"spectra_{name}",
        )
        fits = {
            f"ordered: train accuracy < {ordered['threshold']:g} at t={t:g}": {
                **ordered["fit"],
                "xi": ordered["xi"],
                "depth": ordered["depth"],
                "xlabel": "ξ_1",
                "ylabel": "trainable depth boundary",
            },
            f"chaotic: test accuracy ≤ chance + {chaotic['margin']:.3g}": {
                **chaotic["fit"],
                "xi": chaotic["xi"],
                "depth": chaotic["depth"],
                "xlabel": "ξ_*",
                "ylabel": "depth where test accuracy reaches chance",
            },
        }
        figures[f"depth_scales_{name}"] = save_figure(
            depth_scale_figure(fits, f"{label}: depth scales vs mean-field theory"),
            out_dir / f"depth_scales_{name}",
        )
        ordered_columns = np.asarray(s["theory"]["phase"]) == "ordered"
        if ordered_columns.any():
            figures[f"time_dependence_{name}"] = save_figure(
                time_dependence_figure(
                    times,
                    a[f"{name}/trainable_depth"][ordered_columns],
                    theory["xi_1"][ordered_columns],
                    sigma[ordered_columns],
                    ordered["time_fit"],
                    f"{label}: the ordered-side trainable boundary moves one ξ_1 per e-fold of t",
                ),
                out_dir / f"time_dependence_{name}",
            )
        # side by side at the longest training time: the generalization the kernel reaches at all
        test_panels[f"{label} test accuracy, t={times[-1]:g}"] = a[f"{name}/test_accuracy"][:, :, -1]
    if "cnn_pool_vs_flatten" in s:
        figures["cnn_side_by_side"] = save_figure(
            side_by_side_heatmaps(
                sigma,
                depths,
                test_panels,
                theory,
                "CNN-F (flatten) vs CNN-P (global average pool): test accuracy",
            ),
            out_dir / "cnn_side_by_side",
        )
    return figures


@register_figures("xiao2020_pool_depth")
def pool_depth_figures(results: Run, out_dir: Path) -> dict[str, Path]:
    """``xiao2020_pool_depth``: ln(rms_P/rms_F) along depth per signal length d (dashed: ln d), its deepest
    resolved value against ln d with the fit and theory's identity line, and the extra depth ξ_*·ln(ratio)
    against ξ_*·ln d."""
    s, a = results.summary, results.arrays
    lengths, sigma, depths = a["lengths"], a["sigma_w2"], a["depths"]
    log_ratio = a["log_ratio"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.3))
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(lengths)))
    styles = ("-", "--", ":", "-.")
    for i, (length, color) in enumerate(zip(lengths, colors, strict=True)):
        for j, w2 in enumerate(sigma):
            axes[0].plot(
                depths, log_ratio[i, j], styles[j % 4], color=color, lw=1.2, label=f"d={length}, σ_w²={w2:g}"
            )
        axes[0].axhline(np.log(length), color=color, lw=0.8, ls=(0, (1, 3)))
    axes[0].set_xlabel("depth l")
    axes[0].set_ylabel("ln(rms_P / rms_F)  (dotted: ln d)")
    axes[0].legend(fontsize=6, ncol=2)
    log_d = np.asarray(s["log_d"])
    deepest = np.asarray(s["log_ratio_deepest"], dtype=np.float64)
    extra, theory_extra = np.asarray(s["extra_depth"]), np.asarray(s["theory_extra_depth"])
    for j, w2 in enumerate(sigma):
        axes[1].plot(log_d, deepest[:, j], "o", ms=5, label=f"σ_w² = {w2:g}")
        axes[2].plot(
            theory_extra[:, j], extra[:, j], "o", ms=5, label=f"σ_w² = {w2:g} (ξ_* = {s['xi_star'][j]:.2f})"
        )
    fit = s["slope_vs_log_d"]
    grid = np.linspace(0, log_d.max() * 1.05, 20)
    axes[1].plot(grid, grid, "r--", lw=1, label="theory: ln d")
    if np.isfinite(fit["slope"]):
        axes[1].plot(
            grid,
            fit["slope"] * grid + fit["intercept"],
            "k-",
            lw=1,
            label=f"fit: slope {fit['slope']:.3f} [{fit['ci_low']:.3f}, {fit['ci_high']:.3f}]",
        )
    axes[1].set_xlabel("ln d (signal length)")
    axes[1].set_ylabel("ln(rms_P / rms_F) at the deepest resolved depth")
    axes[1].legend(fontsize=7)
    top = float(np.nanmax(theory_extra)) * 1.1
    axes[2].plot([0, top], [0, top], "r--", lw=1, label="theory: ξ_*·ln d")
    axes[2].set_xlabel("ξ_*·ln d")
    axes[2].set_ylabel("CNN-P's extra depth ξ_*·ln(rms_P/rms_F)")
    axes[2].legend(fontsize=7)
    fig.suptitle(
        f"CNN-P vs CNN-F ({s['activation']}, σ_b²={s['sigma_b2']:g}, m={s['n_train']}, MNIST-1D resampled):"
        " the pooled mean predictor is d times larger at depth",
        fontsize=10,
    )
    fig.tight_layout()
    return {"pool_extra_depth": save_figure(fig, out_dir / "pool_extra_depth")}
