"""Sweeps: suite presets (``conf/suite/``), the nightly wrapper, and sweep progress lines.

See docs/suites.md. Resume lives in the runner (:func:`ntk_bench.results.resume.completed_result`).
"""
