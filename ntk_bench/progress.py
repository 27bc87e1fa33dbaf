"""Progress lines for long loops: a live counter on a terminal, sparse plain lines in logs/CI."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
LOG_INTERVAL_S = 10.0  # non-interactive: at most one line per 10 s, plus the final line


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield ``items`` while reporting ``label i/total`` on stderr (quiet with NTK_BENCH_QUIET=1)."""
    quiet = os.environ.get("NTK_BENCH_QUIET") == "1"
    interactive = sys.stderr.isatty()
    start = last = time.monotonic()
    for i, item in enumerate(items, 1):
        yield item
        now = time.monotonic()
        if quiet:
            continue
        if interactive:
            sys.stderr.write(f"\r{label} {i}/{total} ({now - start:.1f}s)")
            if i == total:
                sys.stderr.write("\n")
        elif now - last >= LOG_INTERVAL_S or i == total:
            sys.stderr.write(f"{label} {i}/{total} ({now - start:.1f}s)\n")
            last = now
        sys.stderr.flush()
