"""``report/index.html``: one self-contained file (inline CSS, figures as base64 data URIs, no scripts, no
external references), readable offline and attachable to a CI run as is.

Every piece of text goes through :func:`esc`, which HTML-escapes it and breaks ``://`` so that no URL-like
string (e.g. a value in a config) appears in the file.
"""

from __future__ import annotations

import base64
import html
import json
from collections import Counter

from ntk_bench.claims.core import ClaimResult, claim_experiments
from ntk_bench.report.build import (
    EXPECTED_VERDICTS,
    MAX_EMBEDDED_BYTES,
    Report,
    expected_text,
    fmt,
    run_title,
    tolerance_text,
    total_wall_time,
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em auto;max-width:1400px;
 padding:0 1em;color:#1b1f23;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.85em}
th,td{border:1px solid #d0d7de;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pass{background:#dafbe1}.fail{background:#ffebe9}.not-run{background:#f6f8fa;color:#57606a}
.xfail{background:#fff8c5}.xpass{background:#ffebe9}
.drift{background:#ffebe9}.ok{background:#dafbe1}
.badge{display:inline-block;padding:.1em .6em;border-radius:1em;margin-right:.4em;font-weight:600}
figure{display:inline-block;margin:.5em;max-width:100%;vertical-align:top}
figure img{max-width:100%;border:1px solid #d0d7de}figcaption{font-size:.8em;color:#57606a}
details{margin:.3em 0}pre{background:#f6f8fa;padding:.5em;overflow:auto;font-size:.8em}
.small{font-size:.85em;color:#57606a}
"""


def esc(value: object) -> str:
    """HTML-escape and neutralise '://' so no text reads as a URL."""
    return html.escape(str(value), quote=True).replace("://", ":&#47;/")


def _table(header: list[str], rows: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """rows: (row class, [(cell html, cell class)])."""
    out = ["<table><thead><tr>", *(f"<th>{esc(h)}</th>" for h in header), "</tr></thead><tbody>"]
    for row_class, cells in rows:
        out.append(f'<tr class="{row_class}">' if row_class else "<tr>")
        out.extend(
            f'<td class="{cls}">{content}</td>' if cls else f"<td>{content}</td>" for content, cls in cells
        )
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ntk-bench report: {esc(report.root.name or report.root)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>ntk-bench report: {esc(report.root)}</h1>",
        _overview(report),
        _claims(report),
        _missing(report),
    ]
    if report.drifts is not None:
        parts.append(_drift(report))
    parts += [_figures(report), _provenance(report), _definitions(report), "</body></html>"]
    return "\n".join(parts)


def _overview(report: Report) -> str:
    per_claim = Counter(report.claim_verdicts.values())
    counts = report.counts
    badges = "".join(
        f'<span class="badge {v}">{per_claim[v]} {esc(v)}</span>'
        for v in ("pass", "fail", "not-run", *EXPECTED_VERDICTS)
        if per_claim[v] or v in ("pass", "fail", "not-run")
    )
    lines = [
        f"<p>{badges} claims ({counts['pass']} / {counts['fail']} / {counts['not-run']} measurements)</p>",
        f"<p>{len(report.runs)} completed runs, {len(report.inventory.missing)} missing cells "
        f"({esc(report.inventory.kind)}). Generated {esc(report.generated_utc)}.</p>",
    ]
    if report.drifts is not None:
        compared = sum(1 for d in report.drifts if d.status in ("ok", "drift"))
        lines.append(
            f"<p>Baseline {esc(report.baseline)}: {len(report.failing_drifts)} failing of {compared} "
            "metrics compared.</p>"
        )
    lines += [f'<p class="small">note: {esc(n)}</p>' for n in report.notes]
    status = "FAILED" if report.exit_code else "OK"
    lines.append(f'<p><span class="badge {"fail" if report.exit_code else "pass"}">{status}</span></p>')
    return "\n".join(lines)


def _claims(report: Report) -> str:
    table = "<h2>Claims</h2>" + _claim_rows(
        report, [r for r in report.results if r.verdict not in EXPECTED_VERDICTS]
    )
    if report.expected_results:
        table += "<h2>Expected failures (declared, with their measured reason)</h2>" + _claim_rows(
            report, report.expected_results
        )
    return table


def _claim_rows(report: Report, results: list[ClaimResult]) -> str:
    rows = [
        (
            r.verdict,
            [
                (f'<a href="#claim-{esc(r.claim_id)}">{esc(r.claim_id)}</a>', ""),
                (esc(r.verdict), ""),
                (
                    esc(r.subject)
                    + "".join(f"<br><span class=small>{esc(report.run_label(p))}</span>" for p in r.runs),
                    "",
                ),
                (esc(fmt(r.measured)), "num"),
                (esc(expected_text(r)), "num"),
                (esc(tolerance_text(r)), "num"),
                (esc(r.detail), ""),
            ],
        )
        for r in results
    ]
    header = ["claim", "verdict", "measured on", "measured", "expected", "tolerance", "detail"]
    return _table(header, rows)


def _missing(report: Report) -> str:
    missing = report.inventory.missing
    if not missing:
        text = "every cell of the sweep completed" if report.inventory.kind == "multirun" else "none"
        return f"<h2>Missing cells</h2><p>None: {esc(text)}.</p>"
    rows = [
        ("fail", [(esc(c.label), ""), (esc(c.status), ""), (esc(" ".join(c.overrides) or "—"), "")])
        for c in missing
    ]
    return "<h2>Missing cells</h2>" + _table(["job", "status", "overrides"], rows)


def _drift(report: Report) -> str:
    drifts = sorted(report.drifts or [], key=lambda d: (not d.failing, d.cell, d.metric))
    rows = [
        (
            "drift" if d.failing else ("ok" if d.status == "ok" else ""),
            [
                (esc(d.cell), ""),
                (esc(d.metric), ""),
                (esc(d.status), ""),
                (esc(fmt(d.reference)), "num"),
                (esc(fmt(d.current)), "num"),
                (esc(fmt(d.abs_diff, 3)), "num"),
                (esc(fmt(d.rel_diff, 3)), "num"),
                (esc(fmt(d.allowed, 3)), "num"),
                (esc(d.tolerance), ""),
                (esc(d.where), ""),
            ],
        )
        for d in drifts
    ]
    header = [
        "cell",
        "metric",
        "status",
        "reference",
        "current",
        "|Δ|",
        "|Δ|/|ref|",
        "allowed",
        "tolerance",
        "worst at",
    ]
    return f"<h2>Baseline drift</h2><p>Reference: {esc(report.baseline)}</p>" + _table(header, rows)


def _figures(report: Report) -> str:
    out = ["<h2>Figures</h2>"]
    if not report.figures:
        return out[0] + "<p>No figures.</p>"
    budget = MAX_EMBEDDED_BYTES
    for fig in report.figures:
        try:
            data = fig.path.read_bytes()
        except OSError as err:
            out.append(f"<p>{esc(fig.path)}: unreadable ({esc(err.strerror)})</p>")
            continue
        try:
            rel = fig.path.relative_to(report.root)
        except ValueError:
            rel = fig.path
        if len(data) > budget:
            out.append(f"<p>{esc(rel)} (not embedded: report size limit reached)</p>")
            continue
        budget -= len(data)
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        out.append(f'<figure><img alt="{esc(rel)}" src="{uri}"><figcaption>{esc(rel)}</figcaption></figure>')
    return "\n".join(out)


def _provenance(report: Report) -> str:
    runs = report.runs
    out = ["<h2>Provenance</h2>"]
    if not runs:
        return out[0] + "<p>No completed runs.</p>"
    for title, key in (
        ("Packages", "packages"),
        ("JAX flags", "jax_flags"),
        ("Git", "git"),
        ("Machine", "machine"),
    ):
        groups: dict[str, list[str]] = {}
        for r in runs:
            groups.setdefault(json.dumps(r.provenance.get(key), sort_keys=True, default=str), []).append(
                report.run_label(r)
            )
        for value, labels in groups.items():
            doc = json.loads(value)
            who = "" if len(groups) == 1 else f" (runs {', '.join(labels)})"
            if isinstance(doc, dict):
                rows = [("", [(esc(k), ""), (esc(v), "")]) for k, v in doc.items()]
                out.append(f"<h3>{esc(title)}{esc(who)}</h3>" + _table(["", "value"], rows))
            else:
                out.append(f"<h3>{esc(title)}{esc(who)}</h3><p>{esc(doc)}</p>")
    rows = []
    for r in runs:
        config = json.dumps(r.config, indent=1, sort_keys=True, default=str)
        rows.append(
            (
                "",
                [
                    (esc(run_title(report, r)), ""),
                    (esc(fmt(r.provenance.get("wall_time_s"), 4)), "num"),
                    (esc(r.provenance.get("created_utc", "—")), ""),
                    (esc(str(r.provenance.get("config_hash", ""))[:12]), ""),
                    (f"<details><summary>config</summary><pre>{esc(config)}</pre></details>", ""),
                ],
            )
        )
    out.append(f"<h3>Runs (total wall time {esc(fmt(total_wall_time(runs), 4))} s)</h3>")
    out.append(_table(["run", "wall time (s)", "created (UTC)", "config hash", "config"], rows))
    return "\n".join(out)


def _definitions(report: Report) -> str:
    out = ["<h2>Claim definitions</h2>"]
    for c in report.claims:
        verdict = report.claim_verdicts.get(c.id, "not-run")
        title = f' title="{esc(c.paper.title)}"' if c.paper.title else ""
        out.append(
            f'<details id="claim-{esc(c.id)}" open><summary><b>{esc(c.id)}</b> '
            f'<span class="badge {verdict}">{esc(verdict)}</span> '
            f"<span{title}>{esc(c.paper)}</span></summary>"
            f"<p>{esc(c.statement)}</p><ul>"
            f"<li><b>Measured by:</b> {esc(', '.join(claim_experiments(c)) or 'theory check')} — "
            f"{esc(c.conditions)}</li>"
            f"<li><b>Expected:</b> {esc(c.expected)}</li>"
            f"<li><b>Tolerance:</b> {esc(c.tolerance)} — {esc(c.justification)}</li></ul></details>"
        )
    return "\n".join(out)
