"""A stored spectrum run seen through its config: model, φ, σ's, m, depths, and mean-field theory
recomputed from the config (never the ``summary.theory`` the run wrote), plus each regime's domain."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ntk_bench.results import Run

EXPERIMENT = "spectrum"
# Activations whose derivative is continuous: the correlation map is smooth at c = 1, so the ordered-phase
# bulk vanishes like l·χ_1^l. ReLU's kink makes χ_c − χ_1 ∝ √(1 − c), so its bulk decays like χ_1^{l/2}
# (measured: fitted rate 0.54·(−ln χ_1) for relu σ_w² = 1.5, σ_b² = 0.05): not the claim's regime.
SMOOTH_ACTIVATIONS = frozenset({"erf", "tanh", "gelu", "sin"})


@lru_cache(maxsize=256)
def _theory(activation: str, sigma_w2: float, sigma_b2: float) -> Any:
    from ntk_bench.theory import mean_field_summary  # imports jax/neural-tangents: only when needed

    return mean_field_summary(activation, sigma_w2, sigma_b2)


@dataclass(frozen=True)
class SpectrumRun:
    """A spectrum run with its config unpacked and mean-field theory recomputed from that config."""

    run: Run
    model: str
    activation: str
    sigma_w2: float
    sigma_b2: float
    padding: str
    m: int
    depths: np.ndarray
    theory: Any

    def get(self, name: str) -> np.ndarray | None:
        values = self.run.series.get(f"ntk/{name}")
        return None if values is None else np.asarray(values, dtype=np.float64)

    @property
    def L(self) -> int:  # noqa: N802  (the paper's symbol)
        return int(self.depths[-1])

    @property
    def q_star(self) -> float:
        return float(self.theory.q_star)

    @property
    def chi_1(self) -> float:
        return float(self.theory.chi_1)

    @property
    def phase(self) -> str:
        return str(self.theory.phase)

    @property
    def label(self) -> str:
        return (
            f"{self.model} {self.activation} σ_w²={self.sigma_w2:.6g} σ_b²={self.sigma_b2:g} "
            f"m={self.m} L={self.L} ({self.phase}, χ_1={self.chi_1:.6g})"
        )

    def pair_key(self) -> str:
        """Runs with equal keys differ only in the architecture (data, φ, σ's, m)."""
        data = {k: v for k, v in self.run.config.get("data", {}).items() if k != "cache_dir"}
        key = [data, self.activation, self.sigma_w2, self.sigma_b2, self.m]
        return json.dumps(key, sort_keys=True, default=str)


def spectrum_runs(runs: Sequence[Run]) -> Iterator[SpectrumRun]:
    """The NTK spectrum runs among ``runs`` whose config names a known activation and numeric σ's."""
    for run in runs:
        model_cfg = run.config.get("model") or {}
        try:
            activation = str(model_cfg["activation"])
            w2, b2 = float(model_cfg["sigma_w2"]), float(model_cfg["sigma_b2"])
            m = int(run.summary["n_train"])
            depths = np.asarray(run.series["depth"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            continue
        if "ntk/lambda_max" not in run.series or len(depths) == 0:
            continue
        try:
            theory = _theory(activation, w2, b2)
        except ValueError:  # ConfigError: unknown activation or invalid σ's: nothing to compare with
            continue
        yield SpectrumRun(
            run=run,
            model=str(model_cfg.get("name", "")),
            activation=activation,
            sigma_w2=w2,
            sigma_b2=b2,
            padding=str(model_cfg.get("padding", "CIRCULAR")).upper(),
            m=m,
            depths=depths,
            theory=theory,
        )


def finite_theory(v: SpectrumRun) -> bool:
    return 0.0 < v.q_star < math.inf and math.isfinite(v.chi_1)


def ordered_domain(v: SpectrumRun) -> bool:
    return (
        v.phase == "ordered"
        and v.activation in SMOOTH_ACTIVATIONS
        and finite_theory(v)
        and math.isfinite(float(v.theory.p_star))
    )


def chaotic_domain(v: SpectrumRun) -> bool:
    return v.phase == "chaotic" and finite_theory(v) and math.isfinite(float(v.theory.chi_c_star))


def critical_conditions(v: SpectrumRun) -> str | None:
    """None when ``v`` measures the critical-phase claims, else why not (None-ish: out of domain → '')."""
    if v.model not in ("fcn", "cnn_flatten") or v.activation != "erf" or v.sigma_b2 <= 0:
        return ""
    if not 0 < v.q_star < math.inf or abs(v.chi_1 - 1.0) * v.L > 0.01:
        return ""
    if v.L < 20 or len(v.depths) < 5:
        return f"too shallow for the critical asymptotics: L = {v.L} < 20"
    return None
