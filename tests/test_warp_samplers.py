"""What imbalanced-learn users expect of both image-warp samplers, AffineOverSampler and
DeformationOverSampler: every sampling_strategy form, a Pipeline, clear input errors."""

from collections import Counter

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from ganbalance import AffineOverSampler, DeformationOverSampler

SAMPLERS = {
    "affine": lambda **kw: AffineOverSampler(image_shape=(1, 8, 8), **kw),
    "affine_elastic": lambda **kw: AffineOverSampler(image_shape=(1, 8, 8), elastic_alpha=2.0,
                                                      elastic_sigma=1.0, **kw),
    "deformation": lambda **kw: DeformationOverSampler(image_shape=(1, 8, 8), n_pairs=16, **kw),
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    keep = np.r_[np.flatnonzero(y == 0)[:30], np.flatnonzero(y == 1)[:10],
                 np.flatnonzero(y == 2)[:3]]
    return X[keep], y[keep]


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize("strategy, expected", [
    ("auto", {0: 30, 1: 30, 2: 30}),
    ("minority", {0: 30, 1: 10, 2: 30}),
    ("not majority", {0: 30, 1: 30, 2: 30}),
    ({1: 12, 2: 7}, {0: 30, 1: 12, 2: 7}),
    (lambda y: {1: 20}, {0: 30, 1: 20, 2: 3}),
])
def test_every_sampling_strategy_form_gives_exact_counts(digits, name, strategy, expected):
    X, y = digits
    sampler = SAMPLERS[name](sampling_strategy=strategy, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert Counter(y_res.tolist()) == expected
    assert X_res.shape == (sum(expected.values()), X.shape[1]) and X_res.dtype == X.dtype
    np.testing.assert_array_equal(X_res[:len(X)], X)


@pytest.mark.parametrize("name", SAMPLERS)
def test_float_strategy_on_two_classes(digits, name):
    X, y = digits
    two = y != 2
    _, y_res = SAMPLERS[name](sampling_strategy=0.5, random_state=0).fit_resample(X[two], y[two])
    assert Counter(y_res.tolist()) == {0: 30, 1: 15}


@pytest.mark.parametrize("name", SAMPLERS)
def test_in_an_imblearn_pipeline(digits, name):
    X, y = digits
    pipe = make_pipeline(SAMPLERS[name](random_state=0), LogisticRegression(max_iter=200))
    pipe.fit(X, y)
    assert pipe.predict(X).shape == y.shape
    assert pipe.score(X, y) > 0.8


@pytest.mark.parametrize("name", SAMPLERS)
def test_images_of_the_wrong_size_are_refused_before_any_work(digits, name):
    X, y = digits
    with pytest.raises(ValueError, match="image_shape"):
        SAMPLERS[name]().fit_resample(X[:, :60], y)
