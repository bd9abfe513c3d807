"""ReferenceDenoiser, the mixture builder and the image scores of seed 002."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from ganbalance.datasets import MIXTURE_FORMULATIONS, make_reference_mixtures
from ganbalance.denoise import ReferenceDenoiser, psnr, ssim


@pytest.fixture(scope="module")
def images():
    """Blobs on a dark background, like digits: 48 images of 12x12 in [0, 1]."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:12, :12]
    centres = rng.uniform(3, 9, size=(48, 2))
    return np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2)
                  / 4.0).astype(np.float32)


def small(**kw):
    params = dict(width=4, n_blocks=1, n_steps=6, batch_size=8, device="cpu", random_state=0)
    return ReferenceDenoiser(**{**params, **kw})


# ---------------------------------------------------------------------- mixtures
@pytest.mark.parametrize("formulation", list(MIXTURE_FORMULATIONS))
def test_mixture_formulations(images, formulation):
    mix, ref, target = make_reference_mixtures(images, formulation=formulation,
                                               noise_std=(0.0, 0.0), random_state=1)
    assert mix.shape == ref.shape == target.shape == images.shape
    assert mix.dtype == np.float32
    # Without noise the mixture is exactly a*gt + b*ref: recover a and b per image.
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    if formulation == "v3":
        np.testing.assert_allclose(target, images)
    else:  # the target is a*gt for one a in [0.5, 1] per image
        a = flat(target).max(1) / flat(images).max(1)
        assert np.all((a >= 0.5 - 1e-6) & (a <= 1 + 1e-6))
        np.testing.assert_allclose(target, a[:, None, None] * images, rtol=1e-5, atol=1e-6)
    if formulation in ("v2", "v3"):  # the reference is given as it is in the mixture
        scaled = mix - ref  # = a*gt
        if formulation == "v2":
            np.testing.assert_allclose(scaled, target, rtol=1e-5, atol=1e-6)
        else:
            a = flat(scaled).max(1) / flat(images).max(1)
            np.testing.assert_allclose(scaled, a[:, None, None] * target, rtol=1e-4,
                                       atol=1e-5)
    else:  # v1: the reference is another image of the set, unscaled, and mix - a*gt = b*ref
        assert any(np.allclose(ref[0], im) for im in images[1:])
        assert not np.allclose(ref[0], images[0])
        b = flat(mix - target).max(1) / flat(ref).max(1)
        assert np.all((b >= 0.5 - 1e-6) & (b <= 1 + 1e-6))
        np.testing.assert_allclose(mix - target, b[:, None, None] * ref, rtol=1e-4, atol=1e-5)


def test_mixture_noise_and_reproducibility(images):
    a = make_reference_mixtures(images, random_state=3)
    b = make_reference_mixtures(images, random_state=3)
    c = make_reference_mixtures(images, random_state=4)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    copy = images.copy()
    make_reference_mixtures(images, random_state=0)
    np.testing.assert_array_equal(images, copy)


@pytest.mark.parametrize("kw, error, match", [
    ({"formulation": "v4"}, ValueError, "formulation"),
    ({"target_scale": (1.0, 0.5)}, ValueError, "target_scale"),
    ({"reference_scale": "big"}, TypeError, "reference_scale"),
    ({"noise_std": (-0.1, 0.2)}, ValueError, "noise_std"),
    ({"noise_std": "12"}, TypeError, "noise_std"),
    ({"target_scale": (0.1, 0.2, 0.3)}, ValueError, "target_scale"),
])
def test_mixture_bad_parameters(images, kw, error, match):
    with pytest.raises(error, match=match):
        make_reference_mixtures(images, **kw)


def test_mixture_needs_two_images(images):
    with pytest.raises(ValueError, match="at least 2 images"):
        make_reference_mixtures(images[:1])


# ---------------------------------------------------------------------- the estimator
@pytest.mark.parametrize("layout", ["rows", "hw", "chw"])
def test_shapes(images, layout):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    reshape = {"rows": lambda a: a.reshape(len(a), -1), "hw": lambda a: a,
               "chw": lambda a: a[:, None]}[layout]
    den = small().fit(reshape(mix), reshape(ref), reshape(target))
    assert den.image_shape_ == (1, 12, 12)
    out = den.predict(reshape(mix[:5]), reshape(ref[:5]))
    assert out.shape == reshape(mix[:5]).shape and out.dtype == np.float32
    assert len(den.history_["content_loss"]) == den.n_steps_ == 6


def test_rows_with_image_shape(images):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    rows = mix.reshape(len(mix), -1)
    den = small(image_shape=(1, 12, 12)).fit(rows, ref.reshape(len(ref), -1),
                                             target.reshape(len(target), -1))
    assert den.predict(rows[:2], ref[:2].reshape(2, -1)).shape == (2, 144)


