"""Tests of ganbalance.classifier.TorchClassifier."""

import copy
import doctest
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

import ganbalance.classifier
from ganbalance._classifier_loop import SEED_SPLIT, validation_split
from ganbalance._random import child_seed
from ganbalance.classifier import TorchClassifier
from ganbalance.models import MLP, SmallCNN

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def fast(**params):
    """A TorchClassifier that learns the checks' easy problems in a few milliseconds."""
    defaults = dict(module=MLP, lr=0.05, max_epochs=8, batch_size=64, device="cpu",
                    random_state=0)
    if params.get("module", MLP) is MLP:
        defaults["module__hidden"] = 16
    return TorchClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


# --------------------------------------------------------------------------- estimator checks

EXPECTED_FAILED_CHECKS = {
    "check_dtype_object": (
        "By design: ganbalance refuses object-dtype X (TypeError) instead of converting it to "
        "float as scikit-learn does, so that a column of strings which happens to parse is "
        "never used as a feature by accident. All estimators in the package share this rule "
        "(_validation.check_numeric_dtype)."
    ),
}


@parametrize_with_checks(
    [fast(), fast(module__dropout=0.2, validation_fraction=0.2, early_stopping=True)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_expected_failure_is_real(blobs):
    X, y = blobs
    with pytest.raises(TypeError, match="X must hold real numbers"):
        fast().fit(X.astype(object), y)


# --------------------------------------------------------------------------- basics


def test_fit_predict_attributes(blobs):
    X, y = blobs
    clf = fast(max_epochs=15).fit(X, y)
    assert clf.score(X, y) > 0.95
    assert isinstance(clf.module_, MLP) and clf.module_.hidden == (16,)
    assert isinstance(clf.criterion_, nn.CrossEntropyLoss)
    assert isinstance(clf.optimizer_, torch.optim.Adam)
    assert clf.optimizer_.param_groups[0]["lr"] == 0.05
    assert clf.n_features_in_ == 4 and clf.n_epochs_ == 15 and clf.device_ == "cpu"
    assert isinstance(clf.seed_, int)
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64 and proba.shape == (120, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert not clf.module_.training  # left in eval mode after training


@NO_CUDA
def test_device_auto_is_cpu_without_cuda(blobs):
    X, y = blobs
    assert fast(device="auto", max_epochs=1).fit(X, y).device_ == "cpu"


def test_history(blobs):
    X, y = blobs
    clf = fast(max_epochs=3).fit(X, y)
    assert [h["epoch"] for h in clf.history_] == [1, 2, 3]
    assert set(clf.history_[0]) == {"epoch", "train_loss", "train_acc", "dur"}
    assert clf.history_[-1]["train_loss"] < clf.history_[0]["train_loss"]
    assert clf.best_epoch_ is None


@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "emu"]), np.array([-1, 1, 7])])
def test_arbitrary_labels(blobs, labels):
    X, y = blobs
    y_named = labels[y]
    clf = fast(max_epochs=15).fit(X, y_named)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(X)) <= set(labels)
    assert clf.score(X, y_named) > 0.95


def test_binary_minus_one_plus_one():
    X, y = make_blobs(n_samples=80, centers=2, n_features=3, random_state=1)
    y = np.where(y == 0, -1, 1)
    clf = fast(max_epochs=15).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    assert clf.predict_proba(X).shape == (80, 2)
    assert clf.score(X, y) > 0.95


