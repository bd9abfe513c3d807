"""The table of real rows a GAN keeps as references: capped per class, with neighbours."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

__all__ = ["MAX_REFERENCES_PER_CLASS", "N_NEIGHBOURS", "cap_per_class", "same_class_neighbours",
           "take_rows"]

#: Rows per class a table GAN keeps as references (drawn at random beyond it), so that the cost
#: of a fit does not grow with the data.
MAX_REFERENCES_PER_CLASS = 5_000
#: Same-class neighbours of each reference row, for the interpolating generator.
N_NEIGHBOURS = 5


def cap_per_class(codes, cap, seed):
    """Row positions to keep: every row of a class with at most ``cap`` rows, else ``cap`` of
    them drawn at random (sorted), so that the cost of a fit does not grow with the data."""
    keep = []
    rng = np.random.default_rng(seed)
    for c in range(int(codes.max()) + 1):
        rows = np.flatnonzero(codes == c)
        if len(rows) > cap:
            rows = np.sort(rng.choice(rows, cap, replace=False))
        keep.append(rows)
    return np.concatenate(keep)


def take_rows(X, rows):
    """Rows of an array or a DataFrame, by position or boolean mask."""
    rows = np.asarray(rows)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def same_class_neighbours(references, class_counts, k=N_NEIGHBOURS):
    """``(n_rows, k)`` indices of each row's ``k`` nearest rows of its own class (in the
    class-sorted table); a class with one row is its own neighbour."""
    out = np.empty((len(references), k), dtype=np.int64)
    start = 0
    for count in class_counts:
        rows = references[start:start + count]
        if count == 1:
            out[start] = start
        else:
            n = min(k + 1, count)
            index = NearestNeighbors(n_neighbors=n).fit(rows).kneighbors(rows,
                                                                      return_distance=False)
            index = index[:, 1:]  # the row itself comes first
            out[start:start + count] = start + index[:, np.arange(k) % index.shape[1]]
        start += count
    return out
