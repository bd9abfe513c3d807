"""Per-class quality of generated rows: are they that class, varied, new, and did training collapse?

Every function takes the real data ``X_real, y_real`` (what the generator was trained on) and the
generated data ``X_synth, y_synth``, and answers per class:

- :func:`class_consistency`: the share of a class's generated rows that a classifier trained on
  the real data assigns to that class.
- :func:`frechet_distance`: the Fréchet distance between real and generated rows of a class in
  the feature space of that classifier (its penultimate layer), and over all classes.
- :func:`density_coverage`: density and coverage (Naeem et al., 2020) in the same feature space.
- :func:`copy_rate`: the share of generated rows that are near-copies of a real row, next to the
  same share for held-out real rows.
- :func:`variety`: the spread of the generated rows relative to the real spread.
- :func:`detect_collapse`: a cheap check (no classifier) for near-zero variety or near-copies.
- :func:`quality_report`: all of it in one :class:`pandas.DataFrame`, one row per class, and
  :func:`plot_quality_report` to draw it.

The user guide (``docs/user_guide/quality_report.md``) explains how to read the numbers.

Two spaces are used, and each metric says which:

*Raw space* (copy rate, variety, collapse): the rows standardised with the real data's
statistics, per feature for tabular rows, and with one global mean and standard deviation for
images (``image_shape`` given), so that distances are plain pixel distances up to one scale.
Near-copies are a question about the rows themselves, so they are measured there.

*Feature space* (Fréchet distance, density, coverage): the input of the last
:class:`torch.nn.Linear` layer (the penultimate activations) of a classifier trained on the real
data: :class:`~ganbalance.models.SmallCNN` for images, :class:`~ganbalance.models.MLP` with one
hidden layer of 64 units for tabular rows (see :func:`fit_feature_classifier`). Pretrained
Inception weights, the usual choice for FID, are not available offline and do not suit 8x8 or
28x28 digits or tabular rows; a small classifier trained on the data is the common practice
for MNIST.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d
from torch import nn

from ._random import child_seed, draw_seed
from ._validation import (
    check_float,
    check_image_shape,
    check_int,
    check_numeric_dtype,
    check_same_length,
)
from .classifier import TorchClassifier
from .models import MLP, SmallCNN

__all__ = [
    "class_consistency",
    "copy_rate",
    "density_coverage",
    "detect_collapse",
    "fit_feature_classifier",
    "frechet_distance",
    "plot_quality_report",
    "quality_report",
    "variety",
]

#: A class with fewer real rows than this is measured, for the copy threshold and for variety,
#: against the within-class reference of the classes that have at least this many.
MIN_REFERENCE_ROWS = 20

# Optimisation steps the default classifier trains for (whole epochs, at least one).
_TARGET_STEPS = 600
_BATCH_SIZE = 64
# Elements per block of a distance matrix, to bound memory (32 MB of float64).
_BLOCK = 2**22

# Keys of the seeds derived from random_state.
_SEED_CLASSIFIER, _SEED_SUBSAMPLE = 0, 1

_REPORT_COLUMNS = [
    "class", "n_real", "n_synthetic", "consistency", "frechet_distance", "density", "coverage",
    "copy_rate", "copy_rate_baseline", "variety", "collapse", "note",
]


# ---------------------------------------------------------------------- input checks


class _Data:
    """Validated inputs: float arrays (float32 kept), 1-d labels and the sorted real classes."""

    def __init__(self, X_real, y_real, X_synth, y_synth, image_shape, synth_finite=True):
        for X, y, x_name, y_name in ((X_real, y_real, "X_real", "y_real"),
                                     (X_synth, y_synth, "X_synth", "y_synth")):
            check_numeric_dtype(X, x_name)
            check_same_length(X, y, x_name, y_name)
        dtypes = [np.float64, np.float32]  # float32 stays float32 (large image sets)
        self.X_real = check_array(X_real, dtype=dtypes, input_name="X_real")
        self.X_synth = check_array(X_synth, dtype=dtypes, input_name="X_synth",
                                   ensure_min_samples=0,
                                   ensure_all_finite=True if synth_finite else False)
        if self.X_synth.shape[1] != self.X_real.shape[1]:
            raise ValueError(
                f"X_synth has {self.X_synth.shape[1]} features but X_real has "
                f"{self.X_real.shape[1]}; they must have the same columns."
            )
        self.y_real = column_or_1d(y_real, warn=False)
        check_classification_targets(self.y_real)
        self.y_synth = column_or_1d(y_synth, warn=False)
        self.classes = np.unique(self.y_real)
        if self.y_synth.size:
            unknown = np.setdiff1d(np.unique(self.y_synth), self.classes)
            if unknown.size:
                raise ValueError(
                    f"y_synth has labels {unknown.tolist()!r} that are not in y_real "
                    f"{self.classes.tolist()!r}."
                )
        self.image_shape = check_image_shape(image_shape, self.X_real.shape[1])
        self.labels = self.classes.tolist()

    def real(self, label):
        return self.y_real == label

    def synth(self, label):
        return self.y_synth == label


def _check_random_state(random_state) -> int:
    return draw_seed(random_state)


def _check_epochs(epochs, n_samples: int) -> int:
    if epochs is None:
        batches = math.ceil(n_samples / _BATCH_SIZE)
        return max(1, math.ceil(_TARGET_STEPS / batches))
    return check_int(epochs, "epochs", minimum=1)


def _check_feature_extractor(feature_extractor):
    if feature_extractor is None or callable(feature_extractor):
        return feature_extractor
    if isinstance(feature_extractor, str) and feature_extractor == "raw":
        return feature_extractor
    raise ValueError(
        "feature_extractor must be None (the classifier's penultimate layer), 'raw' or a "
        f"callable mapping X to a 2-d array; got {feature_extractor!r}."
    )


def _check_classifier(classifier):
    if classifier is None:
        return None
    if not hasattr(classifier, "predict"):
        raise TypeError(
            "classifier must be a fitted classifier with a predict method (for example the "
            f"result of fit_feature_classifier); got {type(classifier).__name__}."
        )
    check_is_fitted(classifier)
    return classifier


# ---------------------------------------------------------------------- spaces


class _Standardizer(TransformerMixin, BaseEstimator):
    """Standardise with the training data's statistics: per feature for tabular rows, one
    global mean and standard deviation for images (so pixel distances keep their meaning)."""

    def __init__(self, image_shape=None):
        self.image_shape = image_shape

    def fit(self, X, y=None):
        X = np.asarray(X)
        if self.image_shape is not None:
            mean, std = float(X.mean(dtype=np.float64)), float(X.std(dtype=np.float64))
            self.mean_ = mean
            self.scale_ = std if std > 0 else 1.0
        else:
            std = X.std(axis=0, dtype=np.float64)
            self.mean_ = X.mean(axis=0, dtype=np.float64)
            self.scale_ = np.where(std > 0, std, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = np.asarray(X)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        return ((X - self.mean_) / self.scale_).astype(dtype, copy=False)


def fit_feature_classifier(X, y, *, image_shape=None, epochs=None, device="auto",
                           random_state=None):
    """Train the classifier that defines the metrics' feature space and class consistency.

    A :class:`~sklearn.pipeline.Pipeline` of a standardisation step (per feature for tabular
    rows; one global mean and scale for images) and a
    :class:`~ganbalance.classifier.TorchClassifier`: :class:`~ganbalance.models.SmallCNN` when
    ``image_shape`` is given (its penultimate layer has 64 units), else an
    :class:`~ganbalance.models.MLP` with one hidden layer of 64 units. It trains with Adam
    (lr 1e-3), batches of 64 and ``class_weight='balanced'``, so that a class with a handful of
    rows still counts. Train it once and pass it as ``classifier=`` to the metric functions to
    compare several generators in the same feature space.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Real rows (flattened images when ``image_shape`` is set).
    y : array-like of shape (n_samples,)
        Their labels; at least two classes.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image (H and W >= 4), or None for tabular rows.
    epochs : int or None, default=None
        Training epochs. None trains for about 600 optimisation steps (at least one epoch).
    device : str, default='auto'
        'auto', 'cpu', 'cuda' or 'cuda:N'.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the classifier; an int gives the same classifier on CPU every time.

    Returns
    -------
    classifier : sklearn.pipeline.Pipeline
        The fitted pipeline; ``classifier[-1]`` is the TorchClassifier.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import fit_feature_classifier
    >>> X, y = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
    >>> clf = fit_feature_classifier(X, y, epochs=2, device="cpu", random_state=0)
    >>> clf.predict(X[:3]).shape
    (3,)
    """
    check_numeric_dtype(X, "X")
    check_same_length(X, y)
    X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    y = column_or_1d(y, warn=False)
    check_classification_targets(y)
    image_shape = check_image_shape(image_shape, X.shape[1])
    epochs = _check_epochs(epochs, len(X))
    if image_shape is not None:
        net = TorchClassifier(SmallCNN, image_shape=image_shape)
    else:
        net = TorchClassifier(MLP, module__hidden=64)
    net.set_params(lr=1e-3, max_epochs=epochs, batch_size=_BATCH_SIZE, class_weight="balanced",
                   device=device, random_state=random_state)
    return Pipeline([("standardize", _Standardizer(image_shape)), ("classifier", net)]).fit(X, y)


def _penultimate(classifier, X: np.ndarray) -> np.ndarray:
    """Input of the last nn.Linear of a fitted TorchClassifier (or a Pipeline ending in one)."""
    final = classifier
    if isinstance(classifier, Pipeline):
        final = classifier[-1]
        if len(classifier) > 1:
            X = np.asarray(classifier[:-1].transform(X))
    if not isinstance(final, TorchClassifier):
        raise TypeError(
            "feature_extractor=None takes the penultimate layer of classifier, which must then "
            "be a TorchClassifier or a Pipeline ending in one; got "
            f"{type(final).__name__}. Pass feature_extractor='raw' or a callable."
        )
    check_is_fitted(final)
    linears = [m for m in final.module_.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(
            "classifier's module has no torch.nn.Linear layer to take the penultimate "
            "activations from; pass feature_extractor='raw' or a callable."
        )
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.shape[1] != final.n_features_in_:
        raise ValueError(
            f"classifier expects {final.n_features_in_} features; got {X.shape[1]}."
        )
    image_shape = check_image_shape(final.image_shape, X.shape[1])
    captured = []

    def hook(module, args):
        captured.append(args[0].detach().flatten(1).to("cpu", torch.float64))

    module = final.module_
    device = torch.device(final.device_)
    was_training = module.training
    handle = linears[-1].register_forward_pre_hook(hook)
    module.eval()
    try:
        with torch.no_grad():
            for lo in range(0, len(X), 256):
                xb = torch.from_numpy(X[lo:lo + 256])
                if image_shape is not None:
                    xb = xb.reshape(len(xb), *image_shape)
                module(xb.to(device))
    finally:
        handle.remove()
        module.train(was_training)
    if not captured:
        return np.zeros((0, linears[-1].in_features))
    return torch.cat(captured).numpy()


def _feature_space(data: _Data, classifier, feature_extractor, epochs, device, seed):
    """Features of the real and synthetic rows, the classifier used and a description."""
    if feature_extractor == "raw":
        scaler = _Standardizer(data.image_shape).fit(data.X_real)
        return (scaler.transform(data.X_real).astype(np.float64, copy=False),
                scaler.transform(data.X_synth).astype(np.float64, copy=False), classifier,
                "standardised raw features")
    if callable(feature_extractor):
        out = []
        for X, name in ((data.X_real, "X_real"), (data.X_synth, "X_synth")):
            F = np.asarray(feature_extractor(X), dtype=np.float64)
            if F.ndim != 2 or len(F) != len(X):
                raise ValueError(
                    f"feature_extractor must return a 2-d array with one row per row of X; "
                    f"got shape {F.shape} for {name} with {len(X)} rows."
                )
            if not np.all(np.isfinite(F)):
                raise ValueError(f"feature_extractor returned non-finite values for {name}.")
            out.append(F)
        return out[0], out[1], classifier, "features from feature_extractor"
    if classifier is None:
        classifier = _default_classifier(data, epochs, device, seed)
        name = "SmallCNN" if data.image_shape is not None else "MLP"
        description = f"penultimate layer of a {name} trained on the real data"
    else:
        description = "penultimate layer of the given classifier"
    X_synth = data.X_synth
    F_synth = _penultimate(classifier, X_synth) if len(X_synth) else None
    F_real = _penultimate(classifier, data.X_real)
    if F_synth is None:
        F_synth = np.zeros((0, F_real.shape[1]))
    return F_real, F_synth, classifier, description


def _default_classifier(data: _Data, epochs, device, seed):
    return fit_feature_classifier(data.X_real, data.y_real, image_shape=data.image_shape,
                                  epochs=epochs, device=device,
                                  random_state=child_seed(seed, _SEED_CLASSIFIER))


# ---------------------------------------------------------------------- distances


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


# ---------------------------------------------------------------------- raw-space statistics


def _raw_stats(data: _Data, quantile: float, max_samples: int, seed: int,
               synth_rows=None) -> dict:
    """Copy rate, its baseline and variety per class, in the standardised raw space.

    See :func:`copy_rate` and :func:`variety` for the definitions. ``synth_rows`` (a boolean
    mask) restricts the synthetic rows used, e.g. to the finite ones.
    """
    rng = np.random.default_rng(child_seed(seed, _SEED_SUBSAMPLE))
    if data.image_shape is None:
        scaler = _Standardizer(None).fit(data.X_real)

        def space(X):
            return scaler.transform(X)
    else:
        # One global shift and scale changes every distance by the same factor, which
        # thresholds and ratios do not see: plain pixel values give the same results.
        def space(X):
            return np.asarray(X, dtype=np.float64)
    keep = np.ones(len(data.X_synth), bool) if synth_rows is None else synth_rows

    real = {c: space(data.X_real[_subsample_index(data.real(c), max_samples, rng)])
            for c in data.labels}
    synth = {c: space(data.X_synth[_subsample_index(data.synth(c) & keep, max_samples, rng)])
             for c in data.labels}
    within = {c: _within(R) for c, R in real.items() if len(R) >= 2}
    loo = {c: w[0] for c, w in within.items()}
    spread = {c: w[1] for c, w in within.items()}
    reference = [c for c in loo if len(real[c]) >= MIN_REFERENCE_ROWS] or list(loo)
    if reference:
        pooled_loo = np.concatenate([loo[c] for c in reference])
        pooled_spread = float(np.mean([spread[c] for c in reference]))
    elif len(data.X_real) >= 2:  # every class has one row: use all real rows as one group
        group = space(data.X_real[_subsample_index(np.ones(len(data.X_real), bool),
                                                   max_samples, rng)])
        pooled_loo, pooled_spread = _within(group)
    else:
        pooled_loo, pooled_spread = np.zeros(0), float("nan")
    pooled_tau = float(np.quantile(pooled_loo, quantile)) if len(pooled_loo) else 0.0
    # An absolute tolerance so that float32 round trips of a real row still count as copies.
    used = np.concatenate(list(real.values()))
    atol = 1e-6 * math.sqrt(float(np.mean(np.einsum("ij,ij->i", used, used))))

    stats = {}
    for c in data.labels:
        R, S = real[c], synth[c]
        own = len(R) >= MIN_REFERENCE_ROWS
        tau = float(np.quantile(loo[c], quantile)) if own else pooled_tau
        if len(R) >= 2:
            baseline = float(np.mean(loo[c] <= tau + atol))
        elif len(pooled_loo):
            baseline = float(np.mean(pooled_loo <= tau + atol))
        else:
            baseline = float("nan")
        ref_spread = spread[c] if own else pooled_spread
        rate = vary = float("nan")
        if len(S):
            rate = float(np.mean(_nearest(S, R, 1)[:, 0] <= tau + atol))
        if len(S) >= 2:
            synth_spread = _mean_pairwise(S)
            if ref_spread > 0:
                vary = synth_spread / ref_spread
            elif ref_spread == 0:
                vary = 0.0 if synth_spread == 0 else float("inf")
        stats[c] = {"copy_rate": rate, "copy_rate_baseline": baseline, "variety": vary,
                    "own_reference": own, "threshold": tau}
    return stats


def _collapse_reasons(stats: dict, min_variety: float, max_copy_rate: float) -> list[str]:
    reasons = []
    if stats["variety"] < min_variety:
        reasons.append(
            f"variety {stats['variety']:.2f} < {min_variety:g}: the generated rows are nearly "
            "identical to each other"
        )
    baseline = stats["copy_rate_baseline"]
    if stats["copy_rate"] >= max_copy_rate and not baseline >= 0.5:
        reasons.append(
            f"copy rate {stats['copy_rate']:.2f} >= {max_copy_rate:g}: the generated rows are "
            "near-copies of real rows"
        )
    return reasons


# ---------------------------------------------------------------------- feature-space statistics


def _frechet(mu1, cov1, mu2, cov2) -> float:
    """Fréchet distance between two Gaussians, via the symmetric form of tr sqrt(C1 C2)."""
    w, V = np.linalg.eigh(cov1)
    root1 = (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T
    M = root1 @ cov2 @ root1
    cross = float(np.sqrt(np.clip(np.linalg.eigvalsh((M + M.T) / 2.0), 0.0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * cross)
    return max(value, 0.0)


def _shrunk_cov(F: np.ndarray, pooled: np.ndarray, shrinkage: float):
    """((n - 1) S + shrinkage * pooled) / (n - 1 + shrinkage); None when undefined."""
    n = len(F)
    denom = n - 1 + shrinkage
    if n == 0 or denom <= 0:
        return None
    C = F - F.mean(axis=0)
    return (C.T @ C + shrinkage * pooled) / denom


def _weighted_moments(F: np.ndarray, labels: np.ndarray, classes):
    """Mean and covariance with every class weighted equally (NaN cov if undefined)."""
    weights = np.zeros(len(F))
    for c in classes:
        mask = labels == c
        weights[mask] = 1.0 / (len(classes) * mask.sum())
    mu = weights @ F
    C = F - mu
    denom = 1.0 - float(np.sum(weights**2))
    if denom <= 0:
        return mu, None
    return mu, (C.T * weights) @ C / denom


def _frechet_stats(data: _Data, F_real, F_synth, shrinkage: float):
    """Per-class Fréchet distances (dict) and the overall, class-balanced one (float)."""
    dim = F_real.shape[1]
    scatter, dof = np.zeros((dim, dim)), 0
    for c in data.labels:
        Fc = F_real[data.real(c)]
        if len(Fc) >= 2:
            C = Fc - Fc.mean(axis=0)
            scatter += C.T @ C
            dof += len(Fc) - 1
    if dof:
        pooled = scatter / dof
    elif len(F_real) >= 2:
        pooled = np.cov(F_real, rowvar=False).reshape(dim, dim)
    else:
        pooled = np.zeros((dim, dim))
    per_class = {}
    for c in data.labels:
        Fr, Fs = F_real[data.real(c)], F_synth[data.synth(c)]
        cov_r, cov_s = _shrunk_cov(Fr, pooled, shrinkage), _shrunk_cov(Fs, pooled, shrinkage)
        if cov_r is None or cov_s is None:
            per_class[c] = float("nan")
        else:
            per_class[c] = _frechet(Fr.mean(axis=0), cov_r, Fs.mean(axis=0), cov_s)
    present = [c for c in data.labels if data.synth(c).any()]
    overall = float("nan")
    if present:
        in_real = np.isin(data.y_real, present)
        mu_r, cov_r = _weighted_moments(F_real[in_real], data.y_real[in_real], present)
        mu_s, cov_s = _weighted_moments(F_synth, data.y_synth, present)
        if cov_r is not None and cov_s is not None:
            overall = _frechet(mu_r, cov_r, mu_s, cov_s)
    return per_class, overall


def _density_coverage_stats(data: _Data, F_real, F_synth, k: int, max_samples: int, seed: int):
    """Per class: (density, coverage, k used)."""
    rng = np.random.default_rng(child_seed(seed, _SEED_SUBSAMPLE, 1))
    out = {}
    for c in data.labels:
        R = _subsample(F_real[data.real(c)], max_samples, rng)
        S = _subsample(F_synth[data.synth(c)], max_samples, rng)
        k_used = min(k, len(R) - 1)
        if k_used < 1 or len(S) == 0:
            out[c] = (float("nan"), float("nan"), max(k_used, 0))
            continue
        radii = _nearest(R, R, k_used, exclude_self=True)[:, -1]
        inside_count, covered = 0, np.zeros(len(R), bool)
        step = max(1, _BLOCK // len(R))
        for lo in range(0, len(S), step):
            inside = np.sqrt(_sq_dists(S[lo:lo + step], R)) <= radii[None, :]
            inside_count += int(inside.sum())
            covered |= inside.any(axis=0)
        out[c] = (inside_count / (k_used * len(S)), float(covered.mean()), k_used)
    return out


# ---------------------------------------------------------------------- public metrics


def class_consistency(X_real, y_real, X_synth, y_synth, *, classifier=None, image_shape=None,
                      epochs=None, device="auto", random_state=None) -> dict:
    """Share of each class's generated rows that a classifier trained on the real data keeps in
    that class.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
        Real rows, the data the generator was trained on.
    y_real : array-like of shape (n_real,)
        Their labels.
    X_synth : array-like of shape (n_synth, n_features)
        Generated rows.
    y_synth : array-like of shape (n_synth,)
        The class each generated row was generated for; every label must occur in ``y_real``.
    classifier : fitted classifier or None, default=None
        Any fitted classifier that takes raw rows, for example from
        :func:`fit_feature_classifier`. None trains one on ``X_real, y_real`` with
        :func:`fit_feature_classifier`.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image when the rows are flattened images.
    epochs : int or None, default=None
        Epochs of the default classifier (None: about 600 optimisation steps).
    device : str, default='auto'
        Device of the default classifier.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the default classifier.

    Returns
    -------
    consistency : dict
        Each class of ``y_real`` mapped to the share of its generated rows predicted as that
        class; NaN for a class without generated rows.

    Examples
    --------
    Any fitted classifier works; by default a small network is trained on the real data.

    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from ganbalance.metrics import class_consistency
    >>> X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    >>> clf = LogisticRegression().fit(X[:60], y[:60])
    >>> scores = class_consistency(X[:60], y[:60], X[60:], y[60:], classifier=clf)
    >>> sorted(scores)
    [0, 1, 2]
    >>> all(s > 0.9 for s in scores.values())
    True
    """
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    classifier = _check_classifier(classifier)
    seed = _check_random_state(random_state)
    if classifier is None:
        epochs = _check_epochs(epochs, len(data.X_real))
        classifier = _default_classifier(data, epochs, device, seed)
    return _consistency(data, classifier)


def _consistency(data: _Data, classifier) -> dict:
    pred = classifier.predict(data.X_synth) if len(data.X_synth) else np.zeros(0)
    pred = np.asarray(pred)
    out = {}
    for c in data.labels:
        mask = data.synth(c)
        out[c] = float(np.mean(pred[mask] == c)) if mask.any() else float("nan")
    return out


def frechet_distance(X_real, y_real, X_synth, y_synth, *, per_class=True, classifier=None,
                     feature_extractor=None, image_shape=None, shrinkage=5.0, epochs=None,
                     device="auto", random_state=None):
    """Fréchet distance between real and generated rows in a classifier's feature space.

    Each set of feature vectors is summarised by its mean and covariance and the distance
    between the two Gaussians is ``|mu_r - mu_s|^2 + tr(C_r + C_s - 2 (C_r C_s)^(1/2))`` (as
    in FID, with a small classifier trained on the real data in place of Inception).

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
    per_class : bool, default=True
        True: one distance per class. False: one overall distance between the real and the
        generated rows of the classes that have generated rows, each class weighted equally
        in both sets (the real data's imbalance does not count).
    classifier : fitted classifier or None, default=None
        A :class:`~ganbalance.classifier.TorchClassifier` or a Pipeline ending in one, such as
        :func:`fit_feature_classifier` returns; the features are the input of its last
        :class:`torch.nn.Linear` layer. None trains one on the real data.
    feature_extractor : None, 'raw' or callable, default=None
        None: the classifier's penultimate layer. 'raw': the standardised rows themselves. A
        callable maps an array of rows to a 2-d array of features.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image when the rows are flattened images.
    shrinkage : float, default=5.0
        Per-class covariances are shrunk towards the pooled within-class covariance of the
        real data, ``C = ((n - 1) S + shrinkage * C_pooled) / (n - 1 + shrinkage)``, so that a
        class with one to a few rows still has a covariance. 0 disables it (a class with fewer
        than 2 real or generated rows then gets NaN). Not used for the overall distance.
    epochs, device, random_state
        For the default classifier, as in :func:`fit_feature_classifier`.

    Returns
    -------
    distance : dict or float
        With ``per_class``, each class of ``y_real`` mapped to its distance (NaN without
        generated rows); otherwise the overall distance.

    Notes
    -----
    Like FID, the estimate is biased upwards when there are few rows, and it depends on the
    classifier: compare generators with the same ``classifier`` and the same numbers of rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import frechet_distance
    >>> X, y = make_blobs(n_samples=200, centers=2, n_features=3, random_state=0)
    >>> noise = np.random.default_rng(0).uniform(-10, 10, size=(100, 3))
    >>> close = frechet_distance(X[:100], y[:100], X[100:], y[100:], per_class=False,
    ...                          feature_extractor="raw")
    >>> far = frechet_distance(X[:100], y[:100], noise, y[100:], per_class=False,
    ...                        feature_extractor="raw")
    >>> bool(far > 10 * close)
    True
    """
    if not isinstance(per_class, (bool, np.bool_)):
        raise TypeError(f"per_class must be a bool; got {type(per_class).__name__}.")
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    classifier = _check_classifier(classifier)
    feature_extractor = _check_feature_extractor(feature_extractor)
    shrinkage = check_float(shrinkage, "shrinkage", low=0.0)
    seed = _check_random_state(random_state)
    epochs = _check_epochs(epochs, len(data.X_real))
    F_real, F_synth, _, _ = _feature_space(data, classifier, feature_extractor, epochs, device,
                                           seed)
    per, overall = _frechet_stats(data, F_real, F_synth, shrinkage)
    return per if per_class else overall


def density_coverage(X_real, y_real, X_synth, y_synth, *, k=5, classifier=None,
                     feature_extractor=None, image_shape=None, max_samples=1000, epochs=None,
                     device="auto", random_state=None):
    """Density and coverage of each class's generated rows (Naeem et al., 2020).

    For a class with real feature vectors ``R`` and generated ones ``S``, every real row gets a
    ball reaching its ``k``-th nearest real neighbour (of the same class). Then

    - density = (number of (generated row, real ball) pairs with the row inside the ball)
      / (k ``|S|``): about 1 when ``S`` is distributed like ``R``, below 1 when generated rows
      sit away from the real ones, above 1 when they crowd where the real rows are densest;
    - coverage = share of real rows whose ball holds at least one generated row: about
      ``1 - 2**-k`` for a fresh sample of as many rows as ``R``, lower when generated rows miss
      parts of the class (mode dropping).

    They refine precision and recall (Kynkäänniemi et al., 2019) and are less sensitive to
    outliers.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
    k : int, default=5
        Neighbours that set each ball's radius; clipped to the class's real rows minus one.
    classifier, feature_extractor, image_shape
        The feature space, as in :func:`frechet_distance`.
    max_samples : int, default=1000
        At most this many real and generated rows per class are used (drawn at random).
    epochs, device, random_state
        For the default classifier, as in :func:`fit_feature_classifier`; ``random_state``
        also draws the subsamples.

    Returns
    -------
    density : dict
        Each class of ``y_real`` mapped to its density; NaN for a class with fewer than 2 real
        rows or no generated rows.
    coverage : dict
        Likewise for coverage.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import density_coverage
    >>> X, y = make_blobs(n_samples=400, centers=2, n_features=2, random_state=0)
    >>> density, coverage = density_coverage(X[:200], y[:200], X[200:], y[200:],
    ...                                      feature_extractor="raw")
    >>> all(0.7 < d < 1.3 for d in density.values()), all(c > 0.9 for c in coverage.values())
    (True, True)
    """
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    classifier = _check_classifier(classifier)
    feature_extractor = _check_feature_extractor(feature_extractor)
    k = check_int(k, "k", minimum=1)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    seed = _check_random_state(random_state)
    epochs = _check_epochs(epochs, len(data.X_real))
    F_real, F_synth, _, _ = _feature_space(data, classifier, feature_extractor, epochs, device,
                                           seed)
    stats = _density_coverage_stats(data, F_real, F_synth, k, max_samples, seed)
    return ({c: v[0] for c, v in stats.items()}, {c: v[1] for c, v in stats.items()})


def copy_rate(X_real, y_real, X_synth, y_synth, *, image_shape=None, copy_quantile=0.05,
              max_samples=1000, return_baseline=False, random_state=0):
    """Share of each class's generated rows that are near-copies of a real row of the class.

    Computed in the standardised raw space (see the module notes), because a copy is a
    statement about the rows themselves. For a class ``c``:

    1. each real row's distance to its nearest *other* real row of ``c`` is measured (the
       leave-one-out nearest-neighbour distances);
    2. the copy threshold ``t_c`` is their ``copy_quantile`` quantile (default the 5th
       percentile). A class with fewer than ``MIN_REFERENCE_ROWS`` (20) real rows has too
       few distances for a quantile: it uses the distances of all classes with at least 20
       rows pooled (failing that, of all classes with 2 or more, and failing that, of all real
       rows regardless of class);
    3. a generated row of ``c`` is a *copy* when its distance to the nearest real row of ``c``
       is at most ``t_c``: it is closer to a real row than 95% of real rows are to their
       nearest real neighbour.

    The *baseline* is the same statistic for real rows held out one at a time: the share of
    the class's leave-one-out distances at most ``t_c`` (about ``copy_quantile`` for a class
    with its own threshold; for a class with one real row, the pooled distances are used). A
    generator that draws fresh rows from the class's distribution scores near the baseline;
    exact or near-exact replays of real rows (a GAN replaying a one-shot class's only image)
    score 1.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image: the rows are then standardised with one global mean and scale
        (pixel distances), instead of per feature.
    copy_quantile : float in (0, 1), default=0.05
        Quantile of the real nearest-neighbour distances that sets the threshold.
    max_samples : int, default=1000
        At most this many real and generated rows per class are used, drawn at random (both
        the distances to real rows and the baseline use the same real subsample).
    return_baseline : bool, default=False
        Also return the baselines.
    random_state : int, RandomState, Generator or None, default=0
        Draws the subsamples (only used for classes above ``max_samples``).

    Returns
    -------
    rate : dict
        Each class of ``y_real`` mapped to its copy rate; NaN without generated rows.
    baseline : dict
        Only with ``return_baseline``: the held-out real baseline of each class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import copy_rate
    >>> X, y = make_blobs(n_samples=400, centers=2, n_features=5, random_state=0)
    >>> copies = np.repeat(X[:1], 50, axis=0)  # the same real row, replayed
    >>> copy_rate(X, y, copies, np.full(50, y[0]))[int(y[0])]
    1.0
    >>> fresh, base = copy_rate(X[:200], y[:200], X[200:], y[200:], return_baseline=True)
    >>> all(abs(fresh[c] - base[c]) < 0.1 for c in fresh)
    True
    """
    if not isinstance(return_baseline, (bool, np.bool_)):
        raise TypeError(
            f"return_baseline must be a bool; got {type(return_baseline).__name__}."
        )
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    copy_quantile = _check_quantile(copy_quantile)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    stats = _raw_stats(data, copy_quantile, max_samples, _check_random_state(random_state))
    rate = {c: s["copy_rate"] for c, s in stats.items()}
    if return_baseline:
        return rate, {c: s["copy_rate_baseline"] for c, s in stats.items()}
    return rate


def _check_quantile(value) -> float:
    value = check_float(value, "copy_quantile", low=0.0, high=1.0, low_inclusive=False)
    if value >= 1.0:
        raise ValueError(f"copy_quantile must be < 1; got {value}.")
    return value


def variety(X_real, y_real, X_synth, y_synth, *, image_shape=None, max_samples=1000,
            random_state=0) -> dict:
    """Spread of each class's generated rows relative to the real spread.

    variety = (mean distance between two generated rows of the class) / (mean distance between
    two real rows of the class), in the standardised raw space of :func:`copy_rate`. About 1 for
    rows as varied as the real ones, near 0 when the generator collapsed to (nearly) one output.
    A class with fewer than ``MIN_REFERENCE_ROWS`` (20) real rows is compared with the mean
    within-class spread of the classes that have at least 20 (with one real row there is no
    spread to compare with), so for a few-shot class it reads "as varied as a class of this
    data set usually is".

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image (global instead of per-feature standardisation).
    max_samples : int, default=1000
        At most this many real and generated rows per class are used, drawn at random.
    random_state : int, RandomState, Generator or None, default=0
        Draws the subsamples.

    Returns
    -------
    variety : dict
        Each class of ``y_real`` mapped to its variety; NaN for a class with fewer than 2
        generated rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import variety
    >>> X, y = make_blobs(n_samples=200, centers=2, n_features=3, random_state=0)
    >>> collapsed = np.repeat(X[:1], 20, axis=0) + 1e-3
    >>> variety(X, y, collapsed, np.full(20, y[0]))[int(y[0])] < 0.01
    True
    """
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    stats = _raw_stats(data, 0.05, max_samples, _check_random_state(random_state))
    return {c: s["variety"] for c, s in stats.items()}


def detect_collapse(X_real, y_real, X_synth, y_synth, *, image_shape=None, min_variety=0.1,
                    max_copy_rate=0.9, copy_quantile=0.05, max_samples=1000,
                    random_state=0) -> dict:
    """Classes whose generated rows show clear collapse, with the reason; cheap (no training).

    A class is flagged when its generated rows

    - hold NaN or infinite values;
    - have :func:`variety` below ``min_variety`` (the generator draws nearly one output); or
    - have a :func:`copy_rate` of at least ``max_copy_rate`` (near-copies of real rows), unless
      the real rows of the class are themselves that close to each other (a copy-rate baseline
      of 0.5 or more, as for data with many duplicate rows).

    It is meant for the end of ``fit`` (``GANOverSampler`` raises
    :class:`~ganbalance.exceptions.GANCollapseWarning` with these reasons) and costs a few
    nearest-neighbour searches on at most ``max_samples`` rows per class.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
        ``X_synth`` may hold non-finite values (they are reported).
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image (global instead of per-feature standardisation).
    min_variety : float, default=0.1
        Flag a class whose variety is below this.
    max_copy_rate : float in (0, 1], default=0.9
        Flag a class whose copy rate is at least this.
    copy_quantile : float in (0, 1), default=0.05
        Sets the copy threshold, as in :func:`copy_rate`.
    max_samples : int, default=1000
        At most this many real and generated rows per class are used.
    random_state : int, RandomState, Generator or None, default=0
        Draws the subsamples.

    Returns
    -------
    collapsed : dict
        The flagged classes mapped to a sentence giving the reasons; empty when nothing
        collapsed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import detect_collapse
    >>> X, y = make_blobs(n_samples=200, centers=2, n_features=3, random_state=0)
    >>> detect_collapse(X[:100], y[:100], X[100:], y[100:])  # fresh real rows: fine
    {}
    >>> replay = np.repeat(X[:1], 30, axis=0)  # one real row, replayed 30 times
    >>> reasons = detect_collapse(X, y, replay, np.full(30, y[0]))
    >>> list(reasons) == [y[0]], "copy rate" in reasons[y[0]]
    (True, True)
    """
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape, synth_finite=False)
    min_variety = check_float(min_variety, "min_variety", low=0.0)
    max_copy_rate = check_float(max_copy_rate, "max_copy_rate", low=0.0, high=1.0,
                                low_inclusive=False)
    copy_quantile = _check_quantile(copy_quantile)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    finite = np.all(np.isfinite(data.X_synth), axis=1)
    stats = _raw_stats(data, copy_quantile, max_samples, _check_random_state(random_state),
                       synth_rows=finite)
    collapsed = {}
    for c in data.labels:
        mask = data.synth(c)
        reasons = []
        n_bad = int(np.sum(mask & ~finite))
        if n_bad:
            reasons.append(f"{n_bad} of {int(mask.sum())} generated rows are not finite")
        reasons += _collapse_reasons(stats[c], min_variety, max_copy_rate)
        if reasons:
            collapsed[c] = "; ".join(reasons) + "."
    return collapsed


# ---------------------------------------------------------------------- report


def quality_report(X_real, y_real, X_synth, y_synth, *, image_shape=None, classifier=None,
                   feature_extractor=None, k=5, copy_quantile=0.05, shrinkage=5.0,
                   min_variety=0.1, max_copy_rate=0.9, max_samples=1000, epochs=None,
                   device="auto", random_state=None):
    """Every metric of this module for each class, in one :class:`pandas.DataFrame`.

    The classifier is trained once (unless given) and used for consistency and for the
    feature space of the Fréchet distance, density and coverage.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
        Real rows, the data the generator was trained on.
    y_real : array-like of shape (n_real,)
        Their labels.
    X_synth : array-like of shape (n_synth, n_features)
        Generated rows.
    y_synth : array-like of shape (n_synth,)
        The class each row was generated for; labels must occur in ``y_real``.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image when the rows are flattened images: SmallCNN features and pixel
        distances. None: tabular rows, MLP features and per-feature standardisation.
    classifier : fitted classifier or None, default=None
        Reused instead of training one, e.g. from :func:`fit_feature_classifier`; pass the
        same one to compare generators. Its penultimate layer is the feature space unless
        ``feature_extractor`` says otherwise.
    feature_extractor : None, 'raw' or callable, default=None
        The feature space, as in :func:`frechet_distance`.
    k : int, default=5
        Neighbours for density and coverage.
    copy_quantile : float in (0, 1), default=0.05
        Sets the copy threshold (see :func:`copy_rate`).
    shrinkage : float, default=5.0
        Covariance shrinkage of the per-class Fréchet distance.
    min_variety, max_copy_rate : float, default=0.1, 0.9
        Thresholds of the ``collapse`` column (see :func:`detect_collapse`).
    max_samples : int, default=1000
        At most this many real and generated rows per class for the neighbour-based metrics.
    epochs : int or None, default=None
        Epochs of the default classifier (None: about 600 optimisation steps).
    device : str, default='auto'
        Device of the default classifier.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the default classifier and the subsamples.

    Returns
    -------
    report : pandas.DataFrame
        One row per class of ``y_real``, in sorted order, with the columns ``class``,
        ``n_real``, ``n_synthetic``, ``consistency``, ``frechet_distance``, ``density``,
        ``coverage``, ``copy_rate``, ``copy_rate_baseline``, ``variety``, ``collapse`` (bool)
        and ``note`` (caveats and collapse reasons, '' when none). Metrics are NaN where they
        are undefined (a class without generated rows, density with one real row).
        ``report.attrs`` holds ``frechet_distance_overall`` (class-balanced, over the classes
        with generated rows), ``feature_space`` (a description) and the parameters used.

    See Also
    --------
    plot_quality_report : Draw the report.

    Examples
    --------
    Without ``classifier`` a small network is trained on the real data (a few seconds); here
    a logistic regression and the standardised rows keep the example instant.

    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from ganbalance.metrics import quality_report
    >>> X, y = make_blobs(n_samples=160, centers=2, n_features=4, random_state=0)
    >>> clf = LogisticRegression().fit(X[:80], y[:80])
    >>> report = quality_report(X[:80], y[:80], X[80:], y[80:], classifier=clf,
    ...                         feature_extractor="raw", random_state=0)
    >>> report[["class", "n_real", "n_synthetic", "collapse"]]
       class  n_real  n_synthetic  collapse
    0      0      40           40     False
    1      1      40           40     False
    >>> bool((report["consistency"] > 0.9).all())
    True
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "quality_report returns a pandas DataFrame and needs pandas: "
            "pip install pandas (or ganbalance[examples])."
        ) from exc
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    classifier = _check_classifier(classifier)
    feature_extractor = _check_feature_extractor(feature_extractor)
    k = check_int(k, "k", minimum=1)
    copy_quantile = _check_quantile(copy_quantile)
    shrinkage = check_float(shrinkage, "shrinkage", low=0.0)
    min_variety = check_float(min_variety, "min_variety", low=0.0)
    max_copy_rate = check_float(max_copy_rate, "max_copy_rate", low=0.0, high=1.0,
                                low_inclusive=False)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    seed = _check_random_state(random_state)
    epochs = _check_epochs(epochs, len(data.X_real))
    if classifier is None:
        classifier = _default_classifier(data, epochs, device, seed)
        name = "SmallCNN" if data.image_shape is not None else "MLP"
        description = f"penultimate layer of a {name} trained on the real data"
    else:
        description = "penultimate layer of the given classifier"
    F_real, F_synth, _, fs_description = _feature_space(data, classifier, feature_extractor,
                                                        epochs, device, seed)
    if feature_extractor is not None:
        description = fs_description

    consistency = _consistency(data, classifier)
    frechet, overall = _frechet_stats(data, F_real, F_synth, shrinkage)
    dens_cov = _density_coverage_stats(data, F_real, F_synth, k, max_samples, seed)
    raw = _raw_stats(data, copy_quantile, max_samples, seed)

    rows = []
    for c in data.labels:
        n_real, n_synth = int(data.real(c).sum()), int(data.synth(c).sum())
        density, coverage, k_used = dens_cov[c]
        notes = []
        reasons = _collapse_reasons(raw[c], min_variety, max_copy_rate) if n_synth else []
        if n_synth == 0:
            notes.append("no synthetic rows")
        else:
            if n_real < MIN_REFERENCE_ROWS:
                notes.append(
                    f"{n_real} real row{'s' if n_real != 1 else ''} (< {MIN_REFERENCE_ROWS}): "
                    "copy threshold and variety measured against the larger classes"
                )
            if n_real < 2:
                notes.append("density and coverage need 2 real rows; " + (
                    "Fréchet distance uses the pooled real covariance" if shrinkage > 0
                    else "Fréchet distance needs 2 real rows without shrinkage"))
            elif k_used < k:
                notes.append(f"density and coverage with k={k_used}")
        if reasons:
            notes.append("collapse: " + "; ".join(reasons))
        rows.append({
            "class": c, "n_real": n_real, "n_synthetic": n_synth,
            "consistency": consistency[c], "frechet_distance": frechet[c],
            "density": density, "coverage": coverage,
            "copy_rate": raw[c]["copy_rate"], "copy_rate_baseline": raw[c]["copy_rate_baseline"],
            "variety": raw[c]["variety"], "collapse": bool(reasons), "note": "; ".join(notes),
        })
    report = pd.DataFrame(rows, columns=_REPORT_COLUMNS)
    report.attrs.update({
        "frechet_distance_overall": overall,
        "feature_space": description,
        "k": k, "copy_quantile": copy_quantile, "shrinkage": shrinkage,
        "min_variety": min_variety, "max_copy_rate": max_copy_rate,
        "max_samples": max_samples,
    })
    return report


