"""DeformationOverSampler and the registration behind it (ganbalance.deformation)."""

import copy
from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import ganbalance.deformation_sampler
from ganbalance import DeformationOverSampler
from ganbalance.deformation import deform, grid_map, neighbour_pairs, register, sample_deformations

FAST = dict(image_shape=(1, 8, 8), n_pairs=32)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    keep = np.r_[np.flatnonzero(y == 0)[:40], np.flatnonzero(y == 1)[:40],
                 np.flatnonzero(y == 2)[:1]]
    return X[keep], y[keep]


def _blob(shift):
    x = -torch.ones(1, 1, 16, 16)
    x[:, :, 5:11, 5 + shift:9 + shift] = 1
    return x


def test_register_recovers_a_shift():
    source, target = _blob(0), _blob(2)
    params = register(source, target, (4, 4))
    before = (source - target).pow(2).mean()
    after = (deform(source, params, grid_map(16, 16, (4, 4))) - target).pow(2).mean()
    assert after < 0.2 * before
    # The ink moved right: the grid samples to the left, so the x translation is negative.
    assert params[0, 2] + params[0, 6:6 + 16].mean() < -0.1


def test_register_of_identical_images_is_the_identity():
    params = register(_blob(1), _blob(1), (4, 4))
    assert params.abs().max() < 1e-3


def test_neighbour_pairs_stay_within_a_class(digits):
    X, y = digits
    src, tgt = neighbour_pairs(X, y, 40, 3, np.random.default_rng(0))
    assert len(src) == 40  # 20 from each class of 40; the class with one image gives none
    assert (y[src] == y[tgt]).all() and (src != tgt).all()
    assert set(y[src]) == {0, 1}


def test_sampled_warps_have_the_registered_second_moments():
    fields = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    draws = sample_deformations(fields, 200_000, torch.Generator().manual_seed(1))
    torch.testing.assert_close(draws.T @ draws / len(draws), fields.T @ fields / 5,
                               rtol=0.05, atol=0.02)
    assert draws.mean(0).abs().max() < 0.02


def test_counts_range_originals_and_variety(digits):
    X, y = digits
    X_res, y_res = DeformationOverSampler(**FAST, random_state=0).fit_resample(X, y)
    assert Counter(y_res) == {0: 40, 1: 40, 2: 40}
    np.testing.assert_array_equal(X_res[: len(X)], X)
    assert X_res.min() >= X.min() and X_res.max() <= X.max()
    new = X_res[len(X):]
    assert len(np.unique(new.round(4), axis=0)) == len(new)


def test_deterministic_by_seed_and_inputs_untouched(digits):
    X, y = digits
    X0, y0 = X.copy(), y.copy()
    state = torch.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()
    a = DeformationOverSampler(**FAST, random_state=1).fit_resample(X, y)[0]
    b = DeformationOverSampler(**FAST, random_state=1).fit_resample(X, y)[0]
    c = DeformationOverSampler(**FAST, random_state=2).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


def test_zero_scale_without_affine_copies(digits):
    X, y = digits
    X_res, _ = DeformationOverSampler(**FAST, deformation_scale=0.0, augment=False,
                                      random_state=0).fit_resample(X, y)
    assert np.abs(X_res[len(X):] - X[y == 2]).max() < 1e-4


def test_similar_sources_option(digits):
    X, y = digits
    X_res, y_res = DeformationOverSampler(**FAST, n_similar=5, random_state=0).fit_resample(X, y)
    assert Counter(y_res) == {0: 40, 1: 40, 2: 40}


@pytest.mark.parametrize("params, match", [
    (dict(image_shape=(1, 8, 9)), "image_shape"),
    (dict(image_shape=(1, 8, 8), n_pairs=0), "n_pairs"),
    (dict(image_shape=(1, 8, 8), n_similar=0), "n_similar"),
    (dict(image_shape=(1, 8, 8), deformation_scale=-1.0), "deformation_scale"),
])
def test_bad_parameters(digits, params, match):
    X, y = digits
    with pytest.raises(ValueError, match=match):
        DeformationOverSampler(**params).fit_resample(X, y)


def test_needs_a_class_with_two_images(digits):
    X, y = digits
    one_each = np.r_[0, 40, 80]
    with pytest.raises(ValueError, match="at least two samples"):
        DeformationOverSampler(**FAST).fit_resample(X[one_each], y[one_each])


def test_failed_resample_keeps_the_previous_fit(digits, monkeypatch):
    X, y = digits
    sampler = DeformationOverSampler(**FAST, random_state=0)
    sampler.fit_resample(X, y)
    before = copy.deepcopy(vars(sampler))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ganbalance.deformation_sampler, "deform", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sampler.fit_resample(X[::2], y[::2])
    assert repr(vars(sampler)) == repr(before)


def test_save_and_load(digits, tmp_path):
    X, y = digits
    sampler = DeformationOverSampler(**FAST, random_state=0)
    first = sampler.fit_resample(X, y)[0]
    sampler.save(tmp_path / "s.pt")
    loaded = ganbalance.load(tmp_path / "s.pt")
    np.testing.assert_array_equal(loaded.deformation_fields_, sampler.deformation_fields_)
    np.testing.assert_array_equal(loaded.fit_resample(X, y)[0], first)
