"""A failed fit changes nothing: TorchClassifier, ReferenceDenoiser and AffineOverSampler.

Whatever a fit raises (bad input, divergence, an exception from inside training, memory,
KeyboardInterrupt), the estimator is left as it was: unfitted, or holding its previous fit and
predicting identically.
"""

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from torch import nn

import ganbalance._training
import ganbalance.affine_sampler
from ganbalance import AffineOverSampler, ReferenceDenoiser, TorchClassifier
from ganbalance.datasets import make_reference_mixtures
from ganbalance.exceptions import TrainingDivergedError
from ganbalance.models import MLP

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)


def clf(**params):
    defaults = dict(module=MLP, lr=0.05, max_epochs=3, device="cpu", random_state=0)
    if params.get("module", MLP) is MLP:
        defaults["module__hidden"] = 8
    return TorchClassifier(**{**defaults, **params})


def snapshot(est):
    """The attributes (by identity) and, by value, what training could change in place."""
    values = {"attributes": dict(vars(est))}
    if hasattr(est, "module_"):
        values["module_"] = {k: v.clone() for k, v in est.module_.state_dict().items()}
        values["optimizer_"] = repr(est.optimizer_.state_dict())
        values["history_"] = copy.deepcopy(est.history_)
        values["training"] = est.module_.training
    return values


def assert_same(before, after):
    attributes = before["attributes"]
    assert attributes.keys() == after["attributes"].keys()
    for key, value in attributes.items():
        assert after["attributes"][key] is value, key
    assert before.keys() == after.keys()
    if "module_" in before:
        assert all(torch.equal(v, after["module_"][k]) for k, v in before["module_"].items())
        assert before["optimizer_"] == after["optimizer_"]
        assert before["history_"] == after["history_"]
        assert before["training"] == after["training"]


class RaiseOnCall:
    """A criterion class that computes the usual loss, and raises ``error`` on call ``at``."""

    def __init__(self, error, at):
        self.error, self.at, self.calls = error, at, 0

    def __call__(self, **kwargs):
        loss = nn.CrossEntropyLoss(**kwargs)

        def criterion(logits, targets):
            self.calls += 1
            if self.calls == self.at:
                raise self.error
            return loss(logits, targets)

        return criterion


# --------------------------------------------------------------------------- TorchClassifier


def test_divergence_leaves_an_unfitted_classifier_unfitted(blobs):
    """The issue's reproduction: predict used to return labels from NaN probabilities."""
    X, y = blobs
    est = clf(lr=1e12, optimizer=torch.optim.SGD)
    with pytest.raises(FloatingPointError, match="left as it was"):
        est.fit(X * 1e3, y)
    assert vars(est).keys() == vars(clf(lr=1e12, optimizer=torch.optim.SGD)).keys()
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_divergence_keeps_the_previous_fit(blobs):
    X, y = blobs
    est = clf().fit(X, y)
    proba = est.predict_proba(X)
    est.set_params(lr=1e12, optimizer=torch.optim.SGD)
    before = snapshot(est)
    with pytest.raises(FloatingPointError):
        est.fit(X * 1e3, y)
    assert_same(before, snapshot(est))
    np.testing.assert_array_equal(est.predict_proba(X), proba)


def test_diverging_partial_fit_keeps_the_previous_state(blobs):
    X, y = blobs
    # One epoch at this rate still gives a finite loss; the second does not.
    est = clf(lr=1e12, optimizer=torch.optim.SGD, max_epochs=1).fit(X * 1e3, y)
    proba, before = est.predict_proba(X), snapshot(est)
    with pytest.raises(FloatingPointError, match="at epoch 2"):
        est.partial_fit(X * 1e3, y)
    assert_same(before, snapshot(est))
    np.testing.assert_array_equal(est.predict_proba(X), proba)


def test_wrong_logits_shape_leaves_the_classifier_unfitted(blobs):
    X, y = blobs
    est = clf(module=lambda n_features: nn.Linear(n_features, 5))
    with pytest.raises(ValueError, match="logits of shape"):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not hasattr(est, "n_features_in_")
    with pytest.raises(ValueError, match="logits of shape"):
        est.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(est, "n_features_in_") and not hasattr(est, "module_")


@pytest.mark.parametrize("error", [KeyboardInterrupt(), MemoryError(), RuntimeError("boom")])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_interrupted_training_keeps_the_previous_fit(blobs, error, method):
    X, y = blobs
    raiser = RaiseOnCall(error, at=-1)
    est = clf(criterion=raiser).fit(X, y)
    proba = est.predict_proba(X)
    reference = copy.deepcopy(est)
    raiser.at = raiser.calls + 2  # the second batch of the next epoch raises
    before = snapshot(est)
    with pytest.raises(type(error)):
        getattr(est, method)(X, y)
    assert_same(before, snapshot(est))
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    if method == "partial_fit":  # the optimizer state too: training goes on as if untouched
        raiser.at = -1
        est.partial_fit(X, y)
        reference.partial_fit(X, y)
        np.testing.assert_array_equal(est.predict_proba(X), reference.predict_proba(X))


