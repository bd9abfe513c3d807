"""Feature-space statistics: class consistency, Fréchet distance, density and coverage, each
measured with the classifier of :func:`~ganbalance.metrics.fit_feature_classifier` (see the
package notes on the two spaces)."""

from __future__ import annotations

import numpy as np

from .._random import child_seed
from .._validation import check_float, check_int
from ._inputs import (
    _SEED_SUBSAMPLE,
    _check_classifier,
    _check_epochs,
    _check_feature_extractor,
    _check_random_state,
    _Data,
)
from ._neighbours import _BLOCK, _nearest, _sq_dists, _subsample
from .feature_classifier import _default_classifier, _feature_space

__all__ = ["class_consistency", "density_coverage", "frechet_distance"]


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