def test_reference_of_the_wrong_shape(images):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    with pytest.raises(ValueError, match="references holds images of shape"):
        small().fit(mix, ref[:, :10, :10], target)
    with pytest.raises(ValueError, match="references has 47 images"):
        small().fit(mix, ref[1:], target)
    den = small().fit(mix, ref, target)
    with pytest.raises(ValueError, match="references holds images of shape"):
        den.predict(mix, ref[:, :10, :10])
    with pytest.raises(ValueError, match="but the filter was fitted on"):
        den.predict(mix[:, :10, :10], ref[:, :10, :10])
    with pytest.raises(ValueError, match="rows of 100 features"):
        den.predict(mix[:, :10, :10].reshape(48, -1), ref[:, :10, :10].reshape(48, -1))


def test_predict_rows_after_fitting_images(images):
    """Rows at predict time take the fitted image shape, even a non-square, 2-channel one."""
    two = np.stack([images, images[::-1]], axis=1)  # (48, 2, 12, 12)
    mix, ref, target = make_reference_mixtures(two, random_state=0)
    den = small().fit(mix, ref, target)
    assert den.image_shape_ == (2, 12, 12)
    out = den.predict(mix.reshape(48, -1), ref.reshape(48, -1))
    assert out.shape == (48, 288)
    np.testing.assert_array_equal(out.reshape(mix.shape), den.predict(mix, ref))


def test_score_is_mean_psnr_of_predictions(images):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    den = small(n_steps=40, adversarial_weight=0.0).fit(mix, ref, target)
    expected = psnr(target, den.predict(mix, ref)).mean()
    assert den.score(mix, ref, target) == pytest.approx(expected)
    # The trained filter scores above the untouched mixture.
    assert den.score(mix, ref, target) > psnr(target, mix).mean()
    with pytest.raises(ValueError, match="mixtures and targets must have the same number"):
        den.score(mix, ref, target[:5])
    with pytest.raises(ValueError, match="one shape"):
        den.score(mix, ref, target[:, :10, :10])


@pytest.mark.parametrize("kw, error, match", [
    ({"adversarial_weight": -1.0}, ValueError, "adversarial_weight"),
    ({"loss": "wasserstein"}, ValueError, "loss"),
    ({"width": 0}, ValueError, "width"),
    ({"n_steps": 1.5}, TypeError, "n_steps"),
    ({"device": "tpu"}, ValueError, "device"),
    ({"spectral_norm": "yes"}, TypeError, "spectral_norm"),
    ({"image_shape": 5}, TypeError, "image_shape"),
    ({"image_shape": (1, 10, 10)}, ValueError, "image_shape"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"n_steps": 10**9}, ValueError, "n_steps"),
    ({"n_blocks": -1}, ValueError, "n_blocks"),
    ({"verbose": -1}, ValueError, "verbose"),
    ({"random_state": "seed"}, ValueError, "random_state"),
    ({"learning_rate": float("inf")}, ValueError, "learning_rate"),
    ({"adversarial_weight": float("inf")}, ValueError, "adversarial_weight"),
    ({"adversarial_weight": float("nan")}, ValueError, "adversarial_weight"),
    ({"image_shape": (1, 0, 12)}, ValueError, "image_shape"),
    ({"device": 3}, TypeError, "device"),
])
def test_bad_parameters_fail_before_training(images, kw, error, match):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    with pytest.raises(error, match=match):
        small(**kw).fit(mix, ref, target)


def test_parameter_table_covers_every_parameter():
    """scikit-learn's _parameter_constraints validates every parameter, with its messages."""
    den = small()
    assert set(ReferenceDenoiser._parameter_constraints) == set(den.get_params())
    with pytest.raises(InvalidParameterError, match="'width' parameter of ReferenceDenoiser"):
        den.set_params(width=0)._check_params()


def test_public_names_stay_those_of_the_module():
    """The package keeps the names of the one module it was: save files and pickles record
    ganbalance.denoise.ReferenceDenoiser."""
    assert ReferenceDenoiser.__module__ == psnr.__module__ == ssim.__module__ \
        == "ganbalance.denoise"
    data = pickle.dumps(small())
    assert b"ganbalance.denoise" in data and b"_estimator" not in data


def test_bad_inputs(images):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    bad = mix.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="mixtures contains NaN"):
        small().fit(bad, ref, target)
    with pytest.raises(ValueError, match="not a square image"):
        small().fit(mix.reshape(48, -1)[:, :143], ref.reshape(48, -1)[:, :143],
                    target.reshape(48, -1)[:, :143])
    with pytest.raises(TypeError, match="targets"):
        small().fit(mix, ref, np.full(mix.shape, "x"))
    with pytest.raises(ValueError, match="mixtures holds images of shape .* at least 4x4"):
        small().fit(mix[:, :3, :3], ref[:, :3, :3], target[:, :3, :3])