def test_failed_refit_keeps_input_validation_state(blobs):
    """validate_data sets n_features_in_ and feature_names_in_ before the data is refused."""
    X, y = blobs
    frame = pd.DataFrame(X, columns=list("abcd"))
    est = clf().fit(frame, y)
    proba = est.predict_proba(frame)
    with pytest.raises(ValueError, match="at least 2 classes"):
        est.fit(np.hstack([X, X]), np.zeros(len(X)))
    assert est.n_features_in_ == 4 and list(est.feature_names_in_) == list("abcd")
    np.testing.assert_array_equal(est.predict_proba(frame), proba)


def test_failed_early_stopping_fit_keeps_the_previous_fit(blobs, monkeypatch):
    X, y = blobs
    est = clf(validation_fraction=0.25, early_stopping=True, max_epochs=4).fit(X, y)
    before, proba = snapshot(est), est.predict_proba(X)
    calls = []

    def failing_evaluate(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return 1.0, 0.5

    monkeypatch.setattr(TorchClassifier, "_evaluate", failing_evaluate)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert_same(before, snapshot(est))
    monkeypatch.undo()
    np.testing.assert_array_equal(est.predict_proba(X), proba)


# --------------------------------------------------------------------------- ReferenceDenoiser


@pytest.fixture(scope="module")
def mixtures():
    images = np.random.default_rng(0).random((24, 8, 8)).astype(np.float32)
    return make_reference_mixtures(images, random_state=0)


def den(**params):
    defaults = dict(width=4, n_blocks=1, n_steps=4, batch_size=8, device="cpu", random_state=0)
    return ReferenceDenoiser(**{**defaults, **params})


@pytest.mark.parametrize("error", [KeyboardInterrupt, TrainingDivergedError])
def test_interrupted_denoiser_keeps_the_previous_fit(mixtures, monkeypatch, error):
    mix, ref, target = mixtures
    est = den().fit(mix, ref, target)
    out = est.predict(mix, ref)
    before = {k: copy.deepcopy(v) for k, v in vars(est).items()
              if k not in ("filter_", "discriminator_")}
    filter_, weights = est.filter_, copy.deepcopy(est.filter_.state_dict())
    real_record = ganbalance._training.record_step

    def record(history, logs, step, *args):
        if step == 3:
            raise error("stop")
        real_record(history, logs, step, *args)

    monkeypatch.setattr(ganbalance._training, "record_step", record)
    with pytest.raises(error):
        est.fit(mix[:, :6, :6], ref[:, :6, :6], target[:, :6, :6])  # another image shape
    assert est.filter_ is filter_
    assert all(torch.equal(v, weights[k]) for k, v in est.filter_.state_dict().items())
    for key, value in before.items():
        assert repr(getattr(est, key)) == repr(value), key
    np.testing.assert_array_equal(est.predict(mix, ref), out)


def test_diverging_denoiser_first_fit_leaves_it_unfitted(mixtures):
    mix, ref, target = mixtures
    est = den(learning_rate=1e30, adversarial_weight=0.0, n_steps=20)
    with pytest.raises(TrainingDivergedError):
        est.fit(mix * 1e20, ref, target * 1e20)
    assert sorted(vars(est)) == sorted(vars(den()))
    with pytest.raises(NotFittedError):
        est.predict(mix, ref)


def test_denoiser_batch_size_is_clamped(mixtures):
    mix, ref, target = mixtures
    big = den(batch_size=10**9).fit(mix, ref, target)
    exact = den(batch_size=len(mix)).fit(mix, ref, target)
    np.testing.assert_array_equal(big.predict(mix, ref), exact.predict(mix, ref))


# --------------------------------------------------------------------------- AffineOverSampler


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=2, return_X_y=True)
    keep = np.r_[np.flatnonzero(y == 0)[:20], np.flatnonzero(y == 1)[:4]]
    return X[keep], y[keep]


def test_failed_affine_resample_keeps_the_previous_fit(digits, monkeypatch):
    X, y = digits
    sampler = AffineOverSampler(image_shape=(1, 8, 8), random_state=0)
    sampler.fit_resample(X, y)
    before = copy.deepcopy(vars(sampler))
    with pytest.raises(ValueError, match="image_shape"):
        sampler.fit_resample(X[:, :32], y[::-1])  # another shape, other class counts
    assert repr(vars(sampler)) == repr(before)
    with pytest.raises(ValueError, match="scale"):
        sampler.set_params(scale=(2.0, 1.0)).fit_resample(X[4:], y[4:])
    sampler.set_params(scale=(0.9, 1.1))
    assert repr(vars(sampler)) == repr(before)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ganbalance.affine_sampler, "warp", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sampler.fit_resample(X[::2], y[::2])
    assert repr(vars(sampler)) == repr(before)
    fresh = AffineOverSampler(image_shape=(1, 8, 8))
    with pytest.raises(KeyboardInterrupt):
        fresh.fit_resample(X, y)
    assert not hasattr(fresh, "sampling_strategy_") and not hasattr(fresh, "n_features_in_")
