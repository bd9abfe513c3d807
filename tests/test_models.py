"""Tests of ganbalance.models: the seed-001 SmallCNN and the MLP."""

import doctest

import pytest
import torch
from torch import nn

import ganbalance.models
from ganbalance.models import MLP, SmallCNN


class SeedSmallCNN(nn.Module):
    """The network of seed 001, copied verbatim (with num_classes as its argument)."""

    def __init__(self, num_classes=2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 64), nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(64, num_classes)
        )

    def forward(self, x):
        return self.net(x)


def test_smallcnn_is_the_seed_network():
    seed, ours = SeedSmallCNN(3), SmallCNN(3, image_shape=(1, 28, 28))
    assert [type(m) for m in seed.net] == [type(m) for m in ours.net]
    assert [repr(m) for m in seed.net] == [repr(m) for m in ours.net]
    seed_state = seed.state_dict()
    assert {k: v.shape for k, v in seed_state.items()} == {
        k: v.shape for k, v in ours.state_dict().items()
    }
    ours.load_state_dict(seed_state)
    seed.eval()
    ours.eval()
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(seed(x), ours(x))
        assert torch.equal(ours(x), ours(x.reshape(4, -1)))  # flattened rows are reshaped


def test_smallcnn_default_matches_seed_default():
    assert SmallCNN().net[-1].out_features == 2  # the seed's num_classes=2
    assert SmallCNN().image_shape == (1, 28, 28)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (2, 9, 13), (1, 4, 4)])
def test_smallcnn_other_shapes(shape):
    net = SmallCNN(n_classes=5, image_shape=shape)
    c, h, w = shape
    assert net.net[7].in_features == 32 * (h // 4) * (w // 4)
    assert net(torch.zeros(2, *shape)).shape == (2, 5)
    assert net(torch.zeros(2, c * h * w)).shape == (2, 5)


def test_smallcnn_hidden_and_dropout():
    net = SmallCNN(4, image_shape=(1, 8, 8), hidden=16, dropout=0.0)
    assert net.net[7].out_features == 16
    assert net.net[9].p == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image_shape": (1, 3, 28)}, ValueError, "H and W must be >= 4"),
        ({"image_shape": (1, 28)}, ValueError, "image_shape"),
        ({"image_shape": None}, TypeError, "image_shape"),
        ({"n_classes": 0}, ValueError, "n_classes"),
        ({"n_classes": 2.0}, TypeError, "n_classes"),
        ({"hidden": 0}, ValueError, "hidden"),
        ({"dropout": 1.5}, ValueError, "dropout"),
    ],
)
def test_smallcnn_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        SmallCNN(**kwargs)


def test_mlp_layers():
    net = MLP(n_features=6, n_classes=3, hidden=(8, 4), dropout=0.5)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(6, 8), (8, 4), (4, 3)]
    assert sum(isinstance(m, nn.Dropout) for m in net.modules()) == 2
    assert net(torch.zeros(5, 6)).shape == (5, 3)


def test_mlp_int_hidden_and_linear_model():
    assert MLP(3, 2, hidden=7).hidden == (7,)
    linear = MLP(3, 2, hidden=())
    assert [type(m) for m in linear.net] == [nn.Flatten, nn.Linear]
    assert not any(isinstance(m, nn.Dropout) for m in MLP(3, 2).modules())


def test_mlp_flattens_images():
    assert MLP(n_features=12, n_classes=2)(torch.zeros(3, 1, 3, 4)).shape == (3, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_features": 0}, ValueError, "n_features"),
        ({"n_features": 3, "n_classes": 0}, ValueError, "n_classes"),
        ({"n_features": 3, "hidden": "64"}, TypeError, "hidden"),
        ({"n_features": 3, "hidden": (4, 0)}, ValueError, "hidden"),
        ({"n_features": 3, "dropout": -0.1}, ValueError, "dropout"),
    ],
)
def test_mlp_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP(**kwargs)


def test_docstring_examples():
    result = doctest.testmod(ganbalance.models, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
