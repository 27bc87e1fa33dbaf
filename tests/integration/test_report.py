"""``ntk-bench-report`` and the Hydra callback: self-contained HTML, CI summary, missing cells, baselines."""

from __future__ import annotations

import json
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from ntk_bench.report.build import build_report
from ntk_bench.report.callback import ReportCallback
from ntk_bench.report.cli import main as report_main
from ntk_bench.results import load_run, load_runs
from ntk_bench.runner import run_job

CRITICAL = "1.37583900734668"  # critical_sigma_w2("erf", 0.05)
SWEEP = [
    "tracker=none",
    "data.n_train=8",
    "data.n_test=4",
    "model.depth=24",
    f"model.sigma_w2=1.0,{CRITICAL}",
]
VOID = {"meta", "img", "br", "hr", "input", "link", "col", "area", "base", "wbr", "source"}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A real two-job multirun through ``ntk-bench -m`` (in-process: Hydra runs the report callback)."""
    root = tmp_path_factory.mktemp("report") / "sweep"
    from ntk_bench.cli import main

    argv = ["ntk-bench", "-m", *SWEEP, f"hydra.sweep.dir={root}"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", argv)
        main()
    return root


class Checker(HTMLParser):
    """Tag balance, and every reference the page would load."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[str] = []
        self.references: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href", "srcset", "data", "action", "poster"):
            if attrs.get(key):
                self.references.append(attrs[key])
        if tag == "img":
            self.images.append(attrs.get("src") or "")
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.errors.append(f"<{tag}> in a self-contained report")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def check_self_contained(html: str) -> Checker:
    assert html.startswith("<!DOCTYPE html>")
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, checker.stack
    for needle in ("http://", "https://", 'src="//', 'href="//', "url("):
        assert needle not in html, needle
    for ref in checker.references:
        assert ref.startswith(("data:image/png;base64,", "#")), ref[:60]
    return checker


def test_multirun_callback_writes_a_self_contained_report(sweep):
    html = (sweep / "report" / "index.html").read_text()
    checker = check_self_contained(html)
    pngs = sorted(sweep.glob("*/*.png"))
    assert len(pngs) == 2 and len(checker.images) == 2
    assert all(src.startswith("data:image/png;base64,") and len(src) > 1000 for src in checker.images)
    for text in ("spectrum.critical.kappa_limit", "mean_field.critical_line", "Provenance", "jax_enable_x64",
                 "neural-tangents", "Claim definitions", "Missing cells", "wall time"):  # fmt: skip
        assert text in html, text
    run = load_runs(sweep)[0]
    assert run.provenance["git"]["sha"] is None or run.provenance["git"]["sha"] in html
    md = (sweep / "report" / "summary.md").read_text()
    assert "| claim | verdict | measured on |" in md and "## Missing cells" in md
    assert "every cell of the sweep completed" in md
    assert "0/spectrum_vs_depth.png" in md and "base64" not in md


def test_claims_in_the_report_are_measured_on_this_sweep(sweep):
    report = build_report(sweep)
    verdicts = report.claim_verdicts
    assert verdicts["spectrum.critical.kappa_limit"] == "pass"
    assert verdicts["spectrum.chi_1_from_trace"] == "pass"
    assert verdicts["lee2019.deviation_slopes"] == "not-run"
    assert report.exit_code == 0 and not report.inventory.missing


def test_single_run_callback(sweep, tmp_path):
    job = tmp_path / "job"
    shutil.copytree(sweep / "0", job)
    ReportCallback().on_run_end(OmegaConf.create({"hydra": {"runtime": {"output_dir": str(job)}}}))
    check_self_contained((job / "report" / "index.html").read_text())
    assert "## Missing cells\n\nNone." in (job / "report" / "summary.md").read_text()


