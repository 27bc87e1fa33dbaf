"""Analytic kernels: all depths in one layerwise pass."""

from ntk_bench.kernels.layerwise import DepthKernels, LayerwiseKernelFn, kernels_across_depth, validate_depths

__all__ = ["DepthKernels", "LayerwiseKernelFn", "kernels_across_depth", "validate_depths"]
