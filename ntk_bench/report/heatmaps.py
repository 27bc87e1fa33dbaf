"""Figures of the trainability/generalization study (Xiao, Pennington & Schoenholz 2020, Figs. 3-4).

Every function returns a matplotlib figure; save it with :func:`ntk_bench.report.figures.save_figure`
(PNG + SVG). The numbers drawn are the experiment's Results arrays; nothing is computed here beyond layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

ORDERED_STYLE = {"color": "white", "ls": "--", "lw": 1.4}
CHAOTIC_STYLE = {"color": "tab:red", "ls": "--", "lw": 1.4}
CRITICAL_STYLE = {"color": "black", "ls": ":", "lw": 1.2}


def _edges(values: Sequence[float]) -> np.ndarray:
    """Cell edges for pcolormesh: midpoints between values, extended by half a step at both ends."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _theory_lines(ax, sigma_w2, xi_1, xi_star, critical, factor, max_depth, labels: bool) -> None:
    sigma = np.asarray(sigma_w2, dtype=np.float64)
    for xi, style, name in ((xi_1, ORDERED_STYLE, "ξ_1"), (xi_star, CHAOTIC_STYLE, "ξ_*")):
        line = factor * np.asarray(xi, dtype=np.float64)
        ok = np.isfinite(line)
        if np.any(ok):
            ax.plot(
                sigma[ok],
                np.minimum(line[ok], max_depth),
                label=f"{factor:g}·{name} (the authors' line)" if labels else None,
                **style,
            )
    if np.isfinite(critical):
        ax.axvline(critical, label="critical σ_w²" if labels else None, **CRITICAL_STYLE)


def _accuracy_panel(
    ax: plt.Axes,
    sigma_w2: Sequence[float],
    xe: np.ndarray,
    ye: np.ndarray,
    values: np.ndarray,
    theory: Mapping[str, object],
    labels: bool,
):
    """One accuracy map ``values`` (S, D) over (σ_w², depth) with the theory lines; NaN cells grey."""
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("0.6")
    mesh = ax.pcolormesh(
        xe,
        ye,
        np.ma.masked_invalid(values.T),
        cmap=cmap,
        vmin=0.0,
        vmax=1.0,
        shading="flat",
        rasterized=True,  # SVG: the cells as one embedded image (thousands of quads took seconds to write)
    )
    _theory_lines(
        ax,
        sigma_w2,
        theory["xi_1"],
        theory["xi_star"],
        float(theory["critical_sigma_w2"]),
        float(theory["line_factor"]),
        float(ye[-1]),
        labels=labels,
    )
    ax.set_ylim(ye[0], ye[-1])
    return mesh


def accuracy_heatmaps(
    sigma_w2: Sequence[float],
    depths: Sequence[int],
    times: Sequence[float],
    train_accuracy: np.ndarray,
    test_accuracy: np.ndarray,
    theory: Mapping[str, object],
    title: str,
) -> plt.Figure:
    """2 × T panels (train row, test row; one column per time t) of accuracy over (σ_w², depth).

    ``theory``: ``xi_1``, ``xi_star`` (per σ_w²), ``critical_sigma_w2``, ``line_factor``. Divergent
    (NaN) cells are drawn grey.
    """
    t_count = len(times)
    fig, axes = plt.subplots(2, t_count, figsize=(3.1 * t_count + 1.2, 6.2), squeeze=False, sharey=True)
    xe, ye = _edges(sigma_w2), _edges(depths)
    mesh = None
    for row, (name, acc) in enumerate((("train", train_accuracy), ("test", test_accuracy))):
        for j, t in enumerate(times):
            ax = axes[row, j]
            mesh = _accuracy_panel(
                ax, sigma_w2, xe, ye, np.asarray(acc)[:, :, j], theory, row == 0 and j == 0
            )
            ax.set_xlim(xe[0], xe[-1])
            ax.set_title(f"{name}, t = {t:g}", fontsize=9)
            if row == 1:
                ax.set_xlabel("σ_w²")
            if j == 0:
                ax.set_ylabel("depth l")
    axes[0, 0].legend(fontsize=7, loc="upper left", framealpha=0.6)
    fig.colorbar(mesh, ax=axes, shrink=0.8, label="accuracy")
    fig.suptitle(title, fontsize=10)
    return fig


