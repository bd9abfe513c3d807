"""Exact nearest-neighbour distances and random subsamples, in blocks that bound memory."""

from __future__ import annotations

import numpy as np

# Elements per block of a distance matrix, to bound memory (32 MB of float64).
_BLOCK = 2**22


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances by the dot-product expansion (approximate near zero)."""
    a2 = np.einsum("ij,ij->i", A, A)
    b2 = np.einsum("ij,ij->i", B, B)
    return np.maximum(a2[:, None] + b2[None, :] - 2.0 * (A @ B.T), 0.0)


def _nearest(A: np.ndarray, B: np.ndarray, k: int = 1, exclude_self: bool = False):
    """Exact distances from each row of A to its k nearest rows of B, sorted (n_A, k).

    With ``exclude_self`` (A is B), row i is not its own neighbour; its duplicates are.
    """
    n_b, dim = B.shape
    out = np.empty((len(A), k))
    step = max(1, min(_BLOCK // max(n_b, 1), _BLOCK // max(k * dim, 1)))
    for lo in range(0, len(A), step):
        block = A[lo:lo + step]
        D = _sq_dists(block, B)
        if exclude_self:
            D[np.arange(len(block)), np.arange(lo, lo + len(block))] = np.inf
        if k == 1:
            idx = np.argmin(D, axis=1)[:, None]
        elif k < n_b:
            idx = np.argpartition(D, k - 1, axis=1)[:, :k]
        else:
            idx = np.argsort(D, axis=1)
        exact = np.sqrt(((block[:, None, :] - B[idx]) ** 2).sum(axis=2))
        out[lo:lo + len(block)] = np.sort(exact, axis=1)
    return out


def _within(A: np.ndarray):
    """For rows A (n >= 2): each row's exact distance to its nearest other row, and the mean
    distance over all pairs of distinct rows, from one pass over the distance matrix."""
    n, dim = A.shape
    nearest = np.empty(n)
    total = 0.0
    step = max(1, min(_BLOCK // n, _BLOCK // max(dim, 1)))
    for lo in range(0, n, step):
        block = A[lo:lo + step]
        D = _sq_dists(block, A)
        diagonal = (np.arange(len(block)), np.arange(lo, lo + len(block)))
        D[diagonal] = 0.0
        total += float(np.sqrt(D).sum())
        D[diagonal] = np.inf
        other = A[np.argmin(D, axis=1)]
        nearest[lo:lo + len(block)] = np.sqrt(((block - other) ** 2).sum(axis=1))
    return nearest, total / (n * (n - 1))


def _mean_pairwise(A: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of distinct rows (NaN for fewer than 2 rows)."""
    if len(A) < 2:
        return float("nan")
    return _within(A)[1]


def _subsample(A: np.ndarray, max_samples: int, rng) -> np.ndarray:
    if len(A) <= max_samples:
        return A
    return A[np.sort(rng.choice(len(A), max_samples, replace=False))]


def _subsample_index(mask: np.ndarray, max_samples: int, rng) -> np.ndarray:
    index = np.flatnonzero(mask)
    if len(index) <= max_samples:
        return index
    return np.sort(rng.choice(index, max_samples, replace=False))
