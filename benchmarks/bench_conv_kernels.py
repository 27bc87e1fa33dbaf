"""Analytic CNN kernels: cost per input pair per layer, ours vs neural-tangents' ``stax.Conv``; end to end.

1. One block (circular Conv → Erf, filter 3, float64) applied to a kernel, CNN-P (full spatial covariance)
   and CNN-F (spatial diagonal), for 1-D signals d ∈ {40, 64, 128, 256} and 2-D images {4×4, 8×8, 16×16}:
   ours (``Network``'s fast circular-conv kernel, box average by operator or shifted copies, chosen by shape)
   vs the same network from neural-tangents' own layers (``fast_kernels=False``). The batch of pairs is the
   one the kernel pass would use under its default memory bound (capped so a size runs in seconds). Also the
   arithmetic floor: entries per pair × the measured per-element cost of the work (2·nd·|F| adds for the box
   average of NNGP and NTK, an arcsin, two square roots and ~8 multiplications for the Erf kernel).
2. End to end: the MNIST-1D CNN-P NTK spectrum to depth 40 on 64 points (what ``ntk-bench experiment=spectrum
   model=cnn_pool data=mnist1d model.depth=40 data.n_train=64`` computes) vs the same computation written
   directly with neural-tangents (one jitted Conv→Erf block fed its own output, GlobalAvgPool→Dense readout,
   ``eigvalsh`` per depth).
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
from neural_tangents import stax

from benchmarks.common import BenchmarkResult, best_time, compare
from ntk_bench.data import load_dataset
from ntk_bench.kernels import kernel_pass, kernels_across_depth
from ntk_bench.model import Network, model_spec_from_config
from ntk_bench.model.stax_layers import box_average_method

SIZES = [(40,), (64,), (128,), (256,), (4, 4), (8, 8), (16, 16)]
MAX_PAIRS_EDGE = 16  # at most 16×16 input pairs per timed call
FILTER = 3


def _spec(name: str, depth: int = 1):
    return model_spec_from_config(
        {"name": name, "depth": depth, "width": 8, "activation": "erf", "sigma_w2": 2.0, "sigma_b2": 0.05}
    )


def _per_element_ns() -> dict[str, float]:
    """Measured cost per float64 element of the primitives the exact update needs (jitted, 4M elements)."""
    x = jnp.asarray(np.random.default_rng(0).uniform(-0.9, 0.9, size=4_000_000))
    costs = {}
    for name, fn in (
        ("add", lambda v: v + v),
        ("mul", lambda v: v * 1.5),
        ("sqrt", jnp.sqrt),
        ("arcsin", jnp.arcsin),
    ):
        f = jax.jit(fn)
        f(x).block_until_ready()
        costs[name] = best_time(lambda f=f: f(x).block_until_ready(), 5) / x.size * 1e9
    return costs


def _floor_us(entries: int, spatial_ndim: int, costs: dict[str, float]) -> float:
    """Arithmetic floor of one Conv → Erf block per input pair (µs)."""
    per_entry = (
        2 * spatial_ndim * FILTER * costs["add"] + costs["arcsin"] + 2 * costs["sqrt"] + 8 * costs["mul"]
    )
    return entries * per_entry / 1e3


def _block_case(name: str, size: tuple[int, ...], costs: dict[str, float]) -> BenchmarkResult:
    spec = _spec(name)
    nd = len(size)
    ours_net, ref_net = Network(spec, nd), Network(spec, nd, fast_kernels=False)
    positions = math.prod(size)
    entries = positions if name == "cnn_flatten" else positions**2
    edge = min(MAX_PAIRS_EDGE, kernel_pass(ours_net).block_size(64, 64, size, 1e9))
    x = np.random.default_rng(0).normal(size=(edge, *size, 1))
    options = dict(ours_net.input_kernel_options)
    k0 = stax.Identity()[2](x, x[::-1].copy(), get=None, **options)
    ours = jax.jit(ours_net.pieces()[1][2])
    theirs = jax.jit(ref_net.pieces()[1][2])
    k0 = ours(k0)  # a layer-1 kernel (Gaussian, non-trivial correlations) as the input of the timed block
    pairs = edge * edge
    # compared after each network's own readout: neural-tangents may keep the full spatial covariance with
    # its axes reversed (``Kernel.is_reversed``), so the raw block outputs are not elementwise comparable
    ours_readout = jax.jit(ours_net.pieces()[2][2], static_argnames="get")
    ref_readout = jax.jit(ref_net.pieces()[2][2], static_argnames="get")
    ours_ntk = np.asarray(ours_readout(ours(k0), get="ntk"))
    ref_ntk = np.asarray(ref_readout(theirs(k0), get="ntk"))
    error = float(np.max(np.abs(ours_ntk - ref_ntk)) / np.max(np.abs(ref_ntk)))
    label = "x".join(map(str, size))
    result = compare(
        f"{'CNN-P' if name == 'cnn_pool' else 'CNN-F'} block {nd}-D {label} ({pairs} pairs)",
        ("ours (fast circular conv)", lambda: ours(k0).ntk.block_until_ready()),
        ("neural-tangents stax.Conv", lambda: theirs(k0).ntk.block_until_ready()),
        repeats=5,
        target="≥ 3×",
    )
    methods = [box_average_method((s, s) if name == "cnn_pool" else (s,)) for s in size]
    result.details = {
        "ours_us_per_pair": result.ours_s / pairs * 1e6,
        "nt_us_per_pair": result.baseline_s / pairs * 1e6,
        "floor_us_per_pair": _floor_us(entries, nd, costs),
        "entries_per_pair": entries,
        "box_average": methods,
        "max_rel_difference_vs_nt": error,
        "per_element_ns": costs,
    }
    return result


def _end_to_end() -> list[BenchmarkResult]:
    data = load_dataset({"name": "mnist1d", "n_train": 64, "n_test": 0})
    x = data.x_train
    depths = list(range(1, 41))
    network = Network(_spec("cnn_pool", depth=40), 1)

    def ours():
        kernels = kernels_across_depth(network, x, None, depths)
        return [np.linalg.eigvalsh(k) for k in kernels.ntk]

    w_std, b_std = math.sqrt(2.0), math.sqrt(0.05)
    block = jax.jit(
        stax.serial(stax.Conv(8, (FILTER,), padding="CIRCULAR", W_std=w_std, b_std=b_std), stax.Erf())[2]
    )
    readout = jax.jit(
        stax.serial(stax.GlobalAvgPool(), stax.Dense(1, W_std=w_std, b_std=b_std))[2], static_argnames="get"
    )

    def plain_neural_tangents():
        kernel = stax.Identity()[2](x, None, get=None, diagonal_spatial=False)
        out = []
        for _ in depths:
            kernel = block(kernel)
            out.append(np.linalg.eigvalsh(np.asarray(readout(kernel, get="ntk"))))
        return out

    start = time.perf_counter()
    a, b = ours(), plain_neural_tangents()
    check_s = time.perf_counter() - start
    difference = max(float(np.max(np.abs(p - q)) / np.max(np.abs(q))) for p, q in zip(a, b, strict=True))
    result = compare(
        "MNIST-1D CNN-P spectrum depth 1..40, m=64",
        ("ntk-bench kernel pass + eigh", ours),
        ("plain neural-tangents script", plain_neural_tangents),
        repeats=2,
        target="ours ≤ 0.5× the plain script, i.e. speedup ≥ 2×",
    )
    result.details = {"max_rel_eigenvalue_difference": difference, "first_calls_s": check_s}
    return [result]


def run() -> list[BenchmarkResult]:
    costs = _per_element_ns()
    results = []
    for size in SIZES:
        for name in ("cnn_pool", "cnn_flatten"):
            results.append(_block_case(name, size, costs))
            d = results[-1].details
            print(
                f"  {results[-1].name}: ours {d['ours_us_per_pair']:.2f} µs/pair,"
                f" nt {d['nt_us_per_pair']:.2f}, floor {d['floor_us_per_pair']:.2f}, box {d['box_average']},"
                f" |Δ| {d['max_rel_difference_vs_nt']:.1e}",
                flush=True,
            )
    return results + _end_to_end()
