"""Tiling of an (n1 × n2) kernel into blocks: the one blocked loop of every kernel computation.

Kernels are computed block by block so memory stays bounded (a CNN-P block holds ``b²·P²`` numbers per
layer; an empirical-NTK block ``b²`` Jacobian contractions). Partial blocks are padded to the full edge with
copies of their first row so every block has one shape and a jitted kernel function compiles once. For a
symmetric kernel (x2 = None) only blocks on and above the diagonal are computed; the ones below are the
transposes of their mirrors, and diagonal blocks keep ``x2=None`` (neural-tangents' exact-diagonal path).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """One block: its rows and columns, whether it sits on the diagonal of a symmetric kernel (compute it
    with x2=None) and whether its transpose fills the mirrored block below the diagonal."""

    rows: slice
    cols: slice
    diagonal: bool
    mirror: bool

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.stop - self.rows.start, self.cols.stop - self.cols.start


def tiles(n1: int, n2: int, edge1: int, edge2: int, symmetric: bool) -> Iterator[Tile]:
    """The blocks of an (n1 × n2) kernel with edges (edge1, edge2), upper triangle only when symmetric."""
    for r0, c0 in itertools.product(range(0, n1, edge1), range(0, n2, edge2)):
        if symmetric and c0 < r0:
            continue
        rows, cols = slice(r0, min(n1, r0 + edge1)), slice(c0, min(n2, c0 + edge2))
        yield Tile(rows, cols, diagonal=symmetric and r0 == c0, mirror=symmetric and c0 > r0)


def padded(x: np.ndarray, size: int) -> np.ndarray:
    """Pad the batch to ``size`` rows with copies of row 0, so every block has one shape (one compile)."""
    if len(x) == size:
        return x
    return np.concatenate([x, np.repeat(x[:1], size - len(x), axis=0)], axis=0)