def test_dataframe_input(blobs):
    X, y = blobs
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = fast(max_epochs=2).fit(df, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert clf.predict(df).shape == (120,)


def test_readonly_input_needs_no_copy_warning(blobs):
    X, y = blobs
    X = X.copy()
    X.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast(max_epochs=1).fit(X, y).predict(X)


def test_caller_arrays_not_mutated(blobs):
    X, y = blobs
    for X_in in (X.copy(), X.astype(np.float64)):  # float32 is used without a copy
        X_before, y_before = X_in.copy(), y.copy()
        clf = fast(max_epochs=2).fit(X_in, y)
        clf.partial_fit(X_in, y)
        clf.predict_proba(X_in)
        np.testing.assert_array_equal(X_in, X_before)
        np.testing.assert_array_equal(y, y_before)


def test_verbose_shows_progress_bar(blobs, capsys):
    X, y = blobs
    fast(max_epochs=2, verbose=1).fit(X, y)
    assert "TorchClassifier" in capsys.readouterr().err
    fast(max_epochs=2).fit(X, y)
    assert capsys.readouterr().err == ""


def test_not_fitted(blobs):
    with pytest.raises(NotFittedError):
        fast().predict(blobs[0])


# --------------------------------------------------------------------------- determinism


def test_same_random_state_is_bit_identical(blobs):
    X, y = blobs
    params = dict(module__dropout=0.3, validation_fraction=0.2)
    a = fast(**params).fit(X, y)
    b = fast(**params).fit(X, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters(), strict=True):
        assert torch.equal(pa, pb)
    refit = a.fit(X, y).predict_proba(X)
    assert np.array_equal(refit, b.predict_proba(X))
    other = fast(random_state=1, **params).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), b.predict_proba(X))


def test_fit_equals_partial_fit_sequence(blobs):
    X, y = blobs
    full = fast(max_epochs=3).fit(X, y)
    step = fast()
    for _ in range(3):
        step.partial_fit(X, y, classes=np.unique(y))
    assert step.n_epochs_ == 3
    assert np.array_equal(full.predict_proba(X), step.predict_proba(X))


@pytest.mark.parametrize("random_state", [None, 0, np.random.RandomState(0)])
def test_global_rng_untouched(blobs, random_state):
    X, y = blobs
    np.random.seed(123)  # noqa: NPY002 - the global generator is what is checked
    torch.manual_seed(123)
    np_state, torch_state = np.random.get_state(), torch.get_rng_state()  # noqa: NPY002
    clf = fast(random_state=random_state, module__dropout=0.5, validation_fraction=0.25,
               early_stopping=True, max_epochs=3).fit(X, y)
    clf.partial_fit(X, y)
    clf.predict_proba(X)
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    assert torch.equal(torch.get_rng_state(), torch_state)


# --------------------------------------------------------------------------- pickling


def test_pickle_round_trip(blobs):
    X, y = blobs
    clf = fast(max_epochs=3, class_weight="balanced").fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.get_params()["module__hidden"] == 16
    assert loaded.device_ == "cpu" and loaded.history_ == clf.history_
    # The optimizer still drives the loaded module's parameters: training goes on.
    assert loaded.optimizer_.param_groups[0]["params"][0] is next(loaded.module_.parameters())
    loaded.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    unfitted = pickle.loads(pickle.dumps(fast(module__hidden=4)))
    assert unfitted.get_params()["module__hidden"] == 4


def test_pickle_holds_plain_state_dicts(blobs):
    """Unpickling never calls torch.load: the torch objects are stored as CPU state dicts."""
    X, y = blobs
    state = fast(max_epochs=1).fit(X, y).__getstate__()
    assert all(isinstance(v, torch.Tensor) for v in state["module_"].values())
    assert set(state["optimizer_"]) == {"state", "param_groups"}
    assert not any(isinstance(v, bytes) for v in state.values())


def test_legacy_pickle_is_refused():
    clf = TorchClassifier.__new__(TorchClassifier)
    with pytest.raises(ValueError, match="Refit"):
        clf.__setstate__({"_ganbalance_torch_state": b"", "_device": "cpu"})


def test_batch_size_larger_than_the_data_is_clamped(blobs):
    X, y = blobs
    big = fast(batch_size=10**9, max_epochs=2).fit(X, y)
    exact = fast(batch_size=len(X), max_epochs=2).fit(X, y)
    np.testing.assert_array_equal(big.predict_proba(X), exact.predict_proba(X))


