"""Empirical NTK of a finite network, Θ̂(x, x') = ∇_θ f(x) ∇_θ f(x')ᵀ, blocked over inputs.

Computed with ``neural_tangents.empirical_ntk_fn`` and one of its three implementations (Novak et al.
2022): ``jacobian_contraction``, ``ntk_vector_products``, ``structured_derivatives``. They agree to
round-off, but their cost differs by orders of magnitude with the architecture (structured derivatives was
~100× faster than the others on an FCN here; on a small CNN, vmapped Jacobian contraction was ~100× slower at
32 inputs per block than at 8). ``implementation="auto"`` therefore probes the actual model:

1. lower each implementation on a probe batch and read XLA's FLOP estimate (no compilation); drop those above
   ``prune_factor`` × the cheapest (FLOP estimates are rough on CPU, hence the generous factor);
2. time the rest on the probe batch (``probe_points`` inputs): compile, then best of ``probe_repeats``;
3. if the runner-up is within ``refine_ratio`` of the winner, time both on a full block and keep the faster.

The choice is cached per (parameter shapes, input shape), and reported in :attr:`EmpiricalNTK.probes`.

Inputs are processed in ``block_size × block_size`` blocks (the last one padded to full size so that one
compiled function serves every block); for ``x2=None`` only blocks on and above the diagonal are computed
and the rest is mirrored. Peak memory is therefore set by the block size, not by the number of inputs
(``benchmarks/bench_empirical_ntk.py`` measures it).

Outputs: with ``trace_axes=(-1,)`` (default) the kernel is averaged over the output axis (neural-tangents
divides the trace by its size), shape ``(n1, n2)``, directly comparable with the analytic per-output NTK; with
``trace_axes=()`` the full ``(n1, n2, k, k)`` kernel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import neural_tangents as nt
import numpy as np

from ntk_bench.errors import require, require_choice
from ntk_bench.kernels.tiling import padded, tiles

IMPLEMENTATIONS: dict[str, nt.NtkImplementation] = {
    "jacobian_contraction": nt.NtkImplementation.JACOBIAN_CONTRACTION,
    "ntk_vector_products": nt.NtkImplementation.NTK_VECTOR_PRODUCTS,
    "structured_derivatives": nt.NtkImplementation.STRUCTURED_DERIVATIVES,
}
CHOICES: tuple[str, ...] = (*IMPLEMENTATIONS, "auto")
DEFAULT_BLOCK_SIZE = 64


@dataclass
class ProbeReport:
    """What the ``auto`` probe measured: FLOP estimates, probe-batch and full-block times (s), the choice."""

    chosen: str
    flops: dict[str, float] = field(default_factory=dict)
    probe_times: dict[str, float] = field(default_factory=dict)
    block_times: dict[str, float] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "flops": dict(self.flops),
            "probe_times": dict(self.probe_times),
            "block_times": dict(self.block_times),
            "pruned": list(self.pruned),
            "failed": dict(self.failed),
            "seconds": self.seconds,
        }


def _mirror(block: np.ndarray) -> np.ndarray:
    """Θ(x2, x1) from Θ(x1, x2): swap the two members of every (axis, axis') pair."""
    perm = [i ^ 1 for i in range(block.ndim)]
    return np.transpose(block, perm)


def best_call_time(thunk: Callable[[], Any], repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``thunk`` (at least one), after an untimed first call that
    compiles; every call is blocked on (``jax.block_until_ready``). The timing of every ``auto`` probe."""
    jax.block_until_ready(thunk())  # compile
    best = np.inf
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        jax.block_until_ready(thunk())
        best = min(best, time.perf_counter() - t0)
    return float(best)


def _shape_key(params: Any, x: np.ndarray) -> tuple:
    leaves = tuple(tuple(np.shape(leaf)) for leaf in jax.tree_util.tree_leaves(params))
    return (leaves, tuple(x.shape[1:]))


class EmpiricalNTK:
    """Blocked empirical NTK of ``apply_fn(params, x)`` with a selectable implementation.

    Args:
        apply_fn: ``f(params, x) -> (N, ...)`` outputs.
        implementation: one of :data:`CHOICES`.
        block_size: rows and columns per block (bounds peak memory).
        trace_axes: output axes averaged over (neural-tangents ``trace_axes``); ``()`` keeps them.
        vmap_axes: neural-tangents ``vmap_axes``: ``0`` if outputs for example i depend only on input i
            (true for all ntk-bench models: no batch norm), ``None`` otherwise.
        probe_points, probe_repeats, prune_factor, refine_ratio: the ``auto`` probe (module docstring).
    """

    def __init__(
        self,
        apply_fn: Callable[[Any, Any], Any],
        *,
        implementation: str = "auto",
        block_size: int = DEFAULT_BLOCK_SIZE,
        trace_axes: Sequence[int] = (-1,),
        vmap_axes: int | None = 0,
        probe_points: int = 8,
        probe_repeats: int = 2,
        prune_factor: float = 4.0,
        refine_ratio: float = 1.5,
    ):
        require_choice("empirical NTK implementation", implementation, CHOICES)
        require(
            isinstance(block_size, int) and block_size >= 1,
            f"empirical NTK block_size={block_size!r} must be an integer >= 1",
        )
        self.apply_fn = apply_fn
        self.implementation = implementation
        self.block_size = block_size
        self.trace_axes = tuple(trace_axes)
        self.vmap_axes = vmap_axes
        self.probe_points = probe_points
        self.probe_repeats = probe_repeats
        self.prune_factor = prune_factor
        self.refine_ratio = refine_ratio
        self._jitted: dict[str, Callable] = {}
        self._choice: dict[tuple, str] = {}
        self.probes: list[ProbeReport] = []

    def kernel_fn(self, implementation: str) -> Callable:
        """The jitted ``ntk_fn(x1, x2, params)`` of one implementation (one block, no blocking)."""
        if implementation not in self._jitted:
            fn = nt.empirical_ntk_fn(
                self.apply_fn,
                trace_axes=self.trace_axes,
                vmap_axes=self.vmap_axes,
                implementation=IMPLEMENTATIONS[implementation],
            )
            self._jitted[implementation] = jax.jit(fn)
        return self._jitted[implementation]

    def resolve(self, params: Any, x: np.ndarray) -> str:
        """The implementation used for ``params`` and inputs like ``x`` (runs the probe once for ``auto``)."""
        if self.implementation != "auto":
            return self.implementation
        key = _shape_key(params, x)
        if key not in self._choice:
            report = self.probe(params, x)
            self.probes.append(report)
            self._choice[key] = report.chosen
        return self._choice[key]

    def probe(self, params: Any, x: np.ndarray) -> ProbeReport:
        """Time the implementations on the actual model (see the module docstring); returns the report."""
        start = time.perf_counter()
        x = np.asarray(x, dtype=np.float64)
        block = min(self.block_size, len(x))
        small = padded(x[: min(self.probe_points, block)], min(self.probe_points, block))
        report = ProbeReport(chosen="")
        for name in IMPLEMENTATIONS:
            try:
                cost = self.kernel_fn(name).lower(small, None, params).cost_analysis()
                flops = float((cost or {}).get("flops", np.nan)) if isinstance(cost, dict) else np.nan
                report.flops[name] = flops
            except Exception as err:  # an implementation that cannot trace this model is skipped
                report.failed[name] = f"{type(err).__name__}: {err}"[:200]
        finite = [f for f in report.flops.values() if np.isfinite(f) and f > 0]
        floor = min(finite) if finite else np.nan
        candidates = []
        for name, flops in report.flops.items():
            if np.isfinite(floor) and np.isfinite(flops) and flops > self.prune_factor * floor:
                report.pruned.append(name)
            else:
                candidates.append(name)
        for name in candidates:
            try:
                report.probe_times[name] = self._time(name, small, params, self.probe_repeats)
            except Exception as err:
                report.failed[name] = f"{type(err).__name__}: {err}"[:200]
        require(report.probe_times, f"no empirical NTK implementation works for this model: {report.failed}")
        ranked = sorted(report.probe_times, key=report.probe_times.get)
        chosen = ranked[0]
        close = [
            n for n in ranked[1:] if report.probe_times[n] <= self.refine_ratio * report.probe_times[chosen]
        ]
        if close and block > len(small):
            full = padded(x[:block], block)
            for name in [chosen, *close]:
                report.block_times[name] = self._time(name, full, params, 1)
            chosen = min(report.block_times, key=report.block_times.get)
        report.chosen = chosen
        report.seconds = time.perf_counter() - start
        return report

    def _time(self, name: str, x: np.ndarray, params: Any, repeats: int) -> float:
        fn = self.kernel_fn(name)
        return best_call_time(lambda: fn(x, None, params), repeats)

    def __call__(self, params: Any, x1: Any, x2: Any | None = None) -> np.ndarray:
        """Θ̂(x1, x2) (``x2=None``: x1 with itself) as a float64 numpy array, computed block by block."""
        x1 = np.asarray(x1, dtype=np.float64)
        symmetric = x2 is None
        x2 = x1 if symmetric else np.asarray(x2, dtype=np.float64)
        fn = self.kernel_fn(self.resolve(params, x1))
        n1, n2 = len(x1), len(x2)
        b1, b2 = min(self.block_size, n1), min(self.block_size, n2)
        out: np.ndarray | None = None
        for tile in tiles(n1, n2, b1, b2, symmetric):
            rows, cols, (h, w) = tile.rows, tile.cols, tile.shape
            a = padded(x1[rows], b1)
            block = np.asarray(fn(a, None if tile.diagonal else padded(x2[cols], b2), params))
            if out is None:
                out = np.empty((n1, n2, *block.shape[2:]), dtype=np.float64)
            out[rows, cols] = block[:h, :w]
            if tile.mirror:
                out[cols, rows] = _mirror(out[rows, cols])
        assert out is not None
        return out
