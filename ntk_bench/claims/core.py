"""The claims registry: theory claims as regression tests over stored runs.

A :class:`Claim` is a statement from a paper, the experiment (and config conditions) that measures it, what
value or bound to expect, and the tolerance with its justification. Its ``evaluate`` function takes every
loaded run of its experiment (:class:`ntk_bench.results.Run`) and returns one :class:`ClaimResult` per
measurement: ``pass`` / ``fail`` with the measured and expected values, or ``not-run`` with the reason.

Rules that make a verdict trustworthy:

* a claim passes only on a measurement made from runs in the directory being reported: theory values are
  recomputed from each run's *config* (never copied from what the run wrote about itself), so a kernel
  computed with other hyper-parameters than the config records fails the claim;
* a claim with no applicable run is ``not-run`` with the reason (never a silent pass);
* a non-finite measurement, or an error inside the claim function, is a ``fail``.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ntk_bench.results import Run

Verdict = Literal["pass", "fail", "not-run", "xfail", "xpass"]
# What a claim function returns. ``xfail`` / ``xpass`` are given afterwards, by a declared expected failure
# (ntk_bench.claims.expected): a failure known by measurement, or one such declaration that now passes.
CLAIM_VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "not-run")
VERDICTS: tuple[Verdict, ...] = ("pass", "fail", "not-run", "xfail", "xpass")
FAILING_VERDICTS: tuple[Verdict, ...] = ("fail", "xpass")  # what makes a report fail (strict, like pytest)
# How ``measured`` is compared with ``expected``:
#   rel    |measured − expected| ≤ tolerance·|expected|
#   abs    |measured − expected| ≤ tolerance
#   le     measured ≤ expected + tolerance          (expected is an upper bound)
#   ge     measured ≥ expected − tolerance          (expected is a lower bound)
#   factor |ln(measured/expected)| ≤ ln(tolerance)  (agreement within a factor; both > 0)
Mode = Literal["rel", "abs", "le", "ge", "factor"]
MODES: tuple[str, ...] = ("rel", "abs", "le", "ge", "factor")


@dataclass(frozen=True)
class Paper:
    """A cited paper: ``Paper("Xiao, Pennington & Schoenholz", 2020, "Disentangling …")``."""

    authors: str
    year: int
    title: str = ""

    def __str__(self) -> str:
        return f"{self.authors} ({self.year})"


@dataclass(frozen=True)
class ClaimResult:
    """One measurement of a claim (one run, a pair of runs, or one theory check).

    ``claim_id`` is filled in by :func:`evaluate_claims`; claim functions build results with
    :func:`check` / :func:`not_run` and leave it empty.
    """

    claim_id: str
    verdict: Verdict
    subject: str
    measured: float | None = None
    expected: float | None = None
    tolerance: float | None = None
    mode: str = ""
    detail: str = ""
    runs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "verdict": self.verdict,
            "subject": self.subject,
            "measured": self.measured,
            "expected": self.expected,
            "tolerance": self.tolerance,
            "mode": self.mode,
            "detail": self.detail,
            "runs": list(self.runs),
        }


ClaimFunction = Callable[[Sequence[Run]], Iterable[ClaimResult]]


@dataclass(frozen=True)
class Claim:
    """A registered claim. ``experiment`` is the ``results.json`` experiment name (or a tuple of names) whose
    runs it reads, or ``None`` for a pure theory check (evaluated on every report, from the library's own
    functions)."""

    id: str
    paper: Paper
    statement: str
    experiment: str | tuple[str, ...] | None
    conditions: str
    expected: str
    tolerance: str
    justification: str
    evaluate: ClaimFunction = field(repr=False, compare=False)
    module: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "paper": {"authors": self.paper.authors, "year": self.paper.year, "title": self.paper.title},
            "statement": self.statement,
            "experiment": self.experiment,
            "conditions": self.conditions,
            "expected": self.expected,
            "tolerance": self.tolerance,
            "justification": self.justification,
            "module": self.module,
        }


_REGISTRY: dict[str, Claim] = {}


def register(claim_obj: Claim) -> Claim:
    """Add ``claim_obj`` to the registry; a second claim with the same id is a programming error."""
    existing = _REGISTRY.get(claim_obj.id)
    if existing is not None and existing.module != claim_obj.module:
        raise ValueError(
            f"claim id {claim_obj.id!r} registered twice ({existing.module}, {claim_obj.module})"
        )
    _REGISTRY[claim_obj.id] = claim_obj
    return claim_obj


def claim(
    *,
    id: str,
    paper: Paper,
    statement: str,
    experiment: str | tuple[str, ...] | None,
    conditions: str,
    expected: str,
    tolerance: str,
    justification: str,
) -> Callable[[ClaimFunction], ClaimFunction]:
    """Decorator registering ``fn(runs) -> Iterable[ClaimResult]`` as a claim (see the package doc)."""

    def decorate(fn: ClaimFunction) -> ClaimFunction:
        register(
            Claim(
                id=id,
                paper=paper,
                statement=statement,
                experiment=experiment,
                conditions=conditions,
                expected=expected,
                tolerance=tolerance,
                justification=justification,
                evaluate=fn,
                module=fn.__module__,
            )
        )
        return fn

    return decorate


def registered_claims() -> list[Claim]:
    """Every registered claim, in registration order (claim modules must be imported first)."""
    return list(_REGISTRY.values())


# --------------------------------------------------------------------------------------------- results


def _finite(x: float | None) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def within(measured: float | None, expected: float | None, tolerance: float, mode: Mode) -> bool:
    """Whether ``measured`` meets ``expected`` under ``mode`` (see ``Mode``); non-finite never does."""
    if mode not in MODES:
        raise ValueError(f"unknown comparison mode {mode!r}; allowed: {', '.join(MODES)}")
    if not (_finite(measured) and _finite(expected) and _finite(tolerance)):
        return False
    assert measured is not None and expected is not None
    if mode == "rel":
        return abs(measured - expected) <= tolerance * abs(expected)
    if mode == "abs":
        return abs(measured - expected) <= tolerance
    if mode == "le":
        return measured <= expected + tolerance
    if mode == "ge":
        return measured >= expected - tolerance
    if measured <= 0 or expected <= 0 or tolerance < 1:
        return False
    return abs(math.log(measured / expected)) <= math.log(tolerance)


def check(
    subject: str,
    measured: float | None,
    expected: float | None,
    tolerance: float,
    mode: Mode = "rel",
    *,
    detail: str = "",
    runs: Sequence[Run | Path | str] = (),
    extra_ok: bool = True,
) -> ClaimResult:
    """A pass/fail result: pass iff :func:`within` holds (and ``extra_ok``, for a second condition the
    claim checks itself and explains in ``detail``)."""
    ok = within(measured, expected, tolerance, mode) and extra_ok
    return ClaimResult(
        claim_id="",
        verdict="pass" if ok else "fail",
        subject=subject,
        measured=None if measured is None else float(measured),
        expected=None if expected is None else float(expected),
        tolerance=float(tolerance),
        mode=mode,
        detail=detail,
        runs=_run_paths(runs),
    )


def check_measured(
    subject: str,
    measurement: tuple[float, str] | str,
    expected: float | None,
    tolerance: float,
    mode: Mode = "rel",
    *,
    runs: Sequence[Run | Path | str] = (),
    note: str = "",
) -> ClaimResult:
    """:func:`check` of a ``(value, detail)`` measurement, or :func:`not_run` when the measurement is a
    string: the reason it could not be made (estimators return one or the other). ``note`` is appended to
    the detail."""
    if isinstance(measurement, str):
        return not_run(subject, measurement, runs=runs)
    value, detail = measurement
    return check(subject, value, expected, tolerance, mode, detail=detail + note, runs=runs)


def not_run(subject: str, reason: str, *, runs: Sequence[Run | Path | str] = ()) -> ClaimResult:
    """A ``not-run`` result: the claim could not be measured here, and why."""
    return ClaimResult(claim_id="", verdict="not-run", subject=subject, detail=reason, runs=_run_paths(runs))


def _run_paths(runs: Sequence[Run | Path | str]) -> tuple[str, ...]:
    return tuple(str(r.path if isinstance(r, Run) else r) for r in runs)


# ------------------------------------------------------------------------------------------ evaluation


def claim_experiments(claim_obj: Claim) -> tuple[str, ...]:
    """The experiment names whose runs ``claim_obj`` reads (empty for a theory check)."""
    if claim_obj.experiment is None:
        return ()
    if isinstance(claim_obj.experiment, str):
        return (claim_obj.experiment,)
    return tuple(claim_obj.experiment)


def evaluate_claim(claim_obj: Claim, runs: Sequence[Run], *, missing_note: str = "") -> list[ClaimResult]:
    """Evaluate one claim on the runs of its experiment (``runs`` may hold other experiments too)."""
    names = claim_experiments(claim_obj)
    mine = [r for r in runs if r.experiment in names]
    if names and not mine:
        reason = f"no {' / '.join(repr(n) for n in names)} runs in this directory"
        return [replace(not_run("-", reason + missing_note), claim_id=claim_obj.id)]
    try:
        results = list(claim_obj.evaluate(mine))
    except Exception as err:  # a claim that cannot be evaluated must not pass
        last = traceback.extract_tb(err.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        return [
            ClaimResult(
                claim_id=claim_obj.id,
                verdict="fail",
                subject="-",
                detail=f"error evaluating the claim ({where}): {type(err).__name__}: {err}",
            )
        ]
    if not results:
        reason = f"no run satisfies the conditions: {claim_obj.conditions}"
        return [replace(not_run("-", reason + missing_note), claim_id=claim_obj.id)]
    for r in results:
        if r.verdict not in CLAIM_VERDICTS:
            raise ValueError(f"claim {claim_obj.id} returned verdict {r.verdict!r}")
    return [replace(r, claim_id=claim_obj.id) for r in results]


def evaluate_claims(
    runs: Sequence[Run], claims: Sequence[Claim] | None = None, *, missing_cells: int = 0
) -> list[ClaimResult]:
    """Evaluate ``claims`` (default: every registered claim) on ``runs``, in registry order.

    ``missing_cells`` (from an incomplete multirun) is mentioned in every not-run reason, since the missing
    jobs may be the ones the claim needed.
    """
    if claims is None:
        from ntk_bench.claims import load_claim_modules

        load_claim_modules()
        claims = registered_claims()
    note = f" ({missing_cells} sweep cell(s) missing from this multirun)" if missing_cells else ""
    results: list[ClaimResult] = []
    for claim_obj in claims:
        results.extend(evaluate_claim(claim_obj, runs, missing_note=note))
    return results


def verdict_counts(results: Sequence[ClaimResult]) -> dict[str, int]:
    """``{"pass": n, "fail": n, "not-run": n}`` over the results."""
    counts = dict.fromkeys(VERDICTS, 0)
    for r in results:
        counts[r.verdict] += 1
    return counts


# A claim's verdict is its most severe result's: fail, then xpass (a declared failure passing), then xfail
# (known failures and passes elsewhere: shown apart), then pass, then not-run.
_SEVERITY: dict[str, int] = {"not-run": 0, "pass": 1, "xfail": 2, "xpass": 3, "fail": 4}


def claim_verdicts(results: Sequence[ClaimResult]) -> dict[str, Verdict]:
    """One verdict per claim: the most severe of its results (fail > xpass > xfail > pass > not-run)."""
    out: dict[str, Verdict] = {}
    for r in results:
        previous = out.get(r.claim_id)
        if previous is None or _SEVERITY[r.verdict] > _SEVERITY[previous]:
            out[r.claim_id] = r.verdict
    return out