def test_partial_multirun_lists_missing_cells_and_marks_dependent_claims_not_run(sweep, tmp_path, capsys):
    partial = tmp_path / "partial"
    shutil.copytree(sweep, partial, ignore=shutil.ignore_patterns("report"))
    (partial / "1" / "results.json").unlink()  # the critical cell was interrupted
    doc = yaml.safe_load((partial / "multirun.yaml").read_text())
    task = doc["hydra"]["overrides"]["task"]
    task[task.index(f"model.sigma_w2=1.0,{CRITICAL}")] = f"model.sigma_w2=1.0,{CRITICAL},2.0"
    (partial / "multirun.yaml").write_text(yaml.safe_dump(doc))  # ... and the 2.0 cell never started

    assert report_main([str(partial)]) == 0
    out = capsys.readouterr().out
    assert "missing cell [incomplete] 1: " in out and "model.sigma_w2=2.0" in out
    report = build_report(partial)
    status = {c.status: " ".join(c.overrides) for c in report.inventory.missing}
    assert (
        f"model.sigma_w2={CRITICAL}" in status["incomplete"] and "model.sigma_w2=2.0" in status["not started"]
    )
    for claim_id in ("spectrum.critical.kappa_limit", "spectrum.critical_line_chi_1"):
        (result,) = [r for r in report.results if r.claim_id == claim_id]
        assert result.verdict == "not-run" and "2 sweep cell(s) missing" in result.detail
    md = (partial / "report" / "summary.md").read_text()
    assert "| 1 | incomplete |" in md and "| - | not started |" in md
    check_self_contained((partial / "report" / "index.html").read_text())


def _rerun(src: Path, dst: Path) -> None:
    """Recompute every job of ``src`` from its stored config into ``dst`` (a genuine rerun)."""
    for run in load_runs(src):
        run_job(run.config, dst / run.path.name)


def test_baseline_passes_an_unchanged_rerun_and_flags_injected_drift(sweep, tmp_path, capsys):
    baseline = tmp_path / "baselines" / "nightly"
    assert report_main([str(sweep), "--update-baseline", str(baseline), "--out", str(tmp_path / "r0")]) == 0
    assert (baseline / "BASELINE.json").exists() and len(load_runs(baseline)) == 2
    rerun = tmp_path / "rerun"
    _rerun(sweep, rerun)
    capsys.readouterr()
    assert report_main([str(rerun), "--baseline", str(baseline)]) == 0
    out = capsys.readouterr().out
    assert "0 of" in out and "metrics beyond tolerance" in out

    drifted = tmp_path / "drifted"
    shutil.copytree(rerun, drifted, ignore=shutil.ignore_patterns("report"))
    file = drifted / "0" / "results.json"
    doc = json.loads(file.read_text())
    doc["series"]["ntk/lambda_max"][10] *= 1 + 1e-5
    doc["summary"]["theory"]["q_star"] *= 1 + 1e-3
    file.write_text(json.dumps(doc))
    assert report_main([str(drifted), "--baseline", str(baseline)]) == 1
    out = capsys.readouterr().out
    assert "2 of" in out
    lines = [line for line in out.splitlines() if " drift " in line]
    assert any("series:ntk/lambda_max" in line and "depth=11" in line for line in lines), out
    assert any("summary:theory.q_star" in line for line in lines), out
    html = (drifted / "report" / "index.html").read_text()
    check_self_contained(html)
    assert "Baseline drift" in html and "Baseline drift" in (drifted / "report" / "summary.md").read_text()

    # Per-metric tolerances (a file next to the reference, or --tolerances) loosen or ignore metrics.
    loose = tmp_path / "loose.yaml"
    loose.write_text(
        yaml.safe_dump({"metrics": {"series:ntk/lambda_max": {"rtol": 1e-4}}, "ignore": ["summary:theory.*"]})
    )
    assert (
        report_main([str(drifted), "--baseline", str(baseline), "--tolerances", str(loose), "--quiet"]) == 0
    )

    # A reference cell that is absent from the current run is a failure (coverage dropped).
    shutil.rmtree(drifted / "1")
    assert report_main([str(drifted), "--baseline", str(baseline), "--quiet"]) == 1