def test_deterministic_and_leaves_global_rng(images):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    np_state, torch_state = np.random.get_state(), torch.get_rng_state()
    copies = [a.copy() for a in (mix, ref, target)]
    a = small(random_state=5).fit(mix, ref, target).predict(mix, ref)
    b = small(random_state=5).fit(mix, ref, target).predict(mix, ref)
    c = small(random_state=6).fit(mix, ref, target).predict(mix, ref)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    after = np.random.get_state()
    assert np.array_equal(after[1], np_state[1]) and after[2:] == np_state[2:]
    assert torch.equal(torch.get_rng_state(), torch_state)
    for before, after in zip(copies, (mix, ref, target), strict=True):
        np.testing.assert_array_equal(before, after)


def test_no_gan_has_no_discriminator(images):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    plain = small(adversarial_weight=0.0).fit(mix, ref, target)
    assert plain.discriminator_ is None
    assert set(plain.history_["g_loss"]) == {0.0} and set(plain.history_["d_loss"]) == {0.0}
    gan = small().fit(mix, ref, target)
    assert gan.discriminator_ is not None
    assert any(v != 0 for v in gan.history_["d_loss"])


def test_learns_to_remove_the_reference(images):
    """Trained a little longer, the filter beats the mixture itself by a wide margin."""
    mix, ref, target = make_reference_mixtures(images, formulation="v2", random_state=0)
    den = small(width=8, n_steps=150, adversarial_weight=0.0).fit(mix, ref, target)
    out = den.predict(mix, ref)
    assert psnr(target, out).mean() > psnr(target, mix).mean() + 5


def test_pickle_round_trip(images):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    for weight in (0.0, 0.01):
        den = small(adversarial_weight=weight).fit(mix, ref, target)
        clone = pickle.loads(pickle.dumps(den))
        np.testing.assert_array_equal(den.predict(mix, ref), clone.predict(mix, ref))
        assert (clone.discriminator_ is None) == (weight == 0)
        if weight:
            for a, b in zip(den.discriminator_.state_dict().values(),
                            clone.discriminator_.state_dict().values(), strict=True):
                assert torch.equal(a, b)


def test_predict_before_fit(images):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        small().predict(images, images)


# ---------------------------------------------------------------------- scores
def test_psnr_known_values():
    target = np.zeros((2, 4, 4))
    target[:, 0, 0] = [1.0, 2.0]  # ranges 1 and 2
    out = target + 0.1
    # MSE 0.01: 20 dB against a range of 1, 26.02 dB against a range of 2.
    np.testing.assert_allclose(psnr(target, out), [20.0, 20 + 20 * np.log10(2)], atol=1e-9)
    np.testing.assert_allclose(psnr(target, out, data_range=1.0), [20.0, 20.0])
    assert np.isinf(psnr(target, target)).all()


def test_ssim_known_values(images):
    np.testing.assert_allclose(ssim(images, images), 1.0)
    noisy = images + np.random.default_rng(0).normal(0, 0.2, images.shape)
    worse = images + np.random.default_rng(0).normal(0, 0.5, images.shape)
    assert ssim(images, worse).mean() < ssim(images, noisy).mean() - 0.2
    assert (ssim(images, noisy) < 1).all()
    np.testing.assert_allclose(ssim(images.reshape(48, -1), noisy.reshape(48, -1)),
                               ssim(images, noisy))
    # Scale-free by default: scaling target and output together leaves SSIM unchanged.
    np.testing.assert_allclose(ssim(3 * images, 3 * noisy), ssim(images, noisy), rtol=1e-6)


def test_scores_check_inputs(images):
    with pytest.raises(ValueError, match="one shape"):
        psnr(images, images[:, :10])
    with pytest.raises(ValueError, match="window=11 is larger"):
        ssim(images[:, :8, :8], images[:, :8, :8])
    with pytest.raises(ValueError, match="finite"):
        psnr(images, np.full(images.shape, np.nan))
    with pytest.raises(ValueError, match="sigma"):
        ssim(images, images, sigma=0.0)
    with pytest.raises(TypeError, match="window"):
        ssim(images, images, window=3.5)


def test_failed_refit_keeps_the_fitted_filter(images):
    """random_state is checked before the new image shape replaces the fitted one."""
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    den = small().fit(mix, ref, target)
    out = den.predict(mix[:4], ref[:4])
    with pytest.raises(TypeError, match="random_state"):
        den.set_params(random_state=1.5).fit(mix[:, :8, :8], ref[:, :8, :8], target[:, :8, :8])
    assert den.image_shape_ == (1, 12, 12)
    np.testing.assert_array_equal(den.predict(mix[:4], ref[:4]), out)


def test_verbose_accepts_a_bool(images, capsys):
    mix, ref, target = make_reference_mixtures(images, random_state=0)
    small(verbose=True).fit(mix, ref, target)
    err = capsys.readouterr().err
    assert "denoiser" in err and "l1=" in err  # the losses, shown at the last step
