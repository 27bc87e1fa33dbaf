"""The spectrum experiment's figure, from its stored results: spectra, condition numbers, effective rank,
mean predictor and NNGP input correlations against depth (``figures.spectrum_vs_depth_figure``)."""

from __future__ import annotations

from pathlib import Path

from ntk_bench.model import model_spec_from_config
from ntk_bench.report.figure_registry import register_figures
from ntk_bench.report.figures import save_figure, spectrum_vs_depth_figure
from ntk_bench.results import Run

KERNELS = ("ntk", "nngp")  # experiment.kernels' default (ntk_bench.experiment.spectrum)


@register_figures("spectrum")
def spectrum_figures(run: Run, out_dir: Path) -> dict[str, Path]:
    spec = model_spec_from_config(run.config["model"])
    kernels = list(run.config["experiment"].get("kernels", KERNELS))
    theory = run.summary["theory"]
    mean_field = f"{theory['phase']}, χ_1={theory['chi_1']:.4g}"
    if not theory["describes_model"]:
        mean_field = f"α={spec.alpha:.3g}; plain-network mean field: {mean_field}"
    title = (
        f"{spec.name} {spec.activation} σ_w²={spec.sigma_w2:g} σ_b²={spec.sigma_b2:g} "
        f"({mean_field}) on {run.config['data']['name']}, m={run.summary['n_train']}"
    )
    c_star = theory["c_star"] if theory["describes_model"] else None
    depths = [int(d) for d in run.series["depth"]]
    figure = spectrum_vs_depth_figure(depths, run.series, title, kernels, c_star)
    return {"spectrum_vs_depth": save_figure(figure, out_dir / "spectrum_vs_depth")}
