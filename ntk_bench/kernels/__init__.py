"""Analytic kernels: all depths in one layerwise pass (``layerwise``); empirical NTKs (``empirical``)."""

from ntk_bench.kernels.layerwise import (
    DepthKernels,
    KernelPass,
    kernel_pass,
    kernels_across_depth,
    validate_depths,
)

__all__ = ["DepthKernels", "KernelPass", "kernel_pass", "kernels_across_depth", "validate_depths"]
