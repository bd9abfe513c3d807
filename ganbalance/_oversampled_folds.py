"""The work behind :class:`~ganbalance.OverSampledClassifierCV`: its input checks, the rows a
ratio adds, one sampler fit serving every ratio of a fold, the prior-shift correction, the
decision rules, the scoring of the validation folds and the refit.

A *ratio* r adds, to each class c, ``round(r * (n_max - n_c))`` new rows, where ``n_c`` is
the class's count and ``n_max`` the largest class's: the fraction r of the class's gap to the
largest class. r = 0 adds nothing, r = 1 balances every class with the largest (imbalanced-
learn's ``sampling_strategy='auto'``), r > 1 goes beyond.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples

from ._random import child_seed

__all__ = ["DECISIONS", "Answers", "GridResampler", "best_index", "check_X_shape",
           "check_model_classes", "check_ratios", "check_thresholds", "class_counts",
           "correct", "decide", "extends", "fit_fold", "fold_answers", "new_rows", "refit",
           "same_rows", "seeded", "splits", "strategy", "tune_threshold"]

#: Keys of the seed streams drawn from a fit's seed: ``child_seed(seed, key, fold)``, where
#: fold 0 is the final refit on all the data and folds 1, 2, ... are the inner CV's.
SAMPLER_SEED, ESTIMATOR_SEED, SUBSET_SEED = 1, 2, 3

#: The decision rules of ``predict``.
DECISIONS = ("balanced", "most_probable", "threshold")


def class_counts(y, classes) -> np.ndarray:
    """Number of rows of each class of ``classes`` (in that order) in ``y``."""
    y = np.asarray(y)
    return np.array([np.count_nonzero(y == label) for label in classes])


def new_rows(counts, ratio) -> np.ndarray:
    """New rows per class that ``ratio`` asks for: that fraction of each class's gap to the
    largest class, rounded half up."""
    counts = np.asarray(counts)
    return np.floor(ratio * (counts.max() - counts) + 0.5).astype(int)


def strategy(classes, counts, new) -> dict:
    """imbalanced-learn's dict ``sampling_strategy`` for ``new`` rows per class: the target
    count of each class that gets new rows."""
    return {label: int(n + k) for label, n, k in zip(classes, counts, new, strict=True) if k > 0}


def seeded(estimator, seed: int):
    """A clone of ``estimator`` whose ``random_state`` parameters (its own and its nested
    estimators') that are None are set to seeds drawn from ``seed``; set ones are kept."""
    estimator = clone(estimator)
    params = estimator.get_params(deep=True)
    keys = sorted(key for key, value in params.items() if value is None and (
        key == "random_state" or key.endswith("__random_state")))
    if keys:
        estimator.set_params(**{key: child_seed(seed, i) for i, key in enumerate(keys)})
    return estimator


def correct(proba, weights) -> np.ndarray:
    """The prior-shift correction: ``proba * weights``, each row renormalised to sum to 1.

    ``weights[c] = prior[c] / resampled_prior[c]`` (Elkan 2001; Saerens et al. 2002). Weights
    that are all exactly 1 (no row added) return ``proba`` unchanged.
    """
    weights = np.asarray(weights, dtype=float)
    if np.all(weights == 1.0):
        return proba
    scaled = np.asarray(proba, dtype=float) * weights
    return scaled / scaled.sum(axis=1, keepdims=True)


def decide(proba, corrected, resampled_prior, classes, decision, threshold=None):
    """Labels by a decision rule.

    ``'balanced'``: the class of largest ``corrected / prior``, computed as ``proba /
    resampled_prior`` (the same argmax; at a 1:1 balance it is the argmax of ``proba``).
    ``'most_probable'``: the argmax of ``corrected``. ``'threshold'``: ``classes[1]`` where
    ``corrected[:, 1] >= threshold``, else ``classes[0]``.
    """
    if decision == "balanced":
        return classes[np.argmax(np.asarray(proba) / resampled_prior, axis=1)]
    if decision == "most_probable":
        return classes[np.argmax(corrected, axis=1)]
    return np.where(corrected[:, 1] >= threshold, classes[1], classes[0])


class Answers(ClassifierMixin, BaseEstimator):
    """A stand-in classifier that gives a scorer precomputed answers for one set of rows.

    The inner CV scores each (fold, ratio[, threshold]) from one ``predict_proba`` call of its
    model: ``scorer(Answers(...), X_val, y_val)`` reads ``predict``, ``predict_proba`` or
    ``score`` as it would from a fitted classifier. ``calls`` records which were read (the
    scoring probe uses it).
    """

    def __init__(self, classes, proba, labels):
        self.classes = classes
        self.proba = proba
        self.labels = labels
        self.classes_ = classes
        self.calls = []

    def __sklearn_is_fitted__(self):
        return True

    def _answer(self, X, name, value):
        if _num_samples(X) != len(value):
            raise ValueError(f"{_num_samples(X)} rows asked for, {len(value)} answered.")
        self.calls.append(name)
        return value

    def predict(self, X):
        return self._answer(X, "predict", self.labels)

    def predict_proba(self, X):
        return self._answer(X, "predict_proba", self.proba)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self._answer(X, "predict_log_proba", self.proba))


