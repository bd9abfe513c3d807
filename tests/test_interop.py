"""GANOverSampler in front of other classifiers: TorchClassifier and a skorch net."""

from pathlib import Path

import numpy as np
import pytest
import torch
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score

from ganbalance import GANOverSampler, TorchClassifier
from ganbalance.models import MLP, SmallCNN

FAST = dict(n_steps=10, batch_size=32, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def imbalanced_digits():
    X, y = load_digits(n_class=3, return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rng = np.random.default_rng(0)
    train = np.concatenate([rng.choice(np.flatnonzero(y == c), n, replace=False)
                            for c, n in ((0, 100), (1, 100), (2, 3))])
    test = np.setdiff1d(np.arange(len(y)), train)
    return X[train], y[train], X[test], y[test]


def test_pipeline_with_torch_classifier(imbalanced_digits):
    X, y, X_test, y_test = imbalanced_digits
    pipe = make_pipeline(
        GANOverSampler(image_shape=(1, 8, 8), **FAST),
        TorchClassifier(SmallCNN, image_shape=(1, 8, 8), max_epochs=10, device="cpu",
                        random_state=0),
    )
    pipe.fit(X, y)
    assert balanced_accuracy_score(y_test, pipe.predict(X_test)) > 0.6


def test_pipeline_with_skorch_net(imbalanced_digits):
    skorch = pytest.importorskip("skorch")
    X, y, X_test, y_test = imbalanced_digits

    net = skorch.NeuralNetClassifier(
        MLP, module__n_features=64, module__n_classes=3, max_epochs=30, lr=0.01,
        optimizer=torch.optim.Adam, criterion=torch.nn.CrossEntropyLoss, train_split=None,
        verbose=0, device="cpu",
    )
    pipe = make_pipeline(GANOverSampler(image_shape=(1, 8, 8), **FAST), net)
    with torch.random.fork_rng():
        torch.manual_seed(0)  # skorch seeds from the global torch generator
        pipe.fit(X, y.astype(np.int64))
    sampler = pipe.steps[0][1]
    assert sampler.sampling_strategy_[2] == 97
    assert balanced_accuracy_score(y_test, pipe.predict(X_test)) > 0.6


MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


@pytest.mark.skipif(not MNIST.is_dir(), reason="needs the MNIST files in ../shared/data/mnist")
def test_issue_pipeline_on_real_mnist():
    """The pipeline of the README quick start, on real MNIST (short training)."""
    from ganbalance.datasets import load_mnist, make_imbalanced_digits

    mnist = load_mnist(MNIST)
    X, y = make_imbalanced_digits(mnist.X_train / 255.0, mnist.y_train, {1: 5, 2: 100, 3: 100},
                                  random_state=0)
    pipe = make_pipeline(
        GANOverSampler(image_shape=(1, 28, 28), n_steps=30, random_state=0, device="cpu"),
        TorchClassifier(SmallCNN, image_shape=(1, 28, 28), max_epochs=3, random_state=0,
                        device="cpu"),
    )
    pipe.fit(X, y)
    test = np.isin(mnist.y_test, [1, 2, 3])
    pred = pipe.predict(mnist.X_test[test] / 255.0)
    assert set(pred) <= {1, 2, 3}
    assert balanced_accuracy_score(mnist.y_test[test], pred) > 0.5
