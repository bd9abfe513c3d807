"""ConditionalGAN: unconditional mode, divergence, pickling across devices, sample arguments."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from ganbalance import ConditionalGAN, TrainingDivergedError

FAST = dict(n_steps=5, batch_size=16, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    return X[:90], y[:90]


@pytest.mark.parametrize("generator", ["reference", "noise"])
def test_unconditional(digits, generator):
    X, _ = digits
    gan = ConditionalGAN(image_shape=(1, 8, 8), generator=generator, **FAST).fit(X)
    assert gan.classes_ is None
    out = gan.sample(7)
    assert out.shape == (7, 64) and np.all(np.isfinite(out))
    with pytest.raises(ValueError, match="without labels"):
        gan.sample(3, y=1)


def test_conditional_requires_y_in_sample(digits):
    X, y = digits
    gan = ConditionalGAN(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="y is required"):
        gan.sample(3)
    with pytest.raises(ValueError, match="not seen in fit"):
        gan.sample(3, y=7)
    with pytest.raises(ValueError, match="n_samples"):
        gan.sample(-1, y=1)
    labels = gan.sample(4, y=[0, 1, 2, 2])
    assert labels.shape == (4, 64)


def test_sample_stream_is_reproducible(digits):
    X, y = digits
    a = ConditionalGAN(**FAST).fit(X, y)
    b = ConditionalGAN(**FAST).fit(X, y)
    first_a, second_a = a.sample(5, y=1), a.sample(5, y=1)
    np.testing.assert_array_equal(first_a, b.sample(5, y=1))
    np.testing.assert_array_equal(second_a, b.sample(5, y=1))
    assert not np.array_equal(first_a, second_a)


def test_nonfinite_loss_names_the_step(digits):
    X, y = digits

    def poison(gan, step, logs):
        if step == 2:
            with torch.no_grad():
                gan.discriminator_.body[0].weight.fill_(float("nan"))

    gan = ConditionalGAN(image_shape=(1, 8, 8), spectral_norm=False, callbacks=[poison], **FAST)
    with pytest.raises(TrainingDivergedError, match="at step 3 of 5"):
        gan.fit(X, y)


def test_history_and_eval_mode(digits):
    X, y = digits
    gan = ConditionalGAN(image_shape=(1, 8, 8), **FAST).fit(X, y)
    assert gan.history_["step"] == [1, 2, 3, 4, 5]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "diversity"):
        assert len(gan.history_[key]) == 5 and np.all(np.isfinite(gan.history_[key]))
    assert not gan.generator_.training and not gan.discriminator_.training
    assert gan.device_ == "cpu" and gan.n_steps_ == 5


def test_model_trained_on_cuda_loads_on_cpu(digits, monkeypatch):
    """Pickles hold CPU state dicts; a 'cuda' device is replaced by the CPU where CUDA is absent."""
    X, y = digits
    gan = ConditionalGAN(image_shape=(1, 8, 8), **FAST).fit(X, y)
    expected = gan.sample(5, y=1, random_state=3)
    gan.device_ = "cuda:0"  # as if it had been trained on a GPU
    blob = pickle.dumps(gan)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded onto the CPU"):
        loaded = pickle.loads(blob)
    assert loaded.device_ == "cpu"
    assert next(loaded.generator_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(loaded.sample(5, y=1, random_state=3), expected)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(callbacks="yes"), "callbacks"),
        (dict(discriminator="both"), "discriminator"),
        (dict(augment="yes"), "augment"),
        (dict(verbose=-1), "verbose"),
        (dict(diversity_weight=-1.0), "diversity_weight"),
        (dict(image_shape=(1, 4, 16)), "H and W >= 8"),
    ],
)
def test_bad_parameters(digits, params, match):
    X, y = digits
    with pytest.raises((ValueError, TypeError), match=match):
        ConditionalGAN(**{**FAST, **params}).fit(X, y)


def test_verbose_progress_bar(digits, capsys):
    X, y = digits
    ConditionalGAN(verbose=1, **FAST).fit(X, y)
    assert "GAN" in capsys.readouterr().err
    ConditionalGAN(**FAST).fit(X, y)
    assert capsys.readouterr().err == ""


def test_scalar_label_is_checked_as_given(digits):
    """A scalar y is not cast to the classes' dtype first: 2.7 is not class 2, "2" is not 2."""
    X, y = digits
    gan = ConditionalGAN(**FAST).fit(X, y)
    for label in (2.7, "2", 1.9999, True, 256):
        with pytest.raises(ValueError, match="not seen in fit"):
            gan.sample(3, y=label)
    small = ConditionalGAN(**FAST).fit(X, y.astype(np.uint8))
    with pytest.raises(ValueError, match="not seen in fit"):
        small.sample(2, y=256)
    np.testing.assert_array_equal(gan.sample(3, y=2, random_state=1),
                                  gan.sample(3, y=np.int64(2), random_state=1))


def test_verbose_accepts_a_bool(digits, capsys):
    X, y = digits
    ConditionalGAN(verbose=True, **FAST).fit(X, y)
    assert "GAN" in capsys.readouterr().err


@pytest.mark.parametrize("params, error", [
    (dict(random_state="bad"), TypeError),
    pytest.param(dict(device="cuda:99"), ValueError,
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason="needs no CUDA")),
])
def test_failed_refit_keeps_the_fitted_state(digits, params, error):
    """The last checks (random_state, device) come before any fitted attribute changes."""
    X, y = digits
    gan = ConditionalGAN(**FAST).fit(X, y)
    before = gan.sample(2, y=1, random_state=0)
    gan.set_params(**params)
    with pytest.raises(error):
        gan.fit(X[y < 2][:, :10], y[y < 2] + 10)
    assert gan.classes_.tolist() == [0, 1, 2] and gan.n_features_in_ == 64
    np.testing.assert_array_equal(gan.sample(2, y=1, random_state=0), before)
    fresh = ConditionalGAN(**{**FAST, **params})
    with pytest.raises(error):
        fresh.fit(X, y)
    assert not hasattr(fresh, "classes_") and not hasattr(fresh, "n_features_in_")