def fit_fold(estimator, sampler, X, y, train, test, classes, ratios, seed, fold):
    """Fit one inner fold at every ratio; return the validation probabilities.

    Returns a dict: ``proba`` (one uncorrected ``predict_proba`` of the validation rows per
    ratio), ``resampled_prior`` (the class frequencies each model was trained on, per ratio),
    ``prior`` (those of the fold's training rows) and ``sampler_fits`` (1 when one sampler fit
    served every ratio that adds rows).
    """
    X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
    X_test = _safe_indexing(X, test)
    counts = class_counts(y_train, classes)
    amounts = [new_rows(counts, ratio) for ratio in ratios]
    source = GridResampler(sampler, X_train, y_train, classes, amounts[-1],
                           child_seed(seed, SAMPLER_SEED, fold),
                           child_seed(seed, SUBSET_SEED, fold))
    proba, resampled_prior = [], []
    for new in amounts:
        X_fit, y_fit = source.resample(new)
        model = seeded(estimator, child_seed(seed, ESTIMATOR_SEED, fold)).fit(X_fit, y_fit)
        check_model_classes(model, classes)
        proba.append(np.asarray(model.predict_proba(X_test), dtype=float))
        resampled_prior.append(class_counts(y_fit, classes) / len(y_fit))
    return {"proba": proba, "resampled_prior": resampled_prior,
            "prior": counts / counts.sum(), "sampler_fits": source.fits}


def check_model_classes(model, classes) -> None:
    """The fitted estimator's ``classes_`` must be ``classes``, in that order."""
    found = getattr(model, "classes_", None)
    if found is None or not np.array_equal(np.asarray(found), classes):
        raise ValueError(
            f"The fitted estimator's classes_ ({found!r}) differ from the classes of y "
            f"({classes!r}); the estimator must be a classifier that keeps every class of y."
        )


