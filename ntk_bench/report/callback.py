"""Hydra callback: write ``report/`` at the end of every run and multirun (enabled in conf/config.yaml).

    hydra:
      callbacks:
        report:
          _target_: ntk_bench.report.callback.ReportCallback

``on_run_end`` reports the job directory, ``on_multirun_end`` the sweep directory (every cell, missing ones
listed). The report never changes the outcome of the run: any error is printed as one warning line.
Disable per command with ``~hydra.callbacks.report`` (or ``hydra.callbacks.report.enabled=false``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf


class ReportCallback(Callback):
    def __init__(
        self, enabled: bool = True, baseline: str | None = None, tolerances: str | None = None
    ) -> None:
        self.enabled = enabled
        self.baseline = baseline
        self.tolerances = tolerances

    def on_run_end(self, config: DictConfig, **kwargs: Any) -> None:
        self._report(OmegaConf.select(config, "hydra.runtime.output_dir"))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self._report(OmegaConf.select(config, "hydra.sweep.dir"))

    def _report(self, directory: str | None) -> None:
        if not self.enabled or not directory:
            return
        try:
            from ntk_bench.report.build import build_report
            from ntk_bench.report.write import write_report

            report = build_report(Path(directory), baseline=self.baseline, tolerances_file=self.tolerances)
            html_path, _ = write_report(report)
            per_claim = report.claim_verdicts.values()
            print(
                f"ntk-bench: report {html_path} (claims: {sum(v == 'pass' for v in per_claim)} passed, "
                f"{sum(v == 'fail' for v in per_claim)} failed, "
                f"{sum(v == 'not-run' for v in per_claim)} not run{report.expected_note()};"
                f" {len(report.inventory.missing)} missing cells)"
            )
        except Exception as err:  # the report must never fail the run that produced the results
            message = str(err).splitlines()[0] if str(err) else ""
            print(
                f"ntk-bench: warning: report not written ({type(err).__name__}: {message})", file=sys.stderr
            )
