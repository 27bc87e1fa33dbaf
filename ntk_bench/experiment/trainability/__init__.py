"""``experiment=schoenholz2017_trainability``: deep finite networks trained by SGD, next to infinite width.

Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep Information Propagation": networks trained by SGD
from a standard Gaussian initialisation (f_0 kept) train only up to a depth of order ξ_c, the correlation
depth scale (their Fig. 5: trainable when L ≲ 6·ξ_c), with

    ξ_c = −1/ln χ_c,     χ_c = σ_w² E[φ'(u_1) φ'(u_2)] at the fixed point c* of the correlation map

(ordered phase: c* = 1 and ξ_c = ξ_1 = −1/ln χ_1). Xiao, Pennington & Schoenholz (2020) read the same maps
through the NTK: ordered-side trainability is lost beyond ~ξ_1 (κ = λ_max/λ_bulk grows like 1/(l·χ_1^l)),
chaotic-side generalization beyond ~ξ_* = 1/(ln χ_1 − ln χ_c*). Residual networks (Yang & Schoenholz 2017;
Huang, Wang, Tao & Zhao 2020, branch scale α = L^{-γ}) have no exponential depth scale.

For every network of ``experiment.networks`` (registry families with their own model keys: FCN erf/tanh,
CNN-F/CNN-P on 1-D signals, ResNet), every σ_w² column and depth L of the grid:

1. **Infinite width** — the analytic train and test NTKs at every depth from one kernel pass per σ_w²
   (:func:`~ntk_bench.kernels.kernel_pass`; a ResNet with α = L^{-γ} is a different network at every L, one
   pass per depth), the step η = ``lr_factor``·η_crit with η_crit the minibatch stability bound of the kernel
   model (:func:`~ntk_bench.dynamics.learning_rates.minibatch_critical_learning_rate`, converted to the
   sum-loss units of :mod:`~ntk_bench.dynamics.finite_training`: η_crit = 2/max_B λ_max((m/b)·Θ_BB)), and the
   train/test accuracy of the mean predictor (f_0 = 0) under gradient flow to the same time τ = η·k as k SGD
   steps (:func:`~ntk_bench.dynamics.kernel_regression.evaluate_depths`, the path of xiao2020's maps, at
   t = k·λ_max/λ_max^SGD with its η = lr_factor·2/λ_max).
2. **Finite width** — real networks of width ``experiment.width`` (NTK parameterization: W ~ N(0, 1) scaled by
   σ_w/√n, the same function at initialisation as the standard N(0, σ_w²/n) draw), f_0 kept
   (``center: false``), trained by minibatch SGD on ``(m/b)·½‖f(X_b) − Y_b‖²`` (``batch_size``; null =
   full-batch GD) with the same η for ``steps`` steps, every (σ_w², seed) of a depth at once
   (:class:`~ntk_bench.dynamics.finite_training.FiniteTrainer`), in ``dtype`` (float32 by default; kernels and
   theory are float64). A run whose outputs become non-finite, or whose training loss grows above
   ``divergence_factor`` × its initial loss, is a divergent run: kept, with its reason, its accuracies NaN.
3. **Analysis** (at the last step): the trainable boundary, the depth where train accuracy (seed mean;
   divergent runs counted at the best constant prediction) falls below ``train_threshold``
   (:func:`~ntk_bench.analysis.depth_scales.crossing_depth`), fitted as depth = a·ξ_c per network, per seed
   (seed-to-seed spread of a) and for the infinite-width map at the same τ; a is compared with Schoenholz's 6
   and with the infinite-width constant. Cell-wise agreement of finite and infinite test accuracy where both
   train. ResNet vs the FCN of the same activation: boundary and accuracy at the deepest depth.

Figures are drawn from the stored results by :mod:`ntk_bench.report.trainability`; claims in
:mod:`ntk_bench.claims.trainability`.

Modules: :mod:`.config` (the validated group, inputs), :mod:`.cells` (infinite- and finite-width cells),
:mod:`.analysis` (boundaries, agreement, ResNet vs FCN), :mod:`.run` (the experiment function).
"""

from ntk_bench.experiment.trainability.analysis import analyse, compare_resnet
from ntk_bench.experiment.trainability.cells import depth_groups, finite_width, infinite_width, spec_at
from ntk_bench.experiment.trainability.config import NAME, TrainabilityConfig, load_inputs, parse_config
from ntk_bench.experiment.trainability.run import run_trainability

__all__ = [
    "NAME",
    "TrainabilityConfig",
    "analyse",
    "compare_resnet",
    "depth_groups",
    "finite_width",
    "infinite_width",
    "load_inputs",
    "parse_config",
    "run_trainability",
    "spec_at",
]
