"""Write a :class:`~ntk_bench.report.build.Report`: ``report/index.html`` (one self-contained file) and
``report/summary.md`` (GitHub-flavoured, for CI job summaries), atomically.

Kept apart from ``build.py`` so the renderers import the report model without an import cycle.
"""

from __future__ import annotations

import os
from pathlib import Path

from ntk_bench.report.build import HTML_FILE, MARKDOWN_FILE, REPORT_DIR, Report
from ntk_bench.report.html import render_html
from ntk_bench.report.markdown import render_markdown
from ntk_bench.results import atomic_write_bytes


def write_report(report: Report, out: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``index.html`` and ``summary.md`` into ``out`` (default ``<root>/report``); returns both."""
    out_dir = Path(out) if out is not None else report.root / REPORT_DIR
    html_path, md_path = out_dir / HTML_FILE, out_dir / MARKDOWN_FILE
    umask = os.umask(0)
    os.umask(umask)
    for path, text in ((html_path, render_html(report)), (md_path, render_markdown(report))):
        atomic_write_bytes(path, text.encode("utf-8"))
        os.chmod(path, 0o666 & ~umask)  # the temporary file was created 0600; a report is meant to be shared
    return html_path, md_path
