"""Claims that read values an experiment stores under documented ``results.json`` summary keys.

Keys are dotted paths into ``run.summary`` (``"claims.deviation_slopes"`` reads
``summary["claims"]["deviation_slopes"]``). Experiments are expected to put claim-facing numbers under
``summary["claims"]``. A missing key makes the claim ``not-run`` for that run (the experiment does not
measure it yet), never a pass. A mapping value (e.g. one slope per layer) gives one result per entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ntk_bench.claims.core import ClaimResult, Mode, Paper, check, claim, not_run
from ntk_bench.results import Run

_MISSING = object()


def summary_value(run: Run, key: str) -> Any:
    """``run.summary`` at the dotted path ``key``; a private sentinel when absent."""
    node: Any = run.summary
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def run_label(run: Run) -> str:
    """A short description of a run for the claims table: experiment and model name/activation if any
    (an activation pinned by the experiment group, as hanin_nica_fluctuations pins relu, wins)."""
    model = run.config.get("model") or {}
    activation = (run.config.get("experiment") or {}).get("activation") or model.get("activation", "")
    parts = [run.experiment, str(model.get("name", "")), str(activation)]
    return " ".join(p for p in parts if p)


def summary_claim(
    *,
    id: str,
    paper: Paper,
    statement: str,
    experiment: str | tuple[str, ...],
    measured_key: str,
    expected: float | None = None,
    expected_key: str | None = None,
    expected_fn: Callable[[Run], Any] | None = None,
    tolerance: float,
    stderr_key: str | None = None,
    stderr_factor: float = 2.0,
    mode: Mode = "rel",
    conditions: str,
    expected_text: str,
    tolerance_text: str,
    justification: str,
    applies: Callable[[Run], bool] = lambda run: True,
) -> None:
    """Register a claim comparing ``summary[measured_key]`` with ``expected``, or with ``expected_fn(run)``
    (an expected value recomputed from the run's config and measurements; None when it cannot be: not-run),
    or (discouraged: the run's own word) ``summary[expected_key]``.

    The tolerance is ``tolerance + stderr_factor·summary[stderr_key]`` when ``stderr_key`` is given (a fitted
    slope's standard error); a mapping at ``measured_key`` (and at ``stderr_key``) is checked entry by entry.
    """
    if sum(x is not None for x in (expected, expected_key, expected_fn)) != 1:
        raise ValueError("give exactly one of expected, expected_key, expected_fn")

    def evaluate(runs: Sequence[Run]) -> Iterator[ClaimResult]:
        for run in runs:
            if not applies(run):
                continue
            label = run_label(run)
            measured = summary_value(run, measured_key)
            if measured is _MISSING:
                yield not_run(
                    label, f"summary has no '{measured_key}' (not recorded by this run)", runs=[run]
                )
                continue
            target: Any = expected if expected_fn is None else expected_fn(run)
            if target is None:
                yield not_run(label, "the expected value cannot be recomputed from this run", runs=[run])
                continue
            if expected_key is not None:
                target = summary_value(run, expected_key)
                if target is _MISSING:
                    yield not_run(label, f"summary has no '{expected_key}'", runs=[run])
                    continue
            stderr: Any = 0.0
            if stderr_key is not None:
                stderr = summary_value(run, stderr_key)
                if stderr is _MISSING:
                    yield not_run(label, f"summary has no '{stderr_key}'", runs=[run])
                    continue
            entries = measured.items() if isinstance(measured, Mapping) else [("", measured)]
            for name, value in entries:
                err = stderr.get(name) if isinstance(stderr, Mapping) else stderr
                goal = target.get(name) if isinstance(target, Mapping) else target
                err_f, goal_f, value_f = _as_float(err), _as_float(goal), _as_float(value)
                subject = f"{label} {name}".strip()
                if value_f is None or goal_f is None or err_f is None:
                    yield check(
                        subject,
                        math.nan,
                        goal_f,
                        tolerance,
                        mode,
                        detail=f"non-numeric value in summary: {measured_key}={value!r}",
                        runs=[run],
                    )
                    continue
                tol = tolerance + stderr_factor * err_f
                detail = f"{measured_key}" + (
                    f" ± {stderr_factor:g}·{err_f:.3g} (stderr)" if stderr_key else ""
                )
                yield check(subject, value_f, goal_f, tol, mode, detail=detail, runs=[run])

    evaluate.__module__ = _caller_module()
    claim(
        id=id,
        paper=paper,
        statement=statement,
        experiment=experiment,
        conditions=conditions,
        expected=expected_text,
        tolerance=tolerance_text,
        justification=justification,
    )(evaluate)


def _caller_module() -> str:
    import inspect

    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None  # summary_claim's caller
    return str(caller.f_globals.get("__name__", "")) if caller else ""