def test_deepcopy(blobs):
    X, y = blobs
    clf = fast(max_epochs=2).fit(X, y)
    dup = copy.deepcopy(clf)
    assert dup.module_ is not clf.module_
    assert np.array_equal(dup.predict_proba(X), clf.predict_proba(X))


@NO_CUDA
def test_model_recorded_on_cuda_loads_on_cpu(blobs):
    X, y = blobs
    clf = fast(max_epochs=2).fit(X, y)
    expected = clf.predict_proba(X)
    clf.device_ = "cuda:0"  # as if trained on a GPU machine
    payload = pickle.dumps(clf)
    with pytest.warns(UserWarning, match="loaded onto the CPU"):
        loaded = pickle.loads(payload)
    assert loaded.device_ == "cpu"
    assert np.array_equal(loaded.predict_proba(X), expected)


# --------------------------------------------------------------------------- modules


def test_module_instance_is_copied_not_mutated(blobs):
    X, y = blobs
    net = MLP(4, 3, hidden=8)
    before = copy.deepcopy(net.state_dict())
    clf = fast(module=net, max_epochs=3).fit(X, y)
    assert clf.module_ is not net
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key])
    first = clf.predict_proba(X)
    assert np.array_equal(clf.fit(X, y).predict_proba(X), first)  # refit starts afresh
    with pytest.raises(ValueError, match="module__"):
        TorchClassifier(net, module__hidden=4, device="cpu").fit(X, y)


def test_factory_gets_data_derived_arguments(blobs):
    X, y = blobs
    seen = {}

    def factory(n_features, n_classes, width=3):
        seen.update(n_features=n_features, n_classes=n_classes, width=width)
        return nn.Sequential(nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, n_classes))

    fast(module=factory, module__width=6, max_epochs=1).fit(X, y)
    assert seen == {"n_features": 4, "n_classes": 3, "width": 6}
    with pytest.raises(TypeError, match="module__depth"):
        fast(module=factory, module__depth=2).fit(X, y)


class _Uninspectable:
    """A factory whose signature ``inspect`` cannot read (some C extensions are like this)."""

    @property
    def __signature__(self):
        raise ValueError("no signature found")

    def __call__(self, width):
        return nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 3))


def test_factory_without_a_signature(blobs):
    X, y = blobs
    fast(module=_Uninspectable(), module__width=5, max_epochs=1).fit(X, y)
    with pytest.raises(TypeError, match=r"could not be called with depth=, width=: its "
                                        r"signature cannot be inspected"):
        fast(module=_Uninspectable(), module__width=5, module__depth=2).fit(X, y)


def test_module_output_and_type_checked(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"\(batch, n_classes\)"):
        fast(module=lambda n_features: nn.Linear(n_features, 7)).fit(X, y)
    with pytest.raises(TypeError, match="not an nn.Module"):
        fast(module=lambda: "not a network").fit(X, y)


def test_image_shape_with_smallcnn():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, size=(40, 64)).astype(np.float32)
    y = np.repeat(["a", "b"], 20)
    clf = TorchClassifier(SmallCNN, image_shape=(1, 8, 8), max_epochs=1, batch_size=16,
                          device="cpu", random_state=0).fit(X, y)
    assert clf.module_.image_shape == (1, 8, 8)
    assert clf.module_.net[-1].out_features == 2
    assert clf.predict(X).shape == (40,)
    with pytest.raises(ValueError, match="image_shape"):
        clf.set_params(image_shape=(1, 8, 9)).fit(X, y)


# --------------------------------------------------------------------------- class weights


def test_class_weight_reaches_criterion(blobs):
    X, y = blobs
    y_named = np.array(["a", "b", "c"])[y]
    clf = fast(max_epochs=1, class_weight={"a": 2.0, "c": 0.5}).fit(X, y_named)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), [2.0, 1.0, 0.5])
    y_skewed = np.r_[np.zeros(90, int), np.ones(30, int)]
    clf = fast(max_epochs=1, class_weight="balanced").fit(X, y_skewed)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), [120 / 180, 120 / 60])


