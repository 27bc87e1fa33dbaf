"""Claims measured by ``experiment=spectrum`` (Xiao, Pennington & Schoenholz 2020).

One module per regime: ``general`` (any phase), ``ordered``, ``chaotic``, ``critical`` and ``readouts``
(CNN-F vs FCN, CNN-P vs CNN-F); ``runs`` is the view of a stored run with theory recomputed from its config,
``measures`` the estimators the claims share.

Every claim reads the per-depth series the spectrum experiment stores (``ntk/lambda_max``,
``ntk/lambda_bulk``, ``ntk/kappa_bulk``, ``ntk/lambda_min``, ``ntk/trace``, ``ntk/mean_predictor_rms``) and
compares them with mean-field theory **recomputed from the run's config** (``model.activation``,
``model.sigma_w2``, ``model.sigma_b2``), never with the ``summary.theory`` the run wrote: a kernel computed
with other hyper-parameters than its config records therefore fails.

Which configs measure what (m = ``data.n_train``, L = deepest depth, ξ_1 = −1/ln χ_1):

==========================================  ==========================================================
claim                                       config that measures it
==========================================  ==========================================================
ntk_positive_definite                       any run
chi_1_from_trace, critical_line_chi_1       fcn / cnn_flatten, 0 < q* < ∞, L ≥ ~15-50 (``measures.chi_hat``)
ordered.lambda_max_limit                    ordered, smooth φ (erf/tanh/gelu/sin), L·χ_1^L ≤ 0.01
ordered.kappa_growth                        ordered, smooth φ, κ resolvable over ≥ 2ξ_1 beyond 3ξ_1
chaotic.kappa_to_one                        fcn, chaotic, L ≥ ξ_κ·ln(10⁴·m)
chaotic.diagonal_dominance_rate             fcn, chaotic, 10⁻⁴ < κ−1 ≤ 0.1 over ≥ ξ_κ layers
chaotic.mean_predictor_decay                fcn, chaotic, depths ≥ L/2 with P(Θ)Y resolvable
critical.*                                  fcn / cnn_flatten, erf, σ_b² > 0, |χ_1 − 1|·L ≤ 0.01, L ≥ 20
cnn_f_follows_fcn                           cnn_flatten + fcn runs with equal data/φ/σ's (any phase)
cnn_p_bulk_smaller                          cnn_pool + cnn_flatten runs with equal data/φ/σ's, ordered
                                            or critical, circular padding
==========================================  ==========================================================

Example sweep that measures all of them on digits in about a minute on 2 cores::

    ntk-bench -m data.n_train=32 data.n_test=16 model.depth=100 \\
        model.sigma_w2=1.0,1.37583900734668,2.0 model=fcn,cnn_flatten          # FCN/CNN-F, 3 phases
    ntk-bench -m data=synthetic 'data.spatial_shape=[8]' data.n_train=32 data.n_test=16 model.depth=60 \\
        model=cnn_flatten,cnn_pool model.sigma_w2=1.0,1.37583900734668     # CNN-P vs CNN-F (d = 8)

(1.37583900734668 = ``critical_sigma_w2("erf", 0.05)``.)
"""

# The import order is the registration order, which the claims table follows.
# isort: off
from ntk_bench.claims.spectrum import general, ordered, chaotic, critical, readouts
# isort: on
from ntk_bench.claims.spectrum.runs import EXPERIMENT, SpectrumRun, spectrum_runs

__all__ = [
    "EXPERIMENT",
    "SpectrumRun",
    "chaotic",
    "critical",
    "general",
    "ordered",
    "readouts",
    "spectrum_runs",
]
