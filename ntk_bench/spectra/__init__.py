"""Spectra of kernels: eigenvalue summaries and the mean-predictor probe."""

from ntk_bench.spectra.correlations import CorrelationSummary, summarize_correlations
from ntk_bench.spectra.eigen import Eigendecomposition, SpectrumSummary, summarize_spectrum, symmetric_eigh
from ntk_bench.spectra.mean_predictor import (
    MeanPredictorSummary,
    mean_predictor,
    spectral_solve,
    summarize_mean_predictor,
)

__all__ = [
    "CorrelationSummary",
    "Eigendecomposition",
    "MeanPredictorSummary",
    "SpectrumSummary",
    "mean_predictor",
    "spectral_solve",
    "summarize_correlations",
    "summarize_mean_predictor",
    "summarize_spectrum",
    "symmetric_eigh",
]
