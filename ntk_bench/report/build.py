"""Assemble a report of a run or multirun directory: claims, figures, provenance, missing cells, drift.

:func:`build_report` gathers everything into a :class:`Report`, and the table formatting shared by the
renderers is here too; ``report/write.py`` renders it (``html.py``, ``markdown.py``, which import this module,
never the other way round).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ntk_bench.claims import Claim, ClaimResult, all_claims, claim_verdicts, evaluate_claims, verdict_counts
from ntk_bench.claims.core import FAILING_VERDICTS, claim_experiments
from ntk_bench.claims.expected import (
    EXPECTED_FAILURES_FILE,
    ExpectedFailure,
    apply_expected_failures,
    load_expected_failures,
)
from ntk_bench.report.baseline import (
    TOLERANCES_FILE,
    Drift,
    ToleranceConfig,
    compare_runs,
    load_reference,
    load_tolerances,
)
from ntk_bench.report.inventory import SKIP_DIRS, Inventory, take_inventory
from ntk_bench.results import Run

REPORT_DIR = "report"
HTML_FILE = "index.html"
MARKDOWN_FILE = "summary.md"
# Figures embedded in index.html beyond this total are listed by path instead (keeps the file openable).
MAX_EMBEDDED_BYTES = 40 * 2**20

EXIT_OK = 0
EXIT_FAILED = (
    1  # a claim failed (or a declared expected failure passed), or a metric drifted beyond tolerance
)
EXPECTED_VERDICTS = ("xfail", "xpass")  # results of declared expected failures: shown apart


@dataclass(frozen=True)
class Figure:
    """A PNG produced by a job (or found at the sweep root)."""

    owner: str  # run label ('.' for the root)
    path: Path


@dataclass
class Report:
    root: Path
    inventory: Inventory
    claims: list[Claim]
    results: list[ClaimResult]
    figures: list[Figure]
    generated_utc: str
    baseline: Path | None = None
    drifts: list[Drift] | None = None
    tolerances: ToleranceConfig | None = None
    expected_failures: list[ExpectedFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def runs(self) -> list[Run]:
        return self.inventory.runs

    @property
    def counts(self) -> dict[str, int]:
        return verdict_counts(self.results)

    @property
    def claim_verdicts(self) -> dict[str, str]:
        return dict(claim_verdicts(self.results))

    @property
    def expected_results(self) -> list[ClaimResult]:
        """Results of declared expected failures (xfail, and xpass: unexpectedly passing)."""
        return [r for r in self.results if r.verdict in EXPECTED_VERDICTS]

    def expected_note(self) -> str:
        """``", 2 expected failures, 0 unexpectedly passing"`` (claims), or "" when none is declared."""
        if not self.expected_results:
            return ""
        per_claim = list(self.claim_verdicts.values())
        return (
            f", {per_claim.count('xfail')} expected failures, "
            f"{per_claim.count('xpass')} unexpectedly passing"
        )

    @property
    def failing_drifts(self) -> list[Drift]:
        return [d for d in self.drifts or [] if d.failing]

    @property
    def not_run_here(self) -> list[ClaimResult]:
        """Not-run results of claims whose experiment has runs in this directory (measurable, but not
        measured: the configs did not meet the claim's conditions)."""
        present = {r.experiment for r in self.runs}
        by_id = {c.id: c for c in self.claims}
        return [
            r
            for r in self.results
            if r.verdict == "not-run"
            and r.claim_id in by_id
            and present & set(claim_experiments(by_id[r.claim_id]))
        ]

    @property
    def exit_code(self) -> int:
        failing = any(self.counts[v] for v in FAILING_VERDICTS)
        return EXIT_FAILED if failing or self.failing_drifts else EXIT_OK

    def run_label(self, run: Run | str | Path) -> str:
        return self.inventory.label(run.path if isinstance(run, Run) else run)


def find_figures(inventory: Inventory) -> list[Figure]:
    """PNGs in each job directory (and at the sweep root), skipping report/ and wandb/ folders."""
    figures: list[Figure] = []
    seen: set[Path] = set()
    owners = [(inventory.label(r.path), r.path) for r in inventory.runs]
    if inventory.kind != "run":
        owners.append((".", inventory.root))
    for owner, directory in owners:
        pattern = "*.png" if owner == "." and inventory.kind != "run" else "**/*.png"
        for png in sorted(directory.glob(pattern)):
            rel_parts = png.relative_to(directory).parts
            if any(p in SKIP_DIRS for p in rel_parts) or png.resolve() in seen:
                continue
            seen.add(png.resolve())
            figures.append(Figure(owner, png))
    return figures


def build_report(
    path: str | Path,
    *,
    baseline: str | Path | None = None,
    tolerances_file: str | Path | None = None,
    claims: Sequence[Claim] | None = None,
    expected_failures_file: str | Path | None = None,
) -> Report:
    """Scan ``path``, evaluate the claims, find figures, and compare with ``baseline`` if given.

    Expected failures are declared in ``<baseline>/expected_failures.yaml`` and/or ``expected_failures_file``
    (:mod:`ntk_bench.claims.expected`)."""
    inventory = take_inventory(path)
    claims = list(claims) if claims is not None else all_claims()
    results = evaluate_claims(inventory.runs, claims, missing_cells=len(inventory.missing))
    declared = load_expected_failures(
        Path(baseline) / EXPECTED_FAILURES_FILE if baseline is not None else None,
        Path(expected_failures_file) if expected_failures_file is not None else None,
    )
    results, unmatched = apply_expected_failures(results, declared)
    report = Report(
        root=inventory.root,
        inventory=inventory,
        claims=claims,
        results=results,
        figures=find_figures(inventory),
        generated_utc=datetime.now(UTC).isoformat(timespec="seconds"),
        expected_failures=declared,
    )
    report.notes += [f"expected failure {e.claim} [{e.subject}] matched no result" for e in unmatched]
    if inventory.kind == "multirun" and not inventory.expected_known:
        report.notes.append(
            "the sweep's cells could not be re-expanded from multirun.yaml: only failed jobs are listed"
        )
    if baseline is not None:
        reference = load_reference(baseline)
        base_dir = Path(baseline)
        tolerances = load_tolerances(
            base_dir / TOLERANCES_FILE, Path(tolerances_file) if tolerances_file else None
        )
        report.baseline = base_dir
        report.tolerances = tolerances
        report.drifts = compare_runs(inventory.runs, reference, tolerances, label=report.run_label)
    elif tolerances_file is not None:
        report.notes.append("--tolerances given without --baseline: ignored")
    return report


# ----------------------------------------------------------------------------------------- formatting


def fmt(x: float | int | None, digits: int = 6) -> str:
    """A number for a table: ``—`` for None, ``nan``/``inf``, else ``%.{digits}g``."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def expected_text(r: ClaimResult) -> str:
    """The expectation as a short formula: ``= 139.4``, ``≤ 1``, ``≥ 0``."""
    if r.expected is None:
        return "—"
    sign = {"le": "≤ ", "ge": "≥ "}.get(r.mode, "= ")
    return sign + fmt(r.expected)


def tolerance_text(r: ClaimResult) -> str:
    if r.tolerance is None:
        return "—"
    return {
        "rel": f"±{fmt(r.tolerance, 3)} rel",
        "abs": f"±{fmt(r.tolerance, 3)}",
        "le": f"+{fmt(r.tolerance, 3)}",
        "ge": f"−{fmt(r.tolerance, 3)}",
        "factor": f"×÷{fmt(r.tolerance, 3)}",
    }.get(r.mode, fmt(r.tolerance, 3))


def run_title(report: Report, run: Run) -> str:
    """Label and the job's sweep overrides (or the model/data summary) of a run."""
    overrides = report.inventory.overrides_of(run)
    swept = [o for o in overrides if o not in report.inventory.sweep_overrides] or list(overrides)
    return f"{report.run_label(run)}: {run.experiment}" + (f" [{' '.join(swept)}]" if swept else "")


def total_wall_time(runs: Sequence[Run]) -> float:
    total = 0.0
    for run in runs:
        value = run.provenance.get("wall_time_s")
        if isinstance(value, int | float) and math.isfinite(value):
            total += float(value)
    return total