class GridResampler:
    """A fold's training data with a given number of new rows per class, from as few sampler
    fits as possible.

    The first call with new rows fits the sampler at ``largest``, the most that any ratio asks.
    When its output is the input rows, unchanged and in order, followed by exactly ``largest``
    new rows per class (imbalanced-learn's over-samplers and ours), every smaller amount is the
    input plus, per class, the first k of a seeded random order of that class's new rows
    (random, not the first k as generated: ADASYN, for one, generates them ordered by their
    seed row). The subsets are nested: a smaller ratio's new rows are among a larger one's.
    Otherwise (a sampler that shuffles, or also removes rows) it fits once per amount.
    """

    def __init__(self, sampler, X, y, classes, largest, sampler_seed, subset_seed):
        self.sampler, self.X, self.y, self.classes = sampler, X, np.asarray(y), classes
        self.largest, self.sampler_seed, self.subset_seed = largest, sampler_seed, subset_seed
        self.counts = class_counts(y, classes)
        self.fits, self.shared, self.first = 0, None, None

    def _fit(self, new):
        sampler = seeded(self.sampler, self.sampler_seed)
        sampler.set_params(sampling_strategy=strategy(self.classes, self.counts, new))
        self.fits += 1
        X_res, y_res = sampler.fit_resample(self.X, self.y)
        return X_res, np.asarray(y_res)

    def resample(self, new):
        """``(X, y)`` with ``new[i]`` new rows of class ``classes[i]``."""
        if not np.any(new):
            return self.X, self.y
        if self.fits == 0:
            X_res, y_res = self._fit(self.largest)
            if extends(X_res, y_res, self.X, self.y, self.classes, self.largest):
                self.shared = (X_res, y_res, self._orders(y_res))
            else:
                self.first = (X_res, y_res)
        if self.shared is not None:
            X_res, y_res, orders = self.shared
            keep = [np.arange(len(self.y))]
            keep += [np.sort(order[:k]) for order, k in zip(orders, new, strict=True) if k > 0]
            rows = np.concatenate(keep)
            return _safe_indexing(X_res, rows), y_res[rows]
        if np.array_equal(new, self.largest):
            return self.first
        return self._fit(new)

    def _orders(self, y_res):
        """Per class, the positions of its new rows in a seeded random order."""
        rng = np.random.default_rng(self.subset_seed)
        n = len(self.y)
        return [rng.permutation(n + np.flatnonzero(y_res[n:] == label)) for label in self.classes]


def extends(X_res, y_res, X, y, classes, new) -> bool:
    """Whether ``X_res, y_res`` are ``X, y`` unchanged and in order, followed by exactly
    ``new[i]`` rows of class ``classes[i]``."""
    n = len(y)
    y_res, y = np.asarray(y_res), np.asarray(y)
    if len(y_res) != n + int(np.sum(new)) or not np.array_equal(y_res[:n], y):
        return False
    if not np.array_equal(class_counts(y_res[n:], classes), new):
        return False
    return same_rows(_safe_indexing(X_res, np.arange(n)), X)


def same_rows(A, B) -> bool:
    """Whether two tables (arrays, sparse matrices or DataFrames) hold the same values."""
    if hasattr(B, "iloc"):
        if not hasattr(A, "iloc") or list(A.columns) != list(B.columns):
            return False
        return all(_equal(A.iloc[:, j].to_numpy(), B.iloc[:, j].to_numpy())
                   for j in range(B.shape[1]))
    if issparse(B):
        return issparse(A) and A.shape == B.shape and (A != B).nnz == 0
    return _equal(np.asarray(A), np.asarray(B))


def _equal(a, b) -> bool:
    if a.shape != b.shape:
        return False
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except TypeError:  # object or string values: no NaN test
        return bool(np.array_equal(a, b))


def check_X_shape(X) -> None:
    """X is a table of at least one row and one column (its values are the sampler's and the
    estimator's to check)."""
    shape = getattr(X, "shape", None)
    if shape is None:
        shape = np.shape(np.asarray(X, dtype=object))
    if len(shape) != 2:
        raise ValueError(f"Expected a 2-D X (rows, features); got shape {tuple(shape)}. "
                         "Reshape a single feature with X.reshape(-1, 1).")
    for axis, what in enumerate(("sample(s)", "feature(s)")):
        if shape[axis] < 1:
            raise ValueError(f"Found array with 0 {what} (shape={tuple(shape)}) while a "
                             "minimum of 1 is required.")


def check_ratios(ratios) -> np.ndarray:
    """``ratios`` as a sorted float array: one-dimensional, finite, >= 0, no repeats."""
    try:
        values = np.asarray(ratios, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ratios must be numbers; got {ratios!r}.") from exc
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"ratios must be a non-empty list of numbers; got {ratios!r}.")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"ratios must be finite and >= 0; got {ratios!r}.")
    if len(np.unique(values)) != values.size:
        raise ValueError(f"ratios must not repeat a value; got {ratios!r}.")
    return np.sort(values)


