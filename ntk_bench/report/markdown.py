"""``report/summary.md``: GitHub-flavoured markdown for CI job summaries (``$GITHUB_STEP_SUMMARY``).

Compact by design: verdict counts, the claims table, missing cells, drifted metrics, figure paths and a
provenance digest. Figures are linked by relative path (job summaries do not render data URIs).
"""

from __future__ import annotations

import json
from collections import Counter

from ntk_bench.claims.core import claim_experiments
from ntk_bench.report.build import (
    EXPECTED_VERDICTS,
    HTML_FILE,
    Report,
    expected_text,
    fmt,
    run_title,
    tolerance_text,
    total_wall_time,
)

ICONS = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "not-run": "⏭️ not-run",
    "xfail": "⚠️ expected failure",
    "xpass": "❗ unexpectedly passing",
}
MAX_DRIFT_ROWS = 50


def cell(text: object) -> str:
    """Escape a value for a markdown table cell (pipes, newlines, HTML)."""
    s = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return s.replace("<", "&lt;").replace(">", "&gt;")


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def render_markdown(report: Report) -> str:
    counts = report.counts
    per_claim = Counter(report.claim_verdicts.values())
    lines = [
        f"# ntk-bench report: `{report.root.name or report.root}`",
        "",
        f"**Claims:** {per_claim['pass']} passed, {per_claim['fail']} failed, {per_claim['not-run']} not run"
        f"{report.expected_note()} ({counts['pass']} / {counts['fail']} / {counts['not-run']} measurements). "
        f"**Runs:** {len(report.runs)} complete, {len(report.inventory.missing)} missing. "
        + (
            f"**Baseline:** {len(report.failing_drifts)} drifting of "
            f"{sum(1 for d in report.drifts or [] if d.status in ('ok', 'drift'))} metrics compared. "
            if report.drifts is not None
            else ""
        )
        + f"Generated {report.generated_utc}; full report: `{HTML_FILE}`.",
        "",
    ]
    for note in report.notes:
        lines += [f"> note: {note}", ""]
    lines += ["## Claims", ""]
    rows = [
        [
            r.claim_id,
            ICONS[r.verdict],
            r.subject + (f" ({', '.join(report.run_label(p) for p in r.runs)})" if r.runs else ""),
            fmt(r.measured),
            expected_text(r),
            tolerance_text(r),
            r.detail,
        ]
        for r in report.results
        if r.verdict not in EXPECTED_VERDICTS
    ]
    header = ["claim", "verdict", "measured on", "measured", "expected", "tolerance", "detail"]
    lines += [*table(header, rows), ""]
    if report.expected_results:
        lines += ["## Expected failures (declared, with their measured reason)", ""]
        rows = [
            [
                r.claim_id,
                ICONS[r.verdict],
                r.subject,
                fmt(r.measured),
                expected_text(r),
                tolerance_text(r),
                r.detail,
            ]
            for r in report.expected_results
        ]
        lines += [*table(header, rows), ""]
    missing = report.inventory.missing
    lines += ["## Missing cells", ""]
    if missing:
        lines += table(
            ["job", "status", "overrides"],
            [[c.label, c.status, " ".join(c.overrides) or "—"] for c in missing],
        )
    else:
        lines += [
            "None: every cell of the sweep completed." if report.inventory.kind == "multirun" else "None."
        ]
    lines += [""]
    if report.drifts is not None:
        lines += [f"## Baseline drift (reference `{report.baseline}`)", ""]
        failing = report.failing_drifts
        news = [d for d in report.drifts if d.status in ("new", "new cell")]
        if failing:
            shown = failing[:MAX_DRIFT_ROWS]
            lines += table(
                ["cell", "metric", "status", "reference", "current", "|Δ|", "allowed", "where"],
                [
                    [
                        d.cell,
                        d.metric,
                        d.status,
                        fmt(d.reference),
                        fmt(d.current),
                        fmt(d.abs_diff, 3),
                        fmt(d.allowed, 3),
                        d.where,
                    ]
                    for d in shown
                ],
            )
            if len(failing) > len(shown):
                lines += ["", f"… and {len(failing) - len(shown)} more (see {HTML_FILE})."]
        else:
            lines += ["No metric drifted beyond tolerance."]
        if news:
            lines += ["", f"{len(news)} metric(s)/cell(s) have no reference (not compared)."]
        lines += [""]
    lines += ["## Figures", ""]
    if report.figures:
        for fig in report.figures:
            try:
                rel = fig.path.relative_to(report.root)
            except ValueError:
                rel = fig.path
            lines.append(f"- `{rel}` ({fig.owner})")
    else:
        lines.append("No figures.")
    lines += ["", "## Provenance", ""]
    lines += provenance_digest(report)
    lines += ["", "<details><summary>Claim definitions</summary>", ""]
    for c in report.claims:
        verdict = report.claim_verdicts.get(c.id, "not-run")
        lines += [
            f"- **{c.id}** ({ICONS[verdict]}) — {c.paper}. {c.statement} "
            f"*Measured by:* {', '.join(claim_experiments(c)) or 'theory'}: {c.conditions}. "
            f"*Expected:* {c.expected}. "
            f"*Tolerance:* {c.tolerance} — {c.justification}"
        ]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def provenance_digest(report: Report) -> list[str]:
    runs = report.runs
    if not runs:
        return ["No completed runs."]
    lines: list[str] = []
    for title, key in (
        ("packages", "packages"),
        ("jax flags", "jax_flags"),
        ("git", "git"),
        ("machine", "machine"),
    ):
        distinct = Counter(json.dumps(r.provenance.get(key), sort_keys=True) for r in runs)
        for value, n in distinct.items():
            doc = json.loads(value)
            text = ", ".join(f"{k}={v}" for k, v in doc.items()) if isinstance(doc, dict) else str(doc)
            suffix = f" ({n} of {len(runs)} runs)" if len(distinct) > 1 else ""
            lines.append(f"- **{title}**{suffix}: {cell(text)}")
    lines.append(f"- **wall time**: {fmt(total_wall_time(runs), 4)} s over {len(runs)} runs")
    rows = [
        [run_title(report, r), fmt(r.provenance.get("wall_time_s"), 4), r.provenance.get("created_utc", "—")]
        for r in runs
    ]
    lines += ["", *table(["run", "wall time (s)", "created (UTC)"], rows)]
    return lines