def test_class_weight_changes_predictions():
    X, y = make_blobs(n_samples=200, centers=2, cluster_std=4.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    plain = fast(max_epochs=10).fit(X, y).predict(X)
    favour_1 = fast(max_epochs=10, class_weight={0: 1.0, 1: 20.0}).fit(X, y).predict(X)
    assert (favour_1 == 1).sum() > (plain == 1).sum()


def test_class_weight_errors(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="not among the classes"):
        fast(class_weight={5: 1.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight"):
        fast(class_weight={0: 1.0}, criterion=nn.CrossEntropyLoss()).fit(X, y)
    with pytest.raises(ValueError, match="weight="):
        fast(class_weight="balanced", criterion=lambda: nn.CrossEntropyLoss()).fit(X, y)
    with pytest.raises(ValueError, match="criterion__weight"):
        fast(class_weight="balanced", criterion__weight=torch.ones(3)).fit(X, y)


# --------------------------------------------------------------------------- early stopping


def test_validation_history_and_early_stopping():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = rng.integers(0, 2, size=200)  # pure noise: validation loss soon gets worse
    clf = fast(module__hidden=64, lr=0.05, max_epochs=100, validation_fraction=0.3,
               early_stopping=True, patience=3).fit(X, y)
    assert clf.n_epochs_ < 100
    assert clf.n_epochs_ == clf.best_epoch_ + 3
    assert {"valid_loss", "valid_acc"} <= set(clf.history_[0])
    losses = [h["valid_loss"] for h in clf.history_]
    assert losses[clf.best_epoch_ - 1] == min(losses)
    # The best epoch's weights were restored.
    X_t = torch.as_tensor(X, dtype=torch.float32)
    _, valid_idx = validation_split(y.astype(np.int64), 0.3, child_seed(clf.seed_, SEED_SPLIT))
    loss, _ = clf._evaluate(X_t[valid_idx], torch.as_tensor(y[valid_idx]), 64)
    assert loss == pytest.approx(min(losses), rel=1e-6)


def test_validation_without_early_stopping_runs_all_epochs(blobs):
    X, y = blobs
    clf = fast(max_epochs=4, validation_fraction=0.25).fit(X, y)
    assert clf.n_epochs_ == 4 and len(clf.history_) == 4
    assert clf.best_epoch_ in {1, 2, 3, 4}


def test_unstratifiable_validation_split_warns(blobs):
    X, y = blobs
    y = y.copy()
    y[0] = 5  # a class with a single sample cannot be stratified
    with pytest.warns(UserWarning, match="could not be stratified"):
        fast(max_epochs=1, validation_fraction=0.2).fit(X, y)


# --------------------------------------------------------------------------- partial_fit


def test_partial_fit(blobs):
    X, y = blobs
    clf = fast()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    clf.partial_fit(X[60:], y[60:])
    assert clf.n_epochs_ == 2 and len(clf.history_) == 2
    with pytest.raises(ValueError, match="not the same as classes_"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="balanced"):
        fast(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="at least 2 classes"):
        fast().partial_fit(X, np.zeros(len(X)), classes=[0])


def test_partial_fit_after_fit_continues(blobs):
    X, y = blobs
    clf = fast(max_epochs=2).fit(X, y)
    weights = [p.detach().clone() for p in clf.module_.parameters()]
    clf.partial_fit(X, y)
    assert clf.n_epochs_ == 3
    assert any(not torch.equal(a, b) for a, b in zip(weights, clf.module_.parameters(),
                                                       strict=True))


def test_partial_fit_with_unseen_class_in_first_batch(blobs):
    X, y = blobs
    clf = fast().partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    assert clf.predict_proba(X).shape == (120, 3)


# --------------------------------------------------------------------------- bad data


@pytest.mark.parametrize(
    ("make_X", "make_y", "error", "match"),
    [
        (lambda X: np.where(np.eye(*X.shape, dtype=bool), np.nan, X), None, ValueError, "NaN"),
        (lambda X: np.where(np.eye(*X.shape, dtype=bool), np.inf, X), None, ValueError,
         "infinity"),
        (lambda X: X[:-1], None, ValueError, "inconsistent numbers of samples"),
        (lambda X: X.astype(object), None, TypeError, "X must hold real numbers"),
        (lambda X: X.astype(str), None, TypeError, "X must hold real numbers"),
        (lambda X: X[:, 0], None, ValueError, "2D array"),
        (None, lambda y: np.zeros(len(y)), ValueError, "at least 2 classes; got 1 class"),
        (None, lambda y: y + 0.5, ValueError, "Unknown label type"),
        (None, lambda y: np.where(y == 0, np.nan, y), ValueError, "NaN"),
    ],
)
def test_bad_data(blobs, make_X, make_y, error, match):
    X, y = blobs
    X = make_X(X) if make_X else X
    y = make_y(y) if make_y else y
    with pytest.raises(error, match=match):
        fast().fit(X, y)


def test_bad_data_at_predict(blobs):
    X, y = blobs
    clf = fast(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])
    with pytest.raises(TypeError, match="X must hold real numbers"):
        clf.predict(X.astype(object))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(np.full_like(X, np.nan))


# --------------------------------------------------------------------------- integration


def test_in_imblearn_pipeline(blobs):
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.pipeline import make_pipeline as make_imb_pipeline

    X, y = blobs
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:5]]
    pipe = make_imb_pipeline(RandomOverSampler(random_state=0), fast(max_epochs=10))
    pipe.fit(X[keep], y[keep])
    assert pipe.score(X, y) > 0.9
    assert make_pipeline(StandardScaler(), fast(max_epochs=2)).fit(X, y).predict(X).shape == (120,)


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="shared MNIST folder not present")
def test_smallcnn_on_real_mnist():
    from ganbalance.datasets import load_mnist

    data = load_mnist(MNIST_DIR)
    clf = TorchClassifier(SmallCNN, image_shape=(1, 28, 28), max_epochs=1, batch_size=32,
                          device="cpu", random_state=0)
    clf.fit(data.X_train[:500], data.y_train[:500])
    assert np.isfinite(clf.history_[0]["train_loss"])
    assert clf.score(data.X_test[:500], data.y_test[:500]) > 0.3  # chance is 0.1