def check_thresholds(thresholds):
    """An int, or the thresholds as a one-dimensional finite float array."""
    if isinstance(thresholds, numbers.Integral):
        return int(thresholds)
    try:
        values = np.asarray(thresholds, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"thresholds must be an int or numbers; got {thresholds!r}.") from exc
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError("thresholds must be an int or a non-empty list of finite numbers; "
                         f"got {thresholds!r}.")
    return values


def splits(cv, X, y, classes) -> list:
    """The inner CV's (train, test) index pairs; every training fold holds every class."""
    splits = list(check_cv(cv, y, classifier=True).split(X, y))
    for i, (train, test) in enumerate(splits):
        missing = np.setdiff1d(classes, y[train])
        if missing.size:
            raise ValueError(
                f"Training fold {i} of cv has no row of class {_plain(missing[0])!r}: the inner CV "
                "needs every class in every training fold. Use fewer folds (cv) or more rows "
                "of that class.")
        if len(test) == 0:
            raise ValueError(f"Validation fold {i} of cv is empty.")
    return splits


def fold_answers(fold, j):
    """One fold's ``(proba, corrected proba, resampled prior)`` for ratio ``j``."""
    proba, resampled = fold["proba"][j], fold["resampled_prior"][j]
    return proba, correct(proba, fold["prior"] / resampled), resampled


def tune_threshold(scorer, answers, tests, classes, thresholds):
    """Each fold's score at the threshold of best mean score, and that threshold.

    ``thresholds``: an int (that many, evenly spaced between the least and the largest
    corrected probability of ``classes[1]`` over the folds) or the thresholds. A fold is
    scored once per distinct set of labels.
    """
    if isinstance(thresholds, int):
        low = min(c[:, 1].min() for _, c, _ in answers)
        high = max(c[:, 1].max() for _, c, _ in answers)
        thresholds = np.linspace(low, high, thresholds)
    table = np.empty((len(thresholds), len(answers)))
    for i, ((p, c, rp), (X_test, y_test)) in enumerate(zip(answers, tests, strict=True)):
        seen = {}
        for t, threshold in enumerate(thresholds):
            labels = decide(p, c, rp, classes, "threshold", threshold)
            key = labels.tobytes() if labels.dtype != object else tuple(labels)
            if key not in seen:
                seen[key] = scorer(Answers(classes, c, labels), X_test, y_test)
            table[t, i] = seen[key]
    best = best_index(table.mean(axis=1))
    return table[best], float(thresholds[best])


def best_index(means) -> int:
    """The index of the best finite mean (the first on ties)."""
    finite = np.isfinite(means)
    if not finite.any():
        raise ValueError("scoring gave no finite mean score for any ratio; check scoring "
                         "against the classes of the validation folds.")
    return int(np.argmax(np.where(finite, means, -np.inf)))


def refit(estimator, sampler, X, y, classes, ratio, seed) -> dict:
    """The estimator (and sampler) fitted on all the data, over-sampled by ``ratio``."""
    counts = class_counts(y, classes)
    new = new_rows(counts, ratio)
    fitted_sampler, X_fit, y_fit = None, X, y
    if new.any():
        fitted_sampler = seeded(sampler, child_seed(seed, SAMPLER_SEED, 0))
        fitted_sampler.set_params(sampling_strategy=strategy(classes, counts, new))
        X_fit, y_fit = fitted_sampler.fit_resample(X, y)
    fitted = seeded(estimator, child_seed(seed, ESTIMATOR_SEED, 0)).fit(X_fit, y_fit)
    check_model_classes(fitted, classes)
    return {"estimator_": fitted, "sampler_": fitted_sampler,
            "sampling_strategy_": {_plain(label): int(k)
                                   for label, k in zip(classes, new, strict=True)},
            "class_prior_": counts / counts.sum(),
            "resampled_class_prior_": class_counts(y_fit, classes) / _num_samples(y_fit)}


def _plain(label):
    """A numpy scalar label as the Python value it holds."""
    return label.item() if isinstance(label, np.generic) else label