def side_by_side_heatmaps(
    sigma_w2: Sequence[float],
    depths: Sequence[int],
    panels: Mapping[str, np.ndarray],
    theory: Mapping[str, object],
    title: str,
) -> plt.Figure:
    """One accuracy map (S, D) per entry of ``panels`` (e.g. CNN-F and CNN-P test accuracy), side by side."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels) + 1.0, 4.0), squeeze=False, sharey=True
    )
    xe, ye = _edges(sigma_w2), _edges(depths)
    mesh = None
    for j, (name, values) in enumerate(panels.items()):
        ax = axes[0, j]
        mesh = _accuracy_panel(ax, sigma_w2, xe, ye, np.asarray(values), theory, j == 0)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("σ_w²")
    axes[0, 0].set_ylabel("depth l")
    axes[0, 0].legend(fontsize=7, loc="upper left", framealpha=0.6)
    fig.colorbar(mesh, ax=axes, shrink=0.85, label="accuracy")
    fig.suptitle(title, fontsize=10)
    return fig


def spectra_figure(
    sigma_w2: Sequence[float],
    depths: Sequence[int],
    spectra: Mapping[str, np.ndarray],
    decay_theory: np.ndarray,
    title: str,
) -> plt.Figure:
    """λ_max, λ_bulk, κ = λ_max/λ_bulk and the mean-predictor magnitude vs depth, one line per σ_w².

    ``spectra``: ``lambda_max``, ``lambda_bulk``, ``kappa_bulk``, ``mean_predictor_rms`` (S, D).
    ``decay_theory``: (S, D) prediction ∝ l·(χ_c*/χ_1)^l matched to the data at the first depth ≥ 1 (nan
    outside the chaotic phase), drawn dashed.
    """
    sigma = np.asarray(sigma_w2, dtype=np.float64)
    colors = plt.get_cmap("coolwarm")(np.linspace(0, 1, len(sigma)))
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.0))
    fig.subplots_adjust(wspace=0.4)
    keys = ("lambda_max", "lambda_bulk", "kappa_bulk", "mean_predictor_rms")
    ylabels = (
        "λ_max",
        "λ_bulk (mean of λ_2..λ_m)",
        "κ = λ_max / λ_bulk",
        "‖P(Θ)Ŷ‖ rms (data-dependent part)",
    )
    for ax, key, ylabel in zip(axes, keys, ylabels, strict=True):
        values = np.asarray(spectra[key], dtype=np.float64)
        for s, color in enumerate(colors):
            ax.plot(depths, np.where(values[s] > 0, values[s], np.nan), color=color, lw=1.0)
        ax.set_yscale("log")
        ax.set_xlabel("depth l")
        ax.set_ylabel(ylabel)
    theory = np.asarray(decay_theory, dtype=np.float64)
    for s, color in enumerate(colors):
        if np.any(np.isfinite(theory[s])):
            axes[3].plot(depths, theory[s], color=color, ls="--", lw=0.9)
    axes[3].plot([], [], "k--", lw=0.9, label="∝ l·(χ_c*/χ_1)^l (chaotic)")
    axes[3].legend(fontsize=7)
    mappable = plt.cm.ScalarMappable(cmap="coolwarm", norm=plt.Normalize(sigma.min(), sigma.max()))
    fig.colorbar(mappable, ax=axes, label="σ_w²", shrink=0.85)
    fig.suptitle(title, fontsize=10)
    return fig


def depth_scale_figure(
    fits: Mapping[str, Mapping[str, object]],
    title: str,
) -> plt.Figure:
    """Measured depth scale vs mean-field ξ with the fitted line through the origin, one panel per fit.

    ``fits[name]``: ``xi`` and ``depth`` (arrays), ``constant``, ``r_squared``, ``xlabel``, ``ylabel``.
    """
    fig, axes = plt.subplots(1, len(fits), figsize=(5.0 * len(fits), 4.0), squeeze=False)
    for ax, (name, fit) in zip(axes[0], fits.items(), strict=True):
        xi, depth = np.asarray(fit["xi"], dtype=np.float64), np.asarray(fit["depth"], dtype=np.float64)
        ok = np.isfinite(xi) & np.isfinite(depth)
        ax.plot(xi[ok], depth[ok], "o", ms=4)
        constant = float(fit["constant"])
        if ok.any() and np.isfinite(constant):
            grid = np.linspace(0, xi[ok].max() * 1.05, 50)
            ax.plot(
                grid,
                constant * grid,
                "k--",
                lw=1,
                label=f"{constant:.2f}·ξ, R² = {float(fit['r_squared']):.3f}",
            )
            ax.legend(fontsize=8)
        ax.set_xlabel(str(fit["xlabel"]))
        ax.set_ylabel(str(fit["ylabel"]))
        ax.set_title(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
