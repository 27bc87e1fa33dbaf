"""The papers the claims come from."""

from ntk_bench.claims.core import Paper

JACOT2018 = Paper("Jacot, Gabriel & Hongler", 2018, "Neural Tangent Kernel: Convergence and Generalization")
SCHOENHOLZ2017 = Paper("Schoenholz, Gilmer, Ganguli & Sohl-Dickstein", 2017, "Deep Information Propagation")
XIAO2020 = Paper(
    "Xiao, Pennington & Schoenholz",
    2020,
    "Disentangling Trainability and Generalization in Deep Neural Networks",
)
LEE2019 = Paper(
    "Lee, Xiao, Schoenholz, Bahri, Novak, Sohl-Dickstein & Pennington",
    2019,
    "Wide Neural Networks of Any Depth Evolve as Linear Models Under Gradient Descent",
)
HANIN_NICA2020 = Paper(
    "Hanin & Nica", 2020, "Finite Depth and Width Corrections to the Neural Tangent Kernel"
)
YANG_SCHOENHOLZ2017 = Paper("Yang & Schoenholz", 2017, "Mean Field Residual Networks: On the Edge of Chaos")
HUANG2020 = Paper(
    "Huang, Wang, Tao & Zhao",
    2020,
    "Why Do Deep Residual Networks Generalize Better than Deep Feedforward Networks? "
    "A Neural Tangent Kernel Perspective",
)
