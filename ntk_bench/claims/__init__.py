"""Theory claims as regression tests: a registry of claims, each measured on stored runs.

Every module in this package is a *claim module* for one experiment (``spectrum.py`` for
``experiment=spectrum``, ``xiao2020.py``, ``lee2019.py``, …) plus ``mean_field.py`` for pure theory
checks. :func:`load_claim_modules` imports them all, so a new experiment contributes claims by adding one
file here and nothing else.

How to add claims for a new experiment ``foo`` (its ``results.json`` has ``"experiment": "foo"``):

1. Create ``ntk_bench/claims/foo.py``. No other file changes: every module of this package is imported by
   :func:`load_claim_modules` (names starting with ``_`` are skipped).
2. In it, decorate one function per claim with :func:`claim`. The function receives every loaded
   :class:`~ntk_bench.results.Run` of experiment ``foo`` and yields :class:`ClaimResult` objects built with
   :func:`check` (pass/fail) or :func:`not_run`::

       from ntk_bench.claims.core import check, claim, not_run
       from ntk_bench.claims.papers import LEE2019
       from ntk_bench.claims.summary_keys import run_label

       @claim(
           id="foo.deviation_slope",            # <experiment>.<name>, unique
           paper=LEE2019,                       # or Paper("Authors", year, "title")
           statement="One sentence of what the paper says.",
           experiment="foo",                    # or a tuple of names; None = a theory check (no runs)
           conditions="which configs measure it (model, phase, depth, widths, ...)",
           expected="the value or bound, as a formula",
           tolerance="e.g. 2·stderr",
           justification="why that tolerance: finite depth/width, quadrature, round-off, fit noise",
       )
       def deviation_slope(runs):
           for run in runs:
               if run.config["model"]["name"] != "fcn":
                   continue                      # outside the claim's domain: skipped silently
               slope = run.summary.get("slope")
               if slope is None:                 # in the domain but not measured: say why
                   yield not_run(run_label(run), "summary has no 'slope'", runs=[run])
                   continue
               tol = 2 * run.summary["slope_stderr"]
               yield check(run_label(run), slope, -0.5, tol, "le", detail="fit over widths", runs=[run])

   ``check(subject, measured, expected, tolerance, mode)`` modes: ``rel`` |m − e| ≤ tol·|e|, ``abs``
   |m − e| ≤ tol, ``le`` m ≤ e + tol, ``ge`` m ≥ e − tol, ``factor`` |ln(m/e)| ≤ ln tol. NaN/inf fail.
3. Recompute expected values from ``run.config`` (e.g. ``ntk_bench.theory.mean_field_summary``), never
   from values the run stored about itself, so a run whose kernel disagrees with its config fails.
4. Yield nothing when no run applies: the registry then reports ``not-run`` with ``conditions``. An
   exception inside the function is reported as ``fail`` with the error.
5. Add a test to ``tests/claims/test_<module>.py``: one run that passes and one deliberately wrong run
   that fails.

When the experiment already stores the measured (and optionally the expected) value under summary keys,
:func:`ntk_bench.claims.summary_keys.summary_claim` registers the claim in one call (missing key →
``not-run``; a mapping of values → one result per entry); see ``lee2019.py`` for examples.

Trackers: :func:`tracker_payload` gives ``(columns, rows, pass_count)`` of the claims table and
:func:`tracker_summary` the pass/fail/not-run counts as ``claims/...`` scalars.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Sequence
from typing import Any

from ntk_bench.claims.core import (
    VERDICTS,
    Claim,
    ClaimResult,
    Paper,
    Verdict,
    check,
    claim,
    claim_verdicts,
    evaluate_claims,
    not_run,
    register,
    registered_claims,
    verdict_counts,
    within,
)

_LOADED = False


def load_claim_modules() -> list[str]:
    """Import every module of this package (each registers its claims); returns their names."""
    global _LOADED
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    from ntk_bench.plugins import import_plugin_modules

    names += [module.__name__ for module in import_plugin_modules("claims")]  # plugins' claims
    _LOADED = True
    return names


def all_claims() -> list[Claim]:
    """Every claim of every claim module."""
    if not _LOADED:
        load_claim_modules()
    return registered_claims()


CLAIMS_TABLE_COLUMNS = (
    "claim",
    "verdict",
    "paper",
    "subject",
    "measured",
    "expected",
    "tolerance",
    "mode",
    "detail",
)


def _number(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def claims_table(results: Sequence[ClaimResult]) -> tuple[list[str], list[list[Any]]]:
    """The claims table as ``(columns, rows)``, ready for a tracker table (e.g. ``wandb.Table``).

    One row per result; numbers stay numbers (NaN → None), everything else is a string.
    """
    papers = {c.id: str(c.paper) for c in all_claims()}
    rows = [
        [
            r.claim_id,
            r.verdict,
            papers.get(r.claim_id, ""),
            r.subject,
            _number(r.measured),
            _number(r.expected),
            _number(r.tolerance),
            r.mode,
            r.detail,
        ]
        for r in results
    ]
    return list(CLAIMS_TABLE_COLUMNS), rows


def tracker_summary(results: Sequence[ClaimResult]) -> dict[str, int]:
    """Scalars for a tracker summary: ``claims/pass``, ``claims/fail``, ``claims/not_run`` (results) and
    ``claims/claims_passed`` etc. (claims, where a claim passes when all its measurements pass)."""
    counts = verdict_counts(results)
    per_claim = verdict_counts(
        [ClaimResult(claim_id=k, verdict=v, subject="") for k, v in claim_verdicts(results).items()]
    )
    out = {f"claims/{k.replace('-', '_')}": v for k, v in counts.items()}
    out.update({f"claims/claims_{k.replace('-', '_')}": v for k, v in per_claim.items()})
    return out


def tracker_payload(results: Sequence[ClaimResult]) -> tuple[list[str], list[list[Any]], int]:
    """``(columns, rows, pass_count)``: the claims table and how many results passed."""
    columns, rows = claims_table(results)
    return columns, rows, verdict_counts(results)["pass"]


__all__ = [
    "CLAIMS_TABLE_COLUMNS",
    "VERDICTS",
    "Claim",
    "ClaimResult",
    "Paper",
    "Verdict",
    "all_claims",
    "check",
    "claim",
    "claim_verdicts",
    "claims_table",
    "evaluate_claims",
    "load_claim_modules",
    "not_run",
    "register",
    "registered_claims",
    "tracker_payload",
    "tracker_summary",
    "verdict_counts",
    "within",
]