def plot_quality_report(report, ax=None):
    """Draw a :func:`quality_report` as grouped bars, one group per class with generated rows.

    Bars show consistency, density, coverage, copy rate and variety; a black tick on each copy
    rate bar marks its baseline; dashed lines mark 1 and the ``min_variety`` threshold. A metric
    that is NaN for a class (density and coverage need two real rows) gets no bar but an "n/a"
    in its place, a bar too short to see has its value written instead, and a metric that is
    NaN for every class shown gets no legend entry. The
    x-axis labels give the class, its real and generated row counts and the Fréchet distance
    (FD); collapsed classes are labelled in red. The x-axis title says what FD is measured in
    and when consistency means something.

    Parameters
    ----------
    report : pandas.DataFrame
        The output of :func:`quality_report` (rows may be filtered).
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ganbalance.metrics import plot_quality_report
    >>> report = pd.DataFrame({"class": [0, 1], "n_real": [50, 3], "n_synthetic": [0, 47],
    ...     "consistency": [float("nan"), 0.9], "frechet_distance": [float("nan"), 2.0],
    ...     "density": [float("nan"), 0.8], "coverage": [float("nan"), 0.7],
    ...     "copy_rate": [float("nan"), 0.1], "copy_rate_baseline": [float("nan"), 0.0],
    ...     "variety": [float("nan"), 0.6], "collapse": [False, False], "note": ["", ""]})
    >>> fig = plot_quality_report(report)
    >>> len(fig.axes)
    1
    """
    missing = [c for c in _REPORT_COLUMNS if c not in getattr(report, "columns", [])]
    if missing:
        raise ValueError(
            f"report must be a DataFrame from quality_report; it lacks the columns {missing}."
        )
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plot_quality_report needs matplotlib: pip install matplotlib (or "
            "ganbalance[examples])."
        ) from exc
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(6.5, 1.4 * len(report) + 4.0), 4.4))
    else:
        fig = ax.figure
    shown = report[report["n_synthetic"] > 0]
    if shown.empty:
        ax.text(0.5, 0.5, "no synthetic rows", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    metrics = [("consistency", "consistency"), ("density", "density"),
               ("coverage", "coverage"), ("copy_rate", "copy rate"), ("variety", "variety")]
    n_metrics = len(metrics)
    width = 0.8 / n_metrics
    x = np.arange(len(shown))
    top = np.nanmax(shown[[m for m, _ in metrics]].to_numpy(dtype=float))
    top = max(1.1, float(top) * 1.05) if np.isfinite(top) else 1.1
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", [None] * n_metrics)
    for i, (column, label) in enumerate(metrics):
        values = shown[column].to_numpy(dtype=float)
        where = x + (i - (n_metrics - 1) / 2) * width
        finite = np.isfinite(values)
        if finite.any():  # a legend entry only for a metric that has a bar
            ax.bar(where[finite], values[finite], width, label=label,
                   color=colors[i % len(colors)])
        # No bar to see: say so where it would be (NaN), or give the value (zero or tiny).
        for xi, value in zip(where, values, strict=True):
            if not np.isfinite(value) or value < 0.02 * top:
                text = f"{label}: n/a" if not np.isfinite(value) else f"{label}: {value:.2g}"
                ax.text(xi, 0.01 * top, text, ha="center", va="bottom", fontsize=7,
                        rotation=90, color="dimgrey")
        if column == "copy_rate":
            base = shown["copy_rate_baseline"].to_numpy(dtype=float)
            if np.isfinite(base).any():
                ax.scatter(where, base, marker="_", s=120, color="black", zorder=3,
                           label="copy rate of held-out real rows")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    min_variety = report.attrs.get("min_variety")
    if isinstance(min_variety, numbers.Real):
        ax.axhline(float(min_variety), color="tab:red", lw=0.8, ls=":",
                   label="collapse below this variety")
    labels = []
    for _, row in shown.iterrows():
        fd = row["frechet_distance"]
        fd_text = "FD n/a" if not np.isfinite(fd) else f"FD {fd:.3g}"
        labels.append(f"class {row['class']}\n{row['n_real']} real, {row['n_synthetic']} new\n"
                      f"{fd_text}")
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=8)
    for tick, collapsed in zip(ax.get_xticklabels(), shown["collapse"].to_numpy(), strict=True):
        if collapsed:
            tick.set_color("tab:red")
    ax.set_ylim(0, top)
    ax.set_ylabel("score (0 to 1; variety is a ratio)")
    ax.set_xlabel(_QUALITY_EXPLANATION, fontsize=7)
    ax.set_title("Quality of the generated rows, per class")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


#: What the numbers of a quality report mean, for figures and result pages.
_QUALITY_EXPLANATION = (
    "FD: Fréchet distance between real and generated rows in the penultimate layer (64 units by\n"
    "default) of a classifier trained on the real data; squared feature units, no absolute\n"
    "scale: compare only under the same classifier and row counts, lower is closer.\n"
    "Consistency: share of generated rows that classifier assigns to their class; it says\n"
    "little for a class with a few real rows, which the classifier knows only from them."
)
