"""BLAS thread limits, safe to take from several threads at once.

OpenBLAS's worker threads spin while they wait. On a 2-core machine that is already busy (other jobs, or our
own column threads) a multi-threaded LAPACK call stalls: a 256×256 ``scipy.linalg.eigh`` took 20-48 s with
two OpenBLAS threads under load here against 0.5 s for 30 of them single-threaded (measured 2026-12-01).
:func:`single_threaded_blas` limits every loaded BLAS (numpy's and SciPy's OpenBLAS) to one thread while any
caller is inside it, and restores the original limits when the last one leaves; plain
``threadpoolctl.threadpool_limits`` blocks would race when nested from several threads (the first to leave
restores the limits while the others are still inside).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS before the controller looks for libraries)
from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_state: dict[str, Any] = {"depth": 0, "limiter": None}


@functools.cache
def _controller() -> ThreadpoolController:
    """One controller per process (creating one scans the loaded libraries: ~1 ms, more than a 64×64 eigh)."""
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one BLAS thread (re-entrant and thread-safe; JAX/XLA threads are unaffected)."""
    with _lock:
        if _state["depth"] == 0:
            _state["limiter"] = _controller().limit(limits=1, user_api="blas")
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _state["limiter"].restore_original_limits()
                _state["limiter"] = None
