"""Input checks shared by the metrics: the validated data (:class:`_Data`), the parameter checks,
the seeds derived from ``random_state`` and the standardisation of the raw space."""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from .._random import draw_seed
from .._validation import (
    check_float,
    check_image_shape,
    check_int,
    check_numeric_dtype,
    check_same_length,
)

# Optimisation steps the default classifier trains for (whole epochs, at least one).
_TARGET_STEPS = 600
_BATCH_SIZE = 64

# Keys of the seeds derived from random_state.
_SEED_CLASSIFIER, _SEED_SUBSAMPLE = 0, 1


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


def _check_quantile(value) -> float:
    value = check_float(value, "copy_quantile", low=0.0, high=1.0, low_inclusive=False)
    if value >= 1.0:
        raise ValueError(f"copy_quantile must be < 1; got {value}.")
    return value


def _check_collapse_thresholds(min_variety, max_copy_rate):
    """The ``min_variety`` and ``max_copy_rate`` thresholds of the collapse check."""
    min_variety = check_float(min_variety, "min_variety", low=0.0)
    max_copy_rate = check_float(max_copy_rate, "max_copy_rate", low=0.0, high=1.0,
                                low_inclusive=False)
    return min_variety, max_copy_rate


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
