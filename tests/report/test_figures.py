"""``ntk-bench-report`` and the Hydra callback: self-contained HTML, CI summary, missing cells, baselines."""

from __future__ import annotations

import sys


def test_experiments_compute_only_and_never_import_matplotlib():
    import subprocess

    owned = ["spectrum", "jacot2018", "phase_diagram", "hanin_nica"]
    code = (
        "import sys, importlib\n"
        + "".join(f"importlib.import_module('ntk_bench.experiment.{m}')\n" for m in owned)
        + "print(sorted(m for m in sys.modules if m.startswith(('matplotlib', 'ntk_bench.report'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
