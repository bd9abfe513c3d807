"""Tests of TorchClassifier's parameters: the prefixed ``module__``, ``criterion__`` and
``optimizer__`` ones, the ``_parameter_constraints`` table, and the checks it cannot express.

The rest of the estimator is tested in test_classifier.py."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation
from torch import nn

from ganbalance.classifier import TorchClassifier
from ganbalance.models import MLP

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def fast(**params):
    """A TorchClassifier that trains in milliseconds: an MLP of 16 hidden units, on the CPU."""
    hidden = {"module__hidden": 16} if params.get("module", MLP) is MLP else {}
    return TorchClassifier(**{"module": MLP, "lr": 0.05, "max_epochs": 8, "device": "cpu",
                              "random_state": 0, **hidden, **params})


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


# --------------------------------------------------------------------------- parameters


def test_prefixed_params_get_set_clone():
    clf = TorchClassifier(MLP, module__hidden=8, optimizer__weight_decay=1e-4)
    params = clf.get_params()
    assert params["module__hidden"] == 8 and params["optimizer__weight_decay"] == 1e-4
    clf.set_params(module__hidden=32, criterion__label_smoothing=0.1, lr=0.01)
    cloned = clone(clf)
    assert cloned.get_params()["module__hidden"] == 32
    assert cloned.get_params()["criterion__label_smoothing"] == 0.1
    assert cloned.lr == 0.01
    assert "module__hidden=32" in repr(cloned)
    with pytest.raises(ValueError, match="Invalid parameter"):
        clf.set_params(hiden=3)


def test_prefixed_params_reach_components(blobs):
    X, y = blobs
    clf = fast(max_epochs=1, module__hidden=(5, 3), optimizer=torch.optim.SGD,
               optimizer__momentum=0.9, criterion__label_smoothing=0.2).fit(X, y)
    assert clf.module_.hidden == (5, 3)
    assert clf.optimizer_.param_groups[0]["momentum"] == 0.9
    assert clf.criterion_.label_smoothing == 0.2
    clf = fast(max_epochs=1, optimizer__lr=0.2).fit(X, y)  # as in skorch: overrides lr
    assert clf.optimizer_.param_groups[0]["lr"] == 0.2


def test_grid_search_over_prefixed_params(blobs):
    X, y = blobs
    grid = GridSearchCV(
        fast(max_epochs=2),
        {"module__hidden": [4, 8], "optimizer__weight_decay": [0.0, 1e-3]},
        cv=2,
    ).fit(X, y)
    assert set(grid.best_params_) == {"module__hidden", "optimizer__weight_decay"}
    assert grid.best_estimator_.module_.hidden == (grid.best_params_["module__hidden"],)
    assert len(grid.cv_results_["params"]) == 4


def test_unknown_kwarg_is_refused_at_fit(blobs):
    clf = TorchClassifier(MLP, hidden=8, device="cpu")  # stored: __init__ only stores
    with pytest.raises(TypeError, match="hidden.*module__"):
        clf.fit(*blobs)


# --------------------------------------------------------------------------- bad input


def table(name):
    """The message of scikit-learn's parameter validation for ``name`` (the table's check)."""
    return rf"The '{name}' parameter of TorchClassifier must be .* Got .* instead"


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"lr": 0}, ValueError, table("lr")),
        ({"lr": "fast"}, TypeError, table("lr")),
        ({"lr": float("nan")}, ValueError, table("lr")),
        ({"lr": float("inf")}, ValueError, table("lr")),
        ({"optimizer__lr": -1.0}, ValueError, table("optimizer__lr")),
        ({"optimizer__lr": float("nan")}, ValueError, table("optimizer__lr")),
        ({"max_epochs": 0}, ValueError, table("max_epochs")),
        ({"max_epochs": 2.5}, TypeError, table("max_epochs")),
        ({"batch_size": 0}, ValueError, table("batch_size")),
        ({"batch_size": None}, TypeError, table("batch_size")),
        ({"patience": 0}, ValueError, table("patience")),
        ({"verbose": -1}, ValueError, table("verbose")),
        ({"device": "gpu"}, ValueError, "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
        ({"device": 0}, TypeError, table("device")),
        ({"image_shape": (1, 2)}, ValueError, "image_shape must be a tuple of three ints"),
        ({"image_shape": (1, 2, 2)}, ValueError, "image_shape"),  # X gets 8 features below
        ({"image_shape": "1x2x2"}, TypeError, table("image_shape")),
        ({"class_weight": "auto"}, ValueError, table("class_weight")),
        ({"validation_fraction": 1.0}, ValueError, table("validation_fraction")),
        ({"validation_fraction": 0}, ValueError, table("validation_fraction")),
        ({"early_stopping": "yes"}, TypeError, table("early_stopping")),
        ({"early_stopping": True}, ValueError, "early_stopping=True needs validation_fraction"),
        ({"module": 3}, TypeError, table("module")),
        ({"criterion": "ce"}, TypeError, table("criterion")),
        ({"optimizer": "adam"}, TypeError, table("optimizer")),
        ({"random_state": "seed"}, TypeError, table("random_state")),
        ({"random_state": -1}, ValueError, table("random_state")),
        ({"optimizer__params": []}, ValueError, "optimizer__params is not allowed"),
        ({"criterion": nn.CrossEntropyLoss(), "criterion__label_smoothing": 0.1}, ValueError,
         "criterion__\\* parameters need criterion to be a class"),
    ],
)
def test_bad_parameters(blobs, params, error, match):
    X, y = blobs
    if params.get("image_shape") == (1, 2, 2):
        X = np.hstack([X, X])  # 8 features, but the shape has 4 values
    clf = fast(**params)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "module_")  # refused before any training


def test_parameter_table_covers_every_named_parameter():
    """scikit-learn's own check: one table entry per named parameter, each one enforced by
    fit and partial_fit with scikit-learn's message (InvalidParameterError)."""
    check_param_validation("TorchClassifier",
                           TorchClassifier(MLP, max_epochs=1, device="cpu", random_state=0))
    assert set(TorchClassifier._parameter_constraints) == set(TorchClassifier(MLP).get_params())


def test_table_checks_partial_fit_and_predict(blobs):
    X, y = blobs
    with pytest.raises(InvalidParameterError, match=table("max_epochs")):
        fast(max_epochs=0).partial_fit(X, y, classes=[0, 1, 2])
    clf = fast(max_epochs=1).fit(X, y)
    clf.set_params(batch_size=0)  # after fit: predict reads batch_size, and checks it
    with pytest.raises(InvalidParameterError, match=table("batch_size")):
        clf.predict(X)
    with pytest.raises(InvalidParameterError, match=table("image_shape")):
        clf.set_params(batch_size=8, image_shape="1x2x2").predict_proba(X)


def test_lr_is_checked_even_with_optimizer_lr(blobs):
    """optimizer__lr takes the place of lr, but both must be valid."""
    with pytest.raises(InvalidParameterError, match=table("lr")):
        fast(lr=-1.0, optimizer__lr=0.1).fit(*blobs)


def test_bad_optimizer_instance(blobs):
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(TypeError, match="optimizer"):
        fast(optimizer=optimizer).fit(*blobs)


@NO_CUDA
def test_cuda_device_without_cuda(blobs):
    with pytest.raises(ValueError, match="CUDA is not available"):
        fast(device="cuda").fit(*blobs)
