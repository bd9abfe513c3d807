"""ConditionalGAN and GANOverSampler: a failed fit changes nothing, divergence is an error,
outputs are bounded, and a fitted table sampler saves and loads safely."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_classification

import ganbalance
from ganbalance import ConditionalGAN, GANOverSampler, TrainingDivergedError

FAST = dict(n_steps=5, batch_size=8, device="cpu")


@pytest.fixture(scope="module")
def rows():
    X, y = make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.7, 0.3], random_state=0)
    return X, y


def _raise_at(step_to_fail, exc):
    def callback(gan, step, logs):
        if step == step_to_fail:
            raise exc
    return callback


def _state(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") or k.startswith("_")}


@pytest.mark.parametrize("exc", [RuntimeError("callback failed"), KeyboardInterrupt()])
def test_failed_refit_keeps_the_previous_gan(rows, exc):
    X, y = rows
    gan = ConditionalGAN(random_state=0, **FAST).fit(X, y)
    before = gan.sample(4, y=1, random_state=0)
    attrs = _state(gan)
    gan.set_params(callbacks=[_raise_at(3, exc)])
    with pytest.raises(type(exc)):
        gan.fit(X[:40], np.where(y[:40] == 1, "p", "q"))
    assert _state(gan).keys() == attrs.keys()
    assert all(gan.__dict__[k] is v for k, v in attrs.items())
    assert list(gan.classes_) == [0, 1]
    assert not gan.generator_.training
    np.testing.assert_array_equal(gan.sample(4, y=1, random_state=0), before)


def test_failed_first_fit_leaves_no_fitted_attribute(rows):
    X, y = rows
    gan = ConditionalGAN(callbacks=[_raise_at(2, RuntimeError("x"))], **FAST)
    with pytest.raises(RuntimeError):
        gan.fit(X, y)
    assert not [k for k in vars(gan) if k.endswith("_") or k.startswith("_")]


def test_divergence_is_an_error_and_changes_nothing(rows):
    X, y = rows
    gan = ConditionalGAN(random_state=0, **FAST).fit(X, y)
    attrs = _state(gan)
    gan.set_params(learning_rate=1e10, n_steps=200)
    with pytest.raises(TrainingDivergedError, match="step"):
        gan.fit(X, y)
    assert all(gan.__dict__[k] is v for k, v in attrs.items())


def test_constant_generator_is_an_error(rows, monkeypatch):
    """A generator whose outputs no longer depend on its inputs raises, naming what to do."""
    X, y = rows
    from ganbalance import tabular_networks

    original = tabular_networks.InterpolationGenerator.forward

    def constant(self, z, labels, reference, neighbour, lam):
        return original(self, z, labels, reference, neighbour, lam) * 0.0

    monkeypatch.setattr(tabular_networks.InterpolationGenerator, "forward", constant)
    with pytest.raises(TrainingDivergedError, match="no longer depend on its inputs"):
        ConditionalGAN(random_state=0, **FAST).fit(X, y)


@pytest.mark.parametrize("exc", [RuntimeError("callback failed"), KeyboardInterrupt()])
def test_failed_sampler_refit_keeps_the_previous_fit(rows, exc):
    X, y = rows
    sampler = GANOverSampler(random_state=0, **FAST)
    sampler.fit_resample(X, y)
    before = sampler.sample(3, y=1, random_state=0)
    attrs = dict(vars(sampler))
    sampler.set_params(callbacks=[_raise_at(2, exc)])
    with pytest.raises(type(exc)):
        sampler.fit_resample(X[:, :3], y)
    assert vars(sampler).keys() - {"callbacks"} == attrs.keys() - {"callbacks"}
    assert all(vars(sampler)[k] is v for k, v in attrs.items() if k != "callbacks")
    assert sampler.n_features_in_ == 4
    np.testing.assert_array_equal(sampler.sample(3, y=1, random_state=0), before)


def test_sampler_refit_failing_its_image_check_keeps_the_old_width():
    X, y = load_digits(n_class=2, return_X_y=True)
    sampler = GANOverSampler(image_shape=(1, 8, 8), random_state=0, **FAST)
    sampler.fit_resample(X[:50], y[:50])
    with pytest.raises(ValueError, match="image_shape"):
        sampler.fit_resample(np.hstack([X[:50], X[:50, :8]]), y[:50])  # 72 features
    assert sampler.n_features_in_ == 64
    assert sampler.sample(2, y=1).shape == (2, 64)


def test_diverged_sampler_is_not_fitted(rows):
    X, y = rows
    sampler = GANOverSampler(learning_rate=1e10, n_steps=200, batch_size=8, device="cpu",
                             random_state=0)
    with pytest.raises(TrainingDivergedError):
        sampler.fit_resample(X, y)
    assert not hasattr(sampler, "generators_")
    assert not hasattr(sampler, "sampling_strategy_")


def test_huge_sample_is_refused_before_any_work(rows):
    X, y = rows
    gan = ConditionalGAN(random_state=0, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="GiB"):
        gan.sample(10**13, y=1)


def test_batch_size_larger_than_the_data_is_clamped(rows):
    X, y = rows
    gan = ConditionalGAN(random_state=0, n_steps=2, batch_size=10**6, device="cpu").fit(X, y)
    assert gan.sample(3, y=0).shape == (3, 4)


def test_mixed_table_sampler_saves_and_loads(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=40), "city": rng.choice(["a", "b", "c"], 40),
                      "n": pd.array(rng.integers(0, 9, 40), dtype="Int64"),
                      "tier": pd.Categorical(rng.choice(["g", "s"], 40))})
    y = np.array([0] * 30 + [1] * 10)
    sampler = GANOverSampler(random_state=0, **FAST)
    sampler.fit_resample(X, y)
    sampler.sample(5, y=1)
    sampler.save(tmp_path / "sampler.pt")
    loaded = ganbalance.load(tmp_path / "sampler.pt")
    assert type(loaded) is GANOverSampler
    pd.testing.assert_frame_equal(loaded.sample(7, y=1), sampler.sample(7, y=1))
    gan = loaded.generators_[1]
    assert isinstance(gan.generator_, torch.nn.Module) and gan.device_ == "cpu"


def test_pickled_cuda_sampler_says_cpu_at_every_level(rows, monkeypatch):
    import pickle

    X, y = rows
    sampler = GANOverSampler(random_state=0, **FAST)
    sampler.fit_resample(X, y)
    sampler.device_ = "cuda:0"  # as if trained on a GPU
    for gan in sampler.generators_.values():
        gan.device_ = "cuda:0"
    blob = pickle.dumps(sampler)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded onto the CPU"):
        loaded = pickle.loads(blob)
    assert loaded.device_ == "cpu"
    assert {gan.device_ for gan in loaded.generators_.values()} == {"cpu"}
