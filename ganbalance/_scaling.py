"""Scaling between the caller's feature space and the space the networks work in."""

from __future__ import annotations

import numpy as np


class ImageScaler:
    """Maps pixel values linearly to ``[-1, 1]`` using the training data's global range."""

    def fit(self, X):
        self.low_ = float(X.min())
        self.high_ = float(X.max())
        if self.high_ <= self.low_:
            self.high_ = self.low_ + 1.0
        return self

    def transform(self, X):
        return (2.0 * (X - self.low_) / (self.high_ - self.low_) - 1.0).astype(np.float32)

    def inverse_transform(self, Z, dtype):
        """Back to pixel values; works in place on ``Z`` (a float32 array owned by the caller)."""
        np.clip(Z, -1.0, 1.0, out=Z)
        Z += 1.0
        Z *= (self.high_ - self.low_) / 2.0
        Z += self.low_
        return as_pixels(Z, dtype)


def as_pixels(Z, dtype):
    """Float pixel values in ``dtype``: integer dtypes rounded and clipped to their range (as
    uint8 images come back as uint8), bools thresholded at one half."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.rint(Z) != 0
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.rint(Z), info.min, info.max).astype(dtype)
    return Z.astype(dtype, copy=False)


class RowScaler:
    """Standardises each feature; outputs are clipped to the range seen in training.

    No longer used for tables (see :class:`ganbalance.tabular.TableEncoder`); kept so that a
    tabular GAN pickled by an earlier version unpickles far enough to say it must be refitted.
    """

    def fit(self, X):
        X = X.astype(np.float64)
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        self.min_ = X.min(axis=0)
        self.max_ = X.max(axis=0)
        return self

    def transform(self, X):
        return ((X - self.mean_) / self.scale_).astype(np.float32)

    def inverse_transform(self, Z, dtype):
        X = np.clip(Z * self.scale_ + self.mean_, self.min_, self.max_)
        return X.astype(dtype, copy=False)