def test_update_baseline_refuses_to_replace_a_foreign_directory(sweep, tmp_path, capsys):
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert report_main([str(sweep), "--update-baseline", str(foreign), "--out", str(tmp_path / "r")]) == 2
    assert "not a baseline directory" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a readable ntk-bench results file"),
        ('{"schema": "other"}', "is not an ntk-bench results file"),
    ],
)
def test_corrupt_or_alien_results_exit_2_naming_the_file(sweep, tmp_path, capsys, content, message):
    broken = tmp_path / "broken"
    shutil.copytree(sweep, broken, ignore=shutil.ignore_patterns("report"))
    (broken / "1" / "results.json").write_text(content)
    assert report_main([str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ntk-bench-report: error: ")
    assert str(broken / "1" / "results.json") in err[0] and message in err[0]
    assert report_main([str(tmp_path / "nowhere")]) == 2


def test_baseline_files_are_plain_results(sweep, tmp_path):
    baseline = tmp_path / "b"
    report_main([str(sweep), "--update-baseline", str(baseline), "--out", str(tmp_path / "r"), "--quiet"])
    run = load_run(baseline / "0")
    assert run.series == load_run(sweep / "0").series
    assert (baseline / "0" / ".hydra" / "overrides.yaml").exists() and (baseline / "multirun.yaml").exists()


def test_declared_expected_failures_are_shown_apart_and_strict(sweep, tmp_path, capsys):
    from ntk_bench.claims.core import Claim, Paper, check

    def always_fails(runs):
        return [check(f"{run.path.name} cell", 1.0, 2.0, 0.1, "abs", runs=[run]) for run in runs]

    failing = Claim(
        "demo.fails", Paper("A", 2020), "s", "spectrum", "c", "2", "0.1", "j", evaluate=always_fails
    )
    declared = tmp_path / "expected_failures.yaml"
    declared.write_text(yaml.safe_dump([{"claim": "demo.fails", "subject": "0 cell", "reason": "measured"}]))
    report = build_report(sweep, claims=[failing], expected_failures_file=declared)
    assert [r.verdict for r in report.results] == ["xfail", "fail"]  # only the declared subject
    assert report.exit_code == 1 and "expected failure: measured" in report.results[0].detail

    # A declared failure that passes is "unexpectedly passing" and fails the report (strict).
    passing = next(r for r in build_report(sweep).results if r.verdict == "pass")
    declared.write_text(
        yaml.safe_dump([{"claim": passing.claim_id, "subject": passing.subject, "reason": "was failing"}])
    )
    out_dir = tmp_path / "out"
    capsys.readouterr()
    assert report_main([str(sweep), "--expected-failures", str(declared), "--out", str(out_dir)]) == 1
    out = capsys.readouterr().out
    assert f"XPASS (unexpectedly passing) {passing.claim_id}" in out and "1 unexpectedly passing" in out
    summary = (out_dir / "summary.md").read_text()
    assert "## Expected failures" in summary and "unexpectedly passing" in summary
    check_self_contained((out_dir / "index.html").read_text())

    # Declarations without their measured reason are refused (exit 2, one line).
    declared.write_text(yaml.safe_dump([{"claim": "x", "subject": "*", "reason": " "}]))
    assert report_main([str(sweep), "--expected-failures", str(declared), "--quiet"]) == 2


def test_figures_are_redrawn_from_stored_results_without_recomputing(sweep, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("report", "*.png", "*.svg"))
    assert not list(copy.glob("*/*.png"))
    assert report_main([str(copy), "--figures"]) == 0
    assert "figures: " in capsys.readouterr().out
    for job in ("0", "1"):  # the spectrum figure of each job, from results.json alone
        assert (copy / job / "spectrum_vs_depth.png").stat().st_size > 0
        assert (copy / job / "spectrum_vs_depth.svg").exists()
    assert "spectrum_vs_depth.png" in (copy / "report" / "summary.md").read_text()
