"""``ntk-bench-report``: claims, figures, provenance and baseline drift of a run or multirun directory.

    ntk-bench-report multirun/spectrum/2026-11-25_14-00-00
    ntk-bench-report PATH --baseline reports/baselines/nightly       # drift table; exit 1 on drift/failure
    ntk-bench-report PATH --update-baseline reports/baselines/nightly  # the only way a reference changes
    ntk-bench-report PATH --figures     # redraw every figure from results.json + arrays.npz, then report

Writes ``PATH/report/index.html`` (self-contained) and ``PATH/report/summary.md`` (or into ``--out``).
Exit status: 0 all claims pass, not-run or fail as declared (``REF/expected_failures.yaml``) and no drift;
1 a claim failed, a declared expected failure passed, or a metric drifted (or, with
``--strict``, a claim of an experiment present here was not run); 2 bad input (one line on stderr naming
the file or value).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ntk_bench.errors import ConfigError

EXIT_BAD_INPUT = 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ntk-bench-report",
        description="Report theory claims, figures, provenance and baseline drift of an ntk-bench run or "
        "multirun directory.",
    )
    p.add_argument("path", type=Path, help="a job directory, a Hydra multirun directory, or a results.json")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: PATH/report)")
    p.add_argument(
        "--baseline", metavar="REF", type=Path, default=None, help="reference run directory to compare with"
    )
    p.add_argument(
        "--tolerances",
        type=Path,
        default=None,
        help="YAML tolerances (default/metrics/ignore), applied over REF/tolerances.yaml",
    )
    p.add_argument(
        "--expected-failures",
        metavar="FILE",
        type=Path,
        default=None,
        help="YAML declared expected failures (claim, subject, reason), besides REF/expected_failures.yaml",
    )
    p.add_argument(
        "--update-baseline",
        metavar="DIR",
        type=Path,
        default=None,
        help="store PATH's results as the reference in DIR (replacing it), e.g. reports/baselines/nightly",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="also exit 1 when a claim whose experiment ran here could not be measured (conditions not met)",
    )
    p.add_argument(
        "--figures",
        action="store_true",
        help="first redraw every run's figures from its results.json + arrays.npz (nothing is recomputed)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the verdict line")
    return p


def print_summary(report, drift_rows: int = 40) -> None:
    from ntk_bench.report.build import fmt

    counts = report.counts
    verdicts = report.claim_verdicts
    failed = sorted({r.claim_id for r in report.results if r.verdict == "fail"})
    print(
        f"claims: {sum(v == 'pass' for v in verdicts.values())} passed, {len(failed)} failed, "
        f"{sum(v == 'not-run' for v in verdicts.values())} not run{report.expected_note()} "
        f"({counts['pass']}/{counts['fail']}/{counts['not-run']} measurements); "
        f"{len(report.runs)} runs, {len(report.inventory.missing)} missing cells"
    )
    for claim_id in failed:
        for r in report.results:
            if r.claim_id == claim_id and r.verdict == "fail":
                print(
                    f"  FAIL {claim_id}: {r.subject}: measured {fmt(r.measured)}, "
                    f"expected {fmt(r.expected)} ({r.detail})"
                )
    for r in report.expected_results:
        tag = "XFAIL" if r.verdict == "xfail" else "XPASS (unexpectedly passing)"
        print(f"  {tag} {r.claim_id}: {r.subject}: measured {fmt(r.measured)}, expected {fmt(r.expected)}")
    for note in report.notes:
        print(f"  note: {note}")
    for cell in report.inventory.missing:
        print(f"  missing cell [{cell.status}] {cell.label}: {' '.join(cell.overrides)}")
    if report.drifts is None:
        return
    compared = [d for d in report.drifts if d.status in ("ok", "drift")]
    failing = report.failing_drifts
    print(f"baseline {report.baseline}: {len(failing)} of {len(compared)} metrics beyond tolerance")
    # One row per metric: the worst cell (drifted metrics first).
    worst: dict[str, object] = {}
    for d in report.drifts:
        if d.status not in ("ok", "drift", "missing", "cell missing"):
            continue
        prev = worst.get(d.metric)
        key = (
            d.failing,
            (d.abs_diff or 0) / d.allowed if d.allowed else (0.0 if not d.failing else float("inf")),
        )
        if prev is None or key > prev[0]:  # type: ignore[index]
            worst[d.metric] = (key, d)
    rows = sorted(worst.values(), key=lambda item: item[0], reverse=True)  # type: ignore[index, return-value]
    header = (
        f"  {'metric':44s} {'status':12s} {'reference':>12s} {'current':>12s} {'|Δ|':>9s} {'allowed':>9s}"
        "  cell / where"
    )
    print(header)
    for _, d in rows[:drift_rows]:  # type: ignore[misc]
        print(
            f"  {d.metric[:44]:44s} {d.status:12s} {fmt(d.reference):>12s} {fmt(d.current):>12s} "
            f"{fmt(d.abs_diff, 3):>9s} {fmt(d.allowed, 3):>9s}  {d.cell} {d.where}"
        )
    if len(rows) > drift_rows:
        print(f"  … {len(rows) - drift_rows} more metrics (all listed in the HTML report)")


def redraw_figures(path: Path, quiet: bool = False) -> int:
    """Redraw the figures of every run under ``path`` from its stored results; returns how many were drawn."""
    from ntk_bench.report.figure_registry import figure_renderer, render_figures
    from ntk_bench.results import load_runs

    drawn = 0
    for run in load_runs(path):
        try:
            figures = render_figures(run)
        except Exception as err:  # e.g. a baseline copy without arrays.npz: the other runs still draw
            print(f"figures: {run.path}: not drawn ({type(err).__name__}: {str(err).splitlines()[0]})")
            continue
        drawn += len(figures)
        if not quiet:
            note = "" if figure_renderer(run.experiment) else " (no figure renderer registered)"
            print(f"figures: {run.path}: {', '.join(sorted(figures)) or 'none'}{note}")
    return drawn


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        from ntk_bench.report.baseline import update_baseline
        from ntk_bench.report.build import build_report
        from ntk_bench.report.write import write_report

        if args.figures:
            redraw_figures(args.path, quiet=args.quiet)
        report = build_report(
            args.path,
            baseline=args.baseline,
            tolerances_file=args.tolerances,
            expected_failures_file=args.expected_failures,
        )
        html_path, md_path = write_report(report, args.out)
        stored = None
        if args.update_baseline is not None:
            stored = update_baseline(report.runs, report.root, args.update_baseline)
    except ConfigError as err:
        print(f"ntk-bench-report: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.quiet:
        print_summary(report)
        print(f"report: {html_path}\nsummary: {md_path}")
    if stored is not None:
        print(f"baseline updated: {stored} ({len(report.runs)} runs)")
    code = report.exit_code
    if args.strict and report.not_run_here:
        print(f"--strict: {len(report.not_run_here)} measurement(s) not run although their experiment ran")
        code = code or 1
    print("ntk-bench-report: " + ("FAILED" if code else "OK"))
    return code


if __name__ == "__main__":
    sys.exit(main())
