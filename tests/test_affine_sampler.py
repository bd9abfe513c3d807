"""AffineOverSampler: the classic-augmentation baseline."""

from collections import Counter

import numpy as np
import pytest
from sklearn.datasets import load_digits

from ganbalance import AffineOverSampler


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=2, return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:3]])
    return X[keep], y[keep]


def test_counts_range_and_originals(digits):
    X, y = digits
    X_res, y_res = AffineOverSampler(image_shape=(1, 8, 8), random_state=0).fit_resample(X, y)
    assert Counter(y_res) == {0: 178, 1: 178}
    np.testing.assert_array_equal(X_res[: len(X)], X)
    assert X_res.min() >= X.min() and X_res.max() <= X.max()
    new = X_res[len(X):]
    assert len(np.unique(new.round(4), axis=0)) == len(new)


def test_deterministic_and_varied_by_seed(digits):
    X, y = digits
    a = AffineOverSampler(image_shape=(1, 8, 8), random_state=1).fit_resample(X, y)[0]
    b = AffineOverSampler(image_shape=(1, 8, 8), random_state=1).fit_resample(X, y)[0]
    c = AffineOverSampler(image_shape=(1, 8, 8), random_state=2).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_zero_transform_copies(digits):
    X, y = digits
    X_res, y_res = AffineOverSampler(image_shape=(1, 8, 8), degrees=0, translate=0, scale=(1, 1),
                                     shear=0, random_state=0).fit_resample(X, y)
    new = X_res[len(X):]
    originals = X[y == 1]
    for row in new:  # each new row is one of the three real ones, up to float rounding
        assert np.abs(originals - row).max(axis=1).min() < 1e-4


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(image_shape=(1, 8, 9)), "image_shape"),
        (dict(image_shape=(1, 8, 8), scale=(1.2, 0.8)), "scale"),
        (dict(image_shape=(1, 8, 8), scale=(0.5, float("inf"))), "scale must be .*finite"),
        (dict(image_shape=(1, 8, 8), scale=(float("nan"), 1.0)), "scale must be .*finite"),
        (dict(image_shape=(1, 8, 8), degrees=-1), "degrees"),
    ],
)
def test_bad_parameters(digits, params, match):
    X, y = digits
    with pytest.raises(ValueError, match=match):
        AffineOverSampler(**params).fit_resample(X, y)


@pytest.mark.parametrize("scale", [("a", 1.0), (True, 1.0), (0.9, 1.0, 1.1)])
def test_scale_must_be_two_numbers(digits, scale):
    X, y = digits
    with pytest.raises(TypeError, match="scale must be two real numbers"):
        AffineOverSampler(image_shape=(1, 8, 8), scale=scale).fit_resample(X, y)
