"""Benchmarks: each pairs an ntk-bench implementation with a named baseline in one process."""
