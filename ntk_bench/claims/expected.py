"""Declared expected failures: claims known to fail by measurement, each with its measured reason.

A suite's reference directory may hold ``expected_failures.yaml`` (``reports/baselines/nightly/``; kept when
the baseline is refreshed, like ``tolerances.yaml``)::

    - claim: hanin_nica.exact_log_ratio        # a claim id
      subject: "*width 16 depth 2 (β=0.125)"   # fnmatch on the result's subject
      detail: "*"                              # optional: fnmatch on its detail
      reason: "a sampling outlier at the nightly seed: ..."

A matching ``fail`` becomes ``xfail`` (shown apart, not failing the report); a matching ``pass`` becomes
``xpass``, "unexpectedly passing", which fails the report like a failure (strict, as pytest's
``xfail(strict=True)``): a declared failure that no longer happens is news, and its declaration must go. A
declaration that matches no result is listed in the report's notes.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ntk_bench.claims.core import ClaimResult
from ntk_bench.errors import ConfigError

EXPECTED_FAILURES_FILE = "expected_failures.yaml"
_KEYS = {"claim", "subject", "detail", "reason"}


@dataclass(frozen=True)
class ExpectedFailure:
    claim: str
    subject: str
    reason: str
    detail: str = "*"

    def matches(self, result: ClaimResult) -> bool:
        return (
            result.claim_id == self.claim
            and fnmatch.fnmatchcase(result.subject, self.subject)
            and fnmatch.fnmatchcase(result.detail, self.detail)
        )


def load_expected_failures(*files: Path | None) -> list[ExpectedFailure]:
    """The declarations of every existing file, in order (a missing file declares nothing)."""
    out: list[ExpectedFailure] = []
    for file in files:
        if file is None or not Path(file).exists():
            continue
        try:
            doc = yaml.safe_load(Path(file).read_text()) or []
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(
                f"{file} is not a readable expected-failures file: {str(err).splitlines()[0]}"
            ) from err
        if not isinstance(doc, list):
            raise ConfigError(f"{file}: expected a list of {{claim, subject, reason[, detail]}}")
        for i, entry in enumerate(doc):
            if (
                not isinstance(entry, dict)
                or set(entry) - _KEYS
                or not {"claim", "subject", "reason"} <= set(entry)
            ):
                raise ConfigError(
                    f"{file}: entry {i} must have claim, subject, reason (and optionally detail)"
                )
            if not str(entry["reason"]).strip():
                raise ConfigError(f"{file}: entry {i} ({entry['claim']}) needs its measured reason")
            out.append(ExpectedFailure(**{k: str(v) for k, v in entry.items()}))
    return out


def apply_expected_failures(
    results: Sequence[ClaimResult], expected: Sequence[ExpectedFailure]
) -> tuple[list[ClaimResult], list[ExpectedFailure]]:
    """(results with matching fails → ``xfail`` and passes → ``xpass``, declarations that matched nothing)."""
    used: set[int] = set()
    out: list[ClaimResult] = []
    for r in results:
        hit = next((i for i, e in enumerate(expected) if e.matches(r)), None)
        if hit is None or r.verdict not in ("pass", "fail"):
            out.append(r)
            continue
        used.add(hit)
        reason = expected[hit].reason
        if r.verdict == "fail":
            out.append(replace(r, verdict="xfail", detail=f"{r.detail} — expected failure: {reason}"))
        else:
            out.append(
                replace(
                    r,
                    verdict="xpass",
                    detail=f"{r.detail} — unexpectedly passing (declared "
                    f"expected failure: {reason}); remove the declaration",
                )
            )
    return out, [e for i, e in enumerate(expected) if i not in used]
