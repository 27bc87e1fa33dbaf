"""Figures of ``experiment=schoenholz2017_trainability``, drawn from its stored results only.

- ``maps_<network>``: finite-width (SGD, seed mean) and infinite-width train/test accuracy over (σ_w², depth)
  at the last step, side by side, with Schoenholz et al.'s line ``schoenholz_factor``·ξ_c (black), Xiao et
  al.'s ``xiao_factor``·ξ_1 (white dashed, ordered) and ``xiao_factor``·ξ_* (red dashed, chaotic), the
  critical σ_w² (dotted) and the measured boundary (circles); cells with divergent runs are marked ×
  (with their share).
- ``boundaries``: the trainable boundary against ξ_c per plain network, finite (seed sd bars) and infinite
  width at the same τ, with the fitted a·ξ_c and 6·ξ_c.
- ``resnet_vs_fcn``: train and test accuracy against depth for each ResNet and the FCN of the same activation.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import plt, save_figure
from ntk_bench.report.heatmaps import CHAOTIC_STYLE, CRITICAL_STYLE, ORDERED_STYLE, _edges
from ntk_bench.results import Run

NAME = "schoenholz2017_trainability"
SCHOENHOLZ_STYLE = {"color": "black", "ls": "-", "lw": 1.4}


def _seed_mean(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every seed divergent: NaN (drawn grey)
        return np.nanmean(values, axis=2)


def _lines(ax, sigma, theory, factors, max_depth, labels: bool) -> None:
    schoenholz, xiao = factors
    for key, factor, style, name in (
        ("xi_c_star", schoenholz, SCHOENHOLZ_STYLE, "ξ_c (Schoenholz)"),
        ("xi_1", xiao, ORDERED_STYLE, "ξ_1 (Xiao)"),
        ("xi_star", xiao, CHAOTIC_STYLE, "ξ_* (Xiao)"),
    ):
        line = factor * np.asarray(theory[key], dtype=np.float64)
        ok = np.isfinite(line)
        if ok.any():
            label = f"{factor:g}·{name}" if labels else None
            ax.plot(sigma[ok], np.minimum(line[ok], max_depth), label=label, **style)
    ax.axvline(
        float(theory["critical_sigma_w2"]), label="critical σ_w²" if labels else None, **CRITICAL_STYLE
    )


def map_figure(run: Run, key: str) -> plt.Figure:
    summary, arrays = run.summary, run.arrays
    entry = summary[key]
    sigma = np.asarray(summary["sigma_w2"] if "sigma_w2" in summary else arrays["sigma_w2"], dtype=np.float64)
    depths = np.asarray(entry["depths"], dtype=np.float64)
    xe, ye = _edges(sigma), _edges(depths)
    reason = arrays[f"{key}/divergence_reason"]  # (S, D, R)
    divergent_share = np.mean(reason > 0, axis=2)
    panels = (
        (
            f"finite width {summary['width']}: train",
            _seed_mean(arrays[f"{key}/finite_train_accuracy"][..., -1]),
        ),
        ("finite: test", _seed_mean(arrays[f"{key}/finite_test_accuracy"][..., -1])),
        ("infinite width (same τ): train", arrays[f"{key}/infinite_train_accuracy"][..., -1]),
        ("infinite: test", arrays[f"{key}/infinite_test_accuracy"][..., -1]),
    )
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), sharey=True)
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("0.6")
    exp = run.config["experiment"]
    factors = (float(exp.get("schoenholz_factor", 6)), float(exp.get("xiao_factor", 8)))
    mesh = None
    for i, (ax, (title, values)) in enumerate(zip(axes, panels, strict=True)):
        mesh = ax.pcolormesh(
            xe, ye, np.ma.masked_invalid(values.T), cmap=cmap, vmin=0, vmax=1, shading="flat"
        )
        if entry["plain_mean_field"]:
            _lines(ax, sigma, entry["theory"], factors, float(ye[-1]), labels=i == 0)
        if i < 2:
            s_idx, d_idx = np.nonzero(divergent_share > 0)
            for s, d in zip(s_idx, d_idx, strict=True):
                ax.text(
                    sigma[s],
                    depths[d],
                    f"×{divergent_share[s, d]:.1g}",
                    color="red",
                    ha="center",
                    va="center",
                    fontsize=7,
                )
        bound = entry["boundary"]["depth" if i < 2 else "infinite_depth"]
        ax.plot(sigma, bound, "o", mfc="none", mec="orange", label="boundary" if i == 0 else None)
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("σ_w²")
    axes[0].set_ylabel("depth L")
    axes[0].legend(fontsize=6, loc="upper left", framealpha=0.6)
    fig.colorbar(mesh, ax=axes, shrink=0.8, label="accuracy")
    fig.suptitle(
        f"{entry['label']}: {summary['optimizer']} b={summary['batch_size']}, {summary['steps'][-1]} steps, "
        f"{len(summary['seeds'])} seeds, {summary['training_dtype']} training, f_0 {summary['f0']}; "
        f"input {entry.get('input_shape')}; × = share of divergent runs",
        fontsize=9,
    )
    return fig


def boundary_figure(run: Run) -> plt.Figure:
    summary = run.summary
    keys = [k for k in summary["networks"] if summary[k]["plain_mean_field"]]
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    top = 1.0
    for i, key in enumerate(keys):
        b = summary[key]["boundary"]
        xi = np.asarray(b["xi_c"], dtype=np.float64)
        depth = np.asarray(b["depth"], dtype=np.float64)
        sd = np.asarray(b["seed_sd"], dtype=np.float64)
        color = f"C{i}"
        ax.errorbar(
            xi,
            depth,
            yerr=np.nan_to_num(sd),
            fmt="o",
            color=color,
            label=f"{summary[key]['label']}: a = {b['fit']['constant']:.2f}",
        )
        ax.plot(
            xi,
            b["infinite_depth"],
            "s",
            mfc="none",
            color=color,
            label=f"  infinite width: a = {b['infinite_fit']['constant']:.2f}",
        )
        finite_xi = xi[np.isfinite(xi)]
        if finite_xi.size:
            grid = np.linspace(0, finite_xi.max(), 20)
            if np.isfinite(b["fit"]["constant"]):
                ax.plot(grid, b["fit"]["constant"] * grid, "-", color=color, lw=0.8)
            top = max(top, finite_xi.max())
    grid = np.linspace(0, top, 20)
    factor = float(run.config["experiment"].get("schoenholz_factor", 6))
    ax.plot(grid, factor * grid, "k--", lw=0.8, label=f"{factor:g}·ξ_c (Schoenholz et al.)")
    ax.set_xlabel("ξ_c")
    ax.set_ylabel(
        f"trainable depth (train acc < {summary[keys[0]]['boundary']['threshold']:g})" if keys else ""
    )
    ax.set_title(f"trainable boundary vs ξ_c at step {summary['steps'][-1]}", fontsize=9)
    ax.legend(fontsize=6)
    return fig


def resnet_figure(run: Run) -> plt.Figure:
    summary, arrays = run.summary, run.arrays
    pairs = list((summary.get("resnet_vs_fcn") or {}).items())
    fig, axes = plt.subplots(len(pairs), 2, figsize=(11, 3.8 * len(pairs)), squeeze=False)
    sigma = np.asarray(arrays["sigma_w2"], dtype=np.float64)
    colors = plt.get_cmap("coolwarm")(np.linspace(0, 1, len(sigma)))
    for row, (key, cmp) in enumerate(pairs):
        for col, split in enumerate(("train", "test")):
            ax = axes[row, col]
            for name, style in ((key, "-"), (cmp["fcn"], "--")):
                depths = summary[name]["depths"]
                acc = _seed_mean(arrays[f"{name}/finite_{split}_accuracy"][..., -1])
                for s, color in enumerate(colors):
                    label = f"{summary[name]['label']} σ_w²={sigma[s]:g}" if col == 0 else None
                    ax.plot(depths, acc[s], style, color=color, marker="o", ms=3, label=label)
            ax.axhline(summary[f"chance_{split}"], color="k", lw=0.6, ls=":")
            ax.set_xlabel("depth L")
            ax.set_ylabel(f"{split} accuracy")
        axes[row, 0].legend(fontsize=6, ncol=2)
    fig.suptitle("ResNet (solid) vs FCN (dashed), finite width, seed mean at the last step", fontsize=9)
    fig.tight_layout()
    return fig


@register_figures(NAME)
def trainability_figures(run: Run, out_dir: Path) -> dict[str, Path]:
    """Every figure of a stored ``schoenholz2017_trainability`` run (see the module docstring)."""
    out: dict[str, Path] = {}
    for key in run.summary["networks"]:
        out[f"maps_{key}"] = save_figure(map_figure(run, key), out_dir / f"trainability_maps_{key}")
    if any(run.summary[k]["plain_mean_field"] for k in run.summary["networks"]):
        out["boundaries"] = save_figure(boundary_figure(run), out_dir / "trainability_boundaries")
    if run.summary.get("resnet_vs_fcn"):
        out["resnet_vs_fcn"] = save_figure(resnet_figure(run), out_dir / "trainability_resnet_vs_fcn")
    return out
