"""The pinned stack is sound where ntk-bench depends on it, and runs without TensorFlow.

neural-tangents is imported without its TF bridge (``ntk_bench/nt_bridge.py``): the tests below check that no
TensorFlow module is ever imported and that the lock installs none. The numbers of the neural-tangents entry
points ntk-bench uses are checked against independent computations here and in tests/kernels/test_layerwise.py
(``monte_carlo_kernel_fn`` vs the analytic kernel), tests/dynamics/test_linearization.py
(``gradient_descent_mse``, ``linearize``), tests/kernels/test_empirical.py, tests/theory/test_closed_forms.py
and tests/theory/test_mean_field.py (NNGP → q*, c*).
"""

import json
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import neural_tangents as nt
import numpy as np
from neural_tangents import stax

from ntk_bench.nt_bridge import BRIDGE, DisabledBridge

ROOT = Path(__file__).resolve().parent.parent
TF_MODULES = ("tensorflow", "tf2jax", "keras", "tensorboard", "jax.experimental.jax2tf")
# Imports every ntk_bench module with TensorFlow made unimportable (as where it is not installed), then
# reports which TF-family modules got imported and what stands in for neural-tangents' bridge.
IMPORT_ALL_WITHOUT_TF = """
import importlib, json, pkgutil, sys
tf_modules = tuple(json.loads(sys.argv[1]))
for name in ("tensorflow", "tf2jax", "keras"):
    sys.modules[name] = None  # `import tensorflow` now raises ImportError
import ntk_bench, neural_tangents
for info in pkgutil.walk_packages(ntk_bench.__path__, "ntk_bench."):
    importlib.import_module(info.name)
loaded = [m for m in sys.modules if sys.modules[m] is not None and m.startswith(tf_modules)]
print(json.dumps({"loaded": loaded, "bridge": type(neural_tangents.experimental).__name__}))
"""


def test_float64_is_really_on():
    assert jax.config.jax_enable_x64
    x = jnp.ones(3)
    assert x.dtype == jnp.float64
    # 1 + 1e-10 is representable in float64 (ε ≈ 2.2e-16) but rounds to 1 in float32 (ε ≈ 1.2e-7).
    assert float(jnp.asarray(1.0) + 1e-10) != 1.0


def _small_fcn():
    return stax.serial(stax.Dense(64, W_std=1.3, b_std=0.2), stax.Erf(), stax.Dense(3, W_std=1.3, b_std=0.2))


def test_three_empirical_ntk_implementations_agree_in_float64():
    init_fn, apply_fn, _ = _small_fcn()
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (6, 5))
    _, params = init_fn(key, x.shape)
    kernels = [
        nt.empirical_ntk_fn(apply_fn, trace_axes=(), implementation=impl)(x, None, params)
        for impl in (
            nt.NtkImplementation.JACOBIAN_CONTRACTION,
            nt.NtkImplementation.NTK_VECTOR_PRODUCTS,
            nt.NtkImplementation.STRUCTURED_DERIVATIVES,
        )
    ]
    assert all(k.dtype == jnp.float64 for k in kernels)
    scale = float(jnp.max(jnp.abs(kernels[0])))
    for other in kernels[1:]:
        # Same sums in a different order: agreement to float64 round-off (~1e-13 relative is generous).
        np.testing.assert_allclose(other, kernels[0], rtol=0, atol=1e-12 * scale)


def test_gradient_descent_mse_runs_under_jit_and_vmap():
    _, _, kernel_fn = _small_fcn()
    x_train = jax.random.normal(jax.random.PRNGKey(1), (8, 4))
    x_test = jax.random.normal(jax.random.PRNGKey(2), (3, 4))
    y_train = jax.random.normal(jax.random.PRNGKey(3), (8, 2))
    k_train = kernel_fn(x_train, None, "ntk")
    k_test = kernel_fn(x_test, x_train, "ntk")

    @jax.jit
    def predict(t):
        fn = nt.predict.gradient_descent_mse(k_train, y_train, learning_rate=1.0)
        return fn(t, 0.0, 0.0, k_test)[1]

    times = jnp.array([0.0, 1.0, 10.0, jnp.inf])
    batched = jax.vmap(predict)(times)
    single = jnp.stack([predict(t) for t in times])
    np.testing.assert_allclose(batched, single, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(batched[0], 0.0, atol=1e-12)  # f_0 = 0 at t = 0 (mean predictor)
    infinite = k_test @ jnp.linalg.solve(k_train, y_train)  # t = ∞: Θ_test,train Θ⁻¹ Y
    np.testing.assert_allclose(batched[-1], infinite, rtol=1e-8, atol=1e-10)


def test_ntk_bench_imports_no_tensorflow_and_prints_nothing():
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_WITHOUT_TF, json.dumps(TF_MODULES)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"loaded": [], "bridge": "DisabledBridge"}
    assert proc.stderr == ""  # no TF/CUDA/absl lines on start


def test_tensorflow_is_not_imported_in_this_process():
    assert not [m for m in sys.modules if m.startswith(TF_MODULES)]
    assert isinstance(sys.modules[BRIDGE], DisabledBridge)


def test_lock_installs_no_tensorflow():
    pins = set(_pins("requirements.lock")) | set(_pins("requirements-gpu.lock"))
    assert "neural-tangents" in pins
    assert not pins & {"tensorflow", "tensorflow-cpu", "tf2jax", "keras", "tensorboard", "tf-keras"}


def _pins(lock: str) -> dict[str, str]:
    return {
        name.strip().lower().replace("_", "-"): version.strip()
        for name, _, version in (
            line.partition("==") for line in (ROOT / lock).read_text().splitlines() if "==" in line
        )
        if not name.lstrip().startswith("#")
    }


def test_gpu_lock_is_the_cpu_lock_plus_the_cuda_plugin_of_the_pinned_jax():
    cpu, gpu = _pins("requirements.lock"), _pins("requirements-gpu.lock")
    assert "-r requirements.lock" in (ROOT / "requirements-gpu.lock").read_text().splitlines()
    assert not cpu.keys() & gpu.keys()  # nothing re-pinned
    assert gpu["jax-cuda12-plugin"] == gpu["jax-cuda12-pjrt"] == cpu["jax"] == cpu["jaxlib"] == "0.4.25"
    assert all(name.startswith("nvidia-") for name in gpu.keys() - {"jax-cuda12-plugin", "jax-cuda12-pjrt"})
    assert gpu["nvidia-cudnn-cu12"].startswith("8.9.")  # the plugin is built against cuDNN 8.9, not 9
