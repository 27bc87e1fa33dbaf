"""Shared test setup: float64 on (importing ntk_bench sets it), quiet progress lines."""

import os

os.environ.setdefault("NTK_BENCH_QUIET", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")

import ntk_bench  # noqa: F401  (sets jax_enable_x64 before any test builds an array)
