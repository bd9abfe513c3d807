"""AffineOverSampler: the classic-augmentation baseline."""

from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from ganbalance import AffineOverSampler
from ganbalance.augment import elastic_flow, random_affine, random_elastic


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
        (dict(image_shape=(1, 8, 8), elastic_alpha=-1.0), "elastic_alpha"),
        (dict(image_shape=(1, 8, 8), elastic_alpha=5.0, elastic_sigma=0.0), "elastic_sigma"),
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


def test_elastic_changes_the_new_rows_only(digits):
    X, y = digits
    X_res = AffineOverSampler(image_shape=(1, 8, 8), random_state=3).fit_resample(X, y)[0]
    X_el = AffineOverSampler(image_shape=(1, 8, 8), elastic_alpha=8.0, elastic_sigma=1.0,
                             random_state=3).fit_resample(X, y)[0]
    np.testing.assert_array_equal(X_el[: len(X)], X)
    assert not np.array_equal(X_el, X_res)
    assert X_el.min() >= X.min() and X_el.max() <= X.max()


def test_random_affine_matches_the_sampler_with_elastic_off():
    """With elastic_alpha=0 the sampler computes warp(x, affine_matrices(...)), which is
    random_affine with the same generator: the affine-only results are unchanged."""
    x = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    from ganbalance.augment import affine_matrices, warp

    a = random_affine(x, generator=torch.Generator().manual_seed(4))
    theta = affine_matrices(5, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(warp(x, theta), a, rtol=0, atol=0)


def test_elastic_flow_smoothness_and_size():
    """The field is smooth (neighbouring displacements agree far more than independent noise
    would) and its size grows linearly with alpha."""
    gen = torch.Generator().manual_seed(0)
    flow = elastic_flow(64, 28, 28, alpha=34.0, sigma=4.0, generator=gen)
    step = (flow[..., 1:] - flow[..., :-1]).abs().mean()
    assert step < 0.3 * flow.abs().mean()  # about 1 for independent noise
    small = elastic_flow(64, 28, 28, alpha=17.0, sigma=4.0,
                         generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(small * 2, flow)
    # About one pixel of displacement (1/14 in grid units) for Simard's setting on 28 x 28.
    pixels = flow.abs().mean() * 14
    assert 0.3 < pixels < 3


def test_random_elastic_moves_ink_and_keeps_the_range():
    x = -torch.ones(4, 1, 28, 28)
    x[:, :, 6:22, 12:16] = 1
    out = random_elastic(x, alpha=34.0, sigma=4.0, generator=torch.Generator().manual_seed(1))
    assert out.min() >= -1 and out.max() <= 1
    assert (out - x).abs().mean() > 0.01