def test_docstring_examples():
    result = doctest.testmod(ganbalance.classifier, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_failed_fit_leaves_no_fitted_state(blobs):
    """A validation split that cannot be made is refused before the module is built."""
    X, y = blobs
    clf = fast(validation_fraction=0.999)
    with pytest.raises(ValueError, match="validation_fraction"):
        clf.fit(X, y)
    assert not hasattr(clf, "module_")
    with pytest.raises(NotFittedError):
        clf.predict(X[:3])


def test_failed_first_partial_fit_leaves_no_fitted_state(blobs):
    X, y = blobs
    clf = fast()
    with pytest.raises(ValueError, match=r"y has labels \[2\]"):
        clf.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(clf, "module_")
    # The next call is a first call again, so it still needs classes.
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[y < 2], y[y < 2])


def test_predict_never_writes_to_the_callers_array(blobs):
    """Even a module that works in place gets a copy of the caller's rows at predict time."""
    X, y = blobs
    def in_place(n_features, n_classes):
        return nn.Sequential(nn.ReLU(inplace=True), nn.Linear(n_features, n_classes))
    X = np.ascontiguousarray(X - 1.0, dtype=np.float32)
    original = X.copy()
    clf = fast(module=in_place, max_epochs=1).fit(X, y)
    clf.predict(X)
    clf.predict_proba(X)
    np.testing.assert_array_equal(X, original)
