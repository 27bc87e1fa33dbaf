"""Baselines: compare every tracked metric of a run directory with a stored reference, and refresh it.

Tracked metrics are every ``series`` entry (compared element by element) and every numeric ``summary`` value
(nested dicts flattened with dots; lists compared element by element) of every run. Runs are matched to
reference runs by experiment and config (``tracker`` and ``*.cache_dir`` ignored), so a rerun of the same
sweep matches whatever its job numbers.

A value passes when ``|current − reference| ≤ max(rtol·|reference|, atol, atol_scale·scale)`` where
``scale`` is the largest finite |reference| of that series (a scalar's own |reference|): relative for
positive quantities, absolute near zero (a series that crosses zero, or an eigenvalue at round-off level,
is judged against the series' scale). Relative deviations and errors (``*_rel``, ``*rel_err``,
``*rel_error``) are dimensionless with scale 1, so they also get an absolute floor at round-off level
(``ROUNDOFF_REL`` = 4096 ε). NaN matches NaN and ±inf matches the same inf.

Tolerances, first matching pattern wins (``fnmatch`` on ``series:NAME`` / ``summary:DOTTED.KEY``); defaults
in ``DEFAULT_RULES``, overridden by ``tolerances.yaml`` in the reference directory, then by ``--tolerances``::

    default: {rtol: 1.0e-6, atol: 0.0, atol_scale: 1.0e-9}
    metrics:
      "series:*/lambda_min": {rtol: 1.0e-4}
    ignore: ["summary:*timing_s*"]

The reference is written only by :func:`update_baseline` (``ntk-bench-report PATH --update-baseline DIR``).
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from ntk_bench.claims.expected import EXPECTED_FAILURES_FILE
from ntk_bench.errors import ConfigError
from ntk_bench.results import Run, atomic_write_bytes, load_runs
from ntk_bench.results.store import RESULTS_FILE

TOLERANCES_FILE = "tolerances.yaml"
KEPT_FILES = (TOLERANCES_FILE, EXPECTED_FAILURES_FILE)
MANIFEST_FILE = "BASELINE.json"


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 0.0
    atol_scale: float = 1e-9

    def describe(self) -> str:
        parts = [f"rtol {self.rtol:g}"]
        if self.atol:
            parts.append(f"atol {self.atol:g}")
        if self.atol_scale:
            parts.append(f"atol {self.atol_scale:g}·scale")
        return ", ".join(parts)


# Round-off floor of a relative deviation or relative error. Such a metric is dimensionless, in units of
# the quantity it is relative to, so its scale is 1 and its round-off is a multiple of float64's
# ε = 2**-52 ≈ 2.2e-16. Where it compares two computations that agree in exact arithmetic its value *is*
# round-off: lee2019's ``dev_lin_owngd_{train,test}_rel`` (the linearized network trained by its own GD vs
# the closed form) measure 3-6e-15 ≈ 14-27 ε and move by ~1e-16 from run to run, which rtol·|value|
# (~1e-21) and atol_scale·scale cannot absorb. The floor is 4096 ε = 2**-40 ≈ 9.1e-13: error growing
# linearly over the ~10³ dependent roundings of a run (60 steps × a few layers of width ≤ 512) stays below
# it, and real relative deviations (≥ 1e-3 here) are unaffected (rtol and atol_scale dominate them).
ROUNDOFF_REL = 2.0**-40
_ROUNDOFF_REL_TOL = Tolerance(atol=ROUNDOFF_REL)

# Same machine and stack: results are deterministic to round-off, so 1e-6 relative catches any real change.
# Quantities dominated by round-off when a kernel is nearly singular (λ_min ~ 1e-8·λ_max deep in the ordered
# phase, and the ratios and solves built on it) get 1e-4.
DEFAULT_RULES: tuple[tuple[str, Tolerance], ...] = (
    ("series:*/lambda_min", Tolerance(rtol=1e-4)),
    ("series:*/kappa_min", Tolerance(rtol=1e-4)),
    ("series:*/mean_predictor_*", Tolerance(rtol=1e-4)),
    # two implementations of the same formula agreeing to round-off (~1e-13): the digits below 1e-10 are
    # noise of the LAPACK driver and thread count, not a change
    ("summary:*crosscheck_max_rel_error", Tolerance(rtol=0.0, atol=1e-10, atol_scale=0.0)),
    # relative deviations / errors: an absolute floor at round-off level (ROUNDOFF_REL, above)
    ("series:*_rel", _ROUNDOFF_REL_TOL),
    ("summary:*_rel", _ROUNDOFF_REL_TOL),
    ("summary:*rel_err", _ROUNDOFF_REL_TOL),
    ("summary:*rel_error", _ROUNDOFF_REL_TOL),
)
DEFAULT_IGNORE: tuple[str, ...] = ("summary:*timing_s*", "summary:*wall_time*", "summary:*_seconds*")


@dataclass
class ToleranceConfig:
    default: Tolerance = field(default_factory=Tolerance)
    rules: list[tuple[str, Tolerance]] = field(default_factory=lambda: list(DEFAULT_RULES))
    ignore: list[str] = field(default_factory=lambda: list(DEFAULT_IGNORE))

    def for_metric(self, metric: str) -> Tolerance | None:
        """The tolerance of ``metric``, or None when it is ignored."""
        if any(fnmatch.fnmatchcase(metric, pattern) for pattern in self.ignore):
            return None
        for pattern, tol in self.rules:
            if fnmatch.fnmatchcase(metric, pattern):
                return tol
        return self.default

    def merged(self, doc: Mapping[str, Any], source: str) -> ToleranceConfig:
        """This config updated by a tolerances document (rules from ``doc`` take precedence)."""
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{source}: expected a mapping with default/metrics/ignore")
        unknown = set(doc) - {"default", "metrics", "ignore"}
        if unknown:
            raise ConfigError(f"{source}: unknown keys {sorted(unknown)}; allowed: default, metrics, ignore")
        default = _tolerance(self.default, doc.get("default") or {}, f"{source}: default")
        metrics = doc.get("metrics") or {}
        if not isinstance(metrics, Mapping):
            raise ConfigError(f"{source}: metrics must map patterns to {{rtol, atol, atol_scale}}")
        rules = [
            (str(p), _tolerance(default, t or {}, f"{source}: metrics[{p!r}]")) for p, t in metrics.items()
        ]
        ignore = doc.get("ignore") or []
        if not isinstance(ignore, list):
            raise ConfigError(f"{source}: ignore must be a list of patterns")
        return ToleranceConfig(default, rules + self.rules, [str(i) for i in ignore] + self.ignore)


def _tolerance(base: Tolerance, spec: Any, where: str) -> Tolerance:
    if not isinstance(spec, Mapping) or set(spec) - {"rtol", "atol", "atol_scale"}:
        raise ConfigError(f"{where}: expected {{rtol, atol, atol_scale}}, got {spec!r}")
    values = {}
    for key, value in spec.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ConfigError(f"{where}: {key}={value!r} must be a number >= 0")
        values[key] = float(value)
    return replace(base, **values)


def load_tolerances(*files: Path | None, base: ToleranceConfig | None = None) -> ToleranceConfig:
    """Defaults, updated by each existing YAML/JSON file in order."""
    config = base or ToleranceConfig()
    for file in files:
        if file is None or not Path(file).exists():
            continue
        try:
            doc = yaml.safe_load(Path(file).read_text())
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(
                f"{file} is not a readable tolerances file: {str(err).splitlines()[0]}"
            ) from err
        config = config.merged(doc or {}, str(file))
    return config


# ------------------------------------------------------------------------------------------ comparison


def cell_key(run: Run) -> str:
    """Experiment + config without tracker settings and cache paths: equal for reruns of the same cell."""

    def strip(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {k: strip(v) for k, v in node.items() if k not in ("cache_dir",)}
        return node

    config = {k: v for k, v in run.config.items() if k != "tracker"}
    return json.dumps([run.experiment, strip(config)], sort_keys=True, default=str)


def tracked_metrics(run: Run) -> dict[str, list[float | None]]:
    """``{"series:NAME": values, "summary:KEY": values}`` of every numeric series and summary entry."""
    out: dict[str, list[float | None]] = {}
    for name, values in run.series.items():
        numbers = _numbers(values)
        if numbers is not None:
            out[f"series:{name}"] = numbers
    for key, value in _flatten(run.summary):
        numbers = _numbers(value if isinstance(value, list) else [value])
        if numbers is not None:
            out[f"summary:{key}"] = numbers
    return out


def _flatten(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, node


def _numbers(values: Any) -> list[float | None] | None:
    """Floats in row-major order (nested lists flattened; None for JSON null), or None when any entry is
    not a number (strings, dicts) or the list is empty."""
    if not isinstance(values, list) or not values:
        return None
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, list):
            inner = _numbers(v)
            if inner is None:
                return None
            out.extend(inner)
        elif isinstance(v, bool) or not isinstance(v, int | float):
            return None
        else:
            out.append(float(v))
    return out


DriftStatus = Literal["ok", "drift", "missing", "new", "cell missing", "new cell"]


@dataclass(frozen=True)
class Drift:
    """Comparison of one metric of one cell."""

    cell: str
    metric: str
    status: DriftStatus
    reference: float | None = None
    current: float | None = None
    abs_diff: float | None = None
    rel_diff: float | None = None
    allowed: float | None = None
    where: str = ""
    tolerance: str = ""

    @property
    def failing(self) -> bool:
        return self.status in ("drift", "missing", "cell missing")


def _same_special(a: float | None, b: float | None) -> bool | None:
    """True/False when either value is None/NaN/inf (equal specials match), None when both are finite."""
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return None


def compare_metric(
    cell: str,
    metric: str,
    ref: list[float | None],
    cur: list[float | None],
    tol: Tolerance,
    axis: Sequence[Any],
) -> Drift:
    """Worst element of one metric; ``axis`` labels positions (e.g. depths) for the report."""
    if len(ref) != len(cur):
        return Drift(
            cell,
            metric,
            "drift",
            where=f"length {len(cur)} vs reference {len(ref)}",
            tolerance=tol.describe(),
        )
    finite_ref = [abs(r) for r in ref if r is not None and math.isfinite(r)]
    scale = max(finite_ref) if finite_ref else 0.0
    worst: tuple[float, int, float, float, float] | None = None  # (excess ratio, index, abs, rel, allowed)
    for i, (r, c) in enumerate(zip(ref, cur, strict=True)):
        special = _same_special(r, c)
        if special is not None:
            if not special:
                where = f"at {axis[i]}" if i < len(axis) else f"at index {i}"
                return Drift(cell, metric, "drift", r, c, math.inf, math.inf, 0.0, where, tol.describe())
            continue
        assert r is not None and c is not None
        diff = abs(c - r)
        allowed = max(tol.rtol * abs(r), tol.atol, tol.atol_scale * (scale if len(ref) > 1 else abs(r)))
        ratio = diff / allowed if allowed > 0 else (0.0 if diff == 0 else math.inf)
        if worst is None or ratio > worst[0]:
            worst = (ratio, i, diff, diff / abs(r) if r else (0.0 if diff == 0 else math.inf), allowed)
    if worst is None:
        return Drift(cell, metric, "ok", tolerance=tol.describe())
    ratio, i, diff, rel, allowed = worst
    where = (f"at {axis[i]}" if i < len(axis) else f"at index {i}") if len(ref) > 1 else ""
    return Drift(
        cell,
        metric,
        "ok" if ratio <= 1.0 else "drift",
        ref[i],
        cur[i],
        diff,
        rel,
        allowed,
        where,
        tol.describe(),
    )


def compare_runs(
    current: Sequence[Run], reference: Sequence[Run], tolerances: ToleranceConfig, label: Any = None
) -> list[Drift]:
    """Every tracked metric of every reference cell against the matching current run."""
    label = label or (lambda run: str(run.path.name))
    by_key: dict[str, Run] = {}
    for run in current:
        by_key.setdefault(cell_key(run), run)
    drifts: list[Drift] = []
    matched: set[str] = set()
    for ref in reference:
        key = cell_key(ref)
        run = by_key.get(key)
        ref_label = f"{ref.experiment} {ref.path.name}"
        if run is None:
            drifts.append(Drift(ref_label, "*", "cell missing", where="no current run with this config"))
            continue
        matched.add(key)
        cell = label(run)
        ref_metrics, cur_metrics = tracked_metrics(ref), tracked_metrics(run)
        axis = run.series.get(run.axis, []) if isinstance(run.series.get(run.axis), list) else []
        for metric, ref_values in ref_metrics.items():
            tol = tolerances.for_metric(metric)
            if tol is None:
                continue
            cur_values = cur_metrics.get(metric)
            if cur_values is None:
                drifts.append(
                    Drift(cell, metric, "missing", where="not in the current run", tolerance=tol.describe())
                )
                continue
            metric_axis = [f"{run.axis}={a:g}" if isinstance(a, int | float) else str(a) for a in axis]
            drifts.append(compare_metric(cell, metric, ref_values, cur_values, tol, metric_axis))
        for metric in cur_metrics.keys() - ref_metrics.keys():
            if tolerances.for_metric(metric) is not None:
                drifts.append(Drift(cell, metric, "new", where="not in the reference"))
    for run in current:
        if cell_key(run) not in matched:
            drifts.append(Drift(label(run), "*", "new cell", where="no reference run with this config"))
    return drifts


def load_reference(ref: str | Path) -> list[Run]:
    """The runs of a stored reference directory (a baseline or any run/multirun directory)."""
    path = Path(ref)
    if not path.exists():
        raise ConfigError(
            f"baseline {path} does not exist; create it with: "
            f"ntk-bench-report RUN_DIR --update-baseline {path}"
        )
    runs = load_runs(path)
    if not runs:
        raise ConfigError(f"baseline {path} holds no {RESULTS_FILE}")
    return runs


# ------------------------------------------------------------------------------------------------ update


def _share(root: Path) -> None:
    """Give ``root`` and everything in it the permissions a normal checkout has (temp files are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(root, 0o777 & ~umask)
    for path in root.rglob("*"):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


def update_baseline(runs: Sequence[Run], root: Path, dest: str | Path) -> Path:
    """Replace the reference at ``dest`` with ``runs`` (``results.json`` + Hydra configs of each job).

    Written to a temporary sibling first and swapped in by rename, so a reader sees the old or the new
    reference, never a mix; the kept files (``tolerances.yaml``, ``expected_failures.yaml``) of ``dest`` stay.
    """
    dest = Path(dest)
    if not runs:
        raise ConfigError(f"no completed runs under {root} to store as a baseline")
    foreign = dest.exists() and (
        not dest.is_dir()
        or (not (dest / MANIFEST_FILE).exists() and {p.name for p in dest.iterdir()} - set(KEPT_FILES))
    )
    if foreign:  # a baseline dir has BASELINE.json; a new one may hold just its kept files
        raise ConfigError(
            f"{dest} exists and is not a baseline directory (no {MANIFEST_FILE}); refusing to replace it"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    try:
        for run in runs:
            try:
                rel = run.path.resolve().relative_to(Path(root).resolve())
            except ValueError:
                rel = Path(run.path.name)
            target = tmp / rel
            atomic_write_bytes(target / RESULTS_FILE, (run.path / RESULTS_FILE).read_bytes())
            for name in ("overrides.yaml", "config.yaml"):
                source = run.path / ".hydra" / name
                if source.exists():
                    atomic_write_bytes(target / ".hydra" / name, source.read_bytes())
        if (Path(root) / "multirun.yaml").exists():
            atomic_write_bytes(tmp / "multirun.yaml", (Path(root) / "multirun.yaml").read_bytes())
        for kept in KEPT_FILES:
            if (dest / kept).exists():
                atomic_write_bytes(tmp / kept, (dest / kept).read_bytes())
        manifest = {
            "source": str(Path(root).resolve()),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "runs": len(runs),
            "git": runs[0].provenance.get("git"),
            "packages": runs[0].provenance.get("packages"),
        }
        atomic_write_bytes(tmp / MANIFEST_FILE, json.dumps(manifest, indent=1).encode())
        _share(tmp)
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / dest.name)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
