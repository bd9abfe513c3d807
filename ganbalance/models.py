"""Small reference networks for :class:`ganbalance.classifier.TorchClassifier`.

Both networks output unnormalised logits of shape ``(n_samples, n_classes)``, which is what
:class:`~ganbalance.classifier.TorchClassifier` expects with its default
:class:`torch.nn.CrossEntropyLoss`. Their constructor arguments follow the naming convention that
:class:`~ganbalance.classifier.TorchClassifier` fills in automatically: ``n_classes``,
``n_features`` and ``image_shape``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from torch import nn

from ._validation import check_float, check_image_shape, check_int

__all__ = ["MLP", "SmallCNN"]


class SmallCNN(nn.Module):
    """The two-convolution network of the seed-001 MNIST experiment, for ``C x H x W`` images.

    Layer for layer the seed's network: ``Conv2d(C, 16, 3, padding=1)``, ReLU, ``MaxPool2d(2)``,
    ``Conv2d(16, 32, 3, padding=1)``, ReLU, ``MaxPool2d(2)``, flatten,
    ``Linear(32 * (H // 4) * (W // 4), 64)``, ReLU, ``Dropout(0.3)``,
    ``Linear(64, n_classes)``. With ``image_shape=(1, 28, 28)`` it is exactly the seed's
    network, with the same parameter names (``net.0.weight``, ...), so a state dict saved from
    the seed's code loads into it.

    Parameters
    ----------
    n_classes : int, default=2
        Number of outputs (logits). The seed's default, ``num_classes=2``, is kept.
    image_shape : tuple of int, default=(1, 28, 28)
        ``(C, H, W)`` of the input images; ``H`` and ``W`` must be at least 4 so that the two
        poolings leave at least one pixel.
    hidden : int, default=64
        Width of the fully connected layer.
    dropout : float, default=0.3
        Dropout probability before the output layer.

    Notes
    -----
    ``forward`` takes images of shape ``(n, C, H, W)`` or flattened rows of shape
    ``(n, C * H * W)``, which it reshapes to ``image_shape``.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.models import SmallCNN
    >>> net = SmallCNN(n_classes=3, image_shape=(1, 28, 28))
    >>> net(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 3])
    >>> net(torch.zeros(5, 784)).shape  # flattened rows are reshaped
    torch.Size([5, 3])
    """

    def __init__(self, n_classes: int = 2, image_shape: Sequence[int] = (1, 28, 28), *,
                 hidden: int = 64, dropout: float = 0.3):
        super().__init__()
        n_classes = check_int(n_classes, "n_classes", minimum=1)
        shape = check_image_shape(image_shape)
        if shape is None:
            raise TypeError("image_shape must be a tuple (C, H, W); got None.")
        channels, height, width = shape
        if height < 4 or width < 4:
            raise ValueError(
                f"image_shape={shape}: SmallCNN pools twice by 2, so H and W must be >= 4."
            )
        hidden = check_int(hidden, "hidden", minimum=1)
        dropout = check_float(dropout, "dropout", low=0.0, high=1.0)
        self.n_classes = n_classes
        self.image_shape = shape
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * (height // 4) * (width // 4), hidden), nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x):
        """Logits of shape ``(n, n_classes)`` for images or flattened rows ``x``."""
        if x.dim() == 2:
            x = x.reshape(x.shape[0], *self.image_shape)
        return self.net(x)


class MLP(nn.Module):
    """A plain multi-layer perceptron for tabular rows: Linear, ReLU (and dropout) per layer.

    Parameters
    ----------
    n_features : int
        Number of input features. Inputs with more than two dimensions (images) are flattened
        first, so ``n_features`` may be ``C * H * W``.
    n_classes : int, default=2
        Number of outputs (logits).
    hidden : int or sequence of int, default=64
        Width of each hidden layer: an int gives one hidden layer, a sequence one layer per
        entry, and an empty sequence a linear (multinomial logistic regression) model.
    dropout : float, default=0.0
        Dropout probability after each hidden layer's ReLU (0 adds no dropout layer).

    Examples
    --------
    >>> import torch
    >>> from ganbalance.models import MLP
    >>> net = MLP(n_features=4, n_classes=3, hidden=(16, 8))
    >>> net(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features: int, n_classes: int = 2,
                 hidden: int | Sequence[int] = 64, dropout: float = 0.0):
        super().__init__()
        n_features = check_int(n_features, "n_features", minimum=1)
        n_classes = check_int(n_classes, "n_classes", minimum=1)
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            widths = (check_int(hidden, "hidden", minimum=1),)
        elif isinstance(hidden, Sequence) and not isinstance(hidden, (str, bytes)):
            widths = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
        else:
            raise TypeError(
                f"hidden must be an int or a sequence of ints; got {type(hidden).__name__}."
            )
        dropout = check_float(dropout, "dropout", low=0.0, high=1.0)
        self.n_features = n_features
        self.n_classes = n_classes
        self.hidden = widths
        layers: list[nn.Module] = [nn.Flatten()]
        width_in = n_features
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width_in = width
        layers.append(nn.Linear(width_in, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        """Logits of shape ``(n, n_classes)``."""
        return self.net(x)
