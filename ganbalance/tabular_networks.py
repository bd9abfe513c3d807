"""Networks for encoded tables (see :mod:`ganbalance.tabular`). Pure modules: no optimisers,
no device calls.

Every generator ends in :func:`decode_activation`: continuous variables stay linear, and each
categorical variable becomes an exact one-hot vector in the forward pass with the softmax's
gradient in the backward pass (a straight-through estimator). The discriminator therefore
never sees a soft category that no real row has, and no random Gumbel noise is needed, so the
networks draw nothing from torch's global random state.

:class:`InterpolationGenerator`, the default for tables, starts as SMOTE in the encoded space
(a random point between a real row and one of its same-class neighbours, a category taken from
the nearer of the two) and learns, adversarially, where on and around that segment the class's
rows lie.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["InterpolationGenerator", "decode_activation", "categorical_slices"]



def categorical_slices(spans):
    """``(start, stop)`` of each categorical variable of a list of
    :class:`~ganbalance.tabular.ColumnSpan`."""
    return tuple((s.start, s.stop) for s in spans if s.kind == "categorical")


def decode_activation(x, slices):
    """Straight-through one-hot on each categorical block of ``x`` (logits); the rest as is.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.tabular_networks import decode_activation
    >>> decode_activation(torch.tensor([[0.3, 2.0, -1.0]]), ((1, 3),))
    tensor([[0.3000, 1.0000, 0.0000]])
    """
    if not slices:
        return x
    parts, last = [], 0
    for start, stop in slices:
        parts.append(x[:, last:start])
        soft = F.softmax(x[:, start:stop], dim=1)
        hard = F.one_hot(soft.argmax(dim=1), stop - start).to(soft.dtype)
        parts.append(hard + soft - soft.detach())
        last = stop
    parts.append(x[:, last:])
    return torch.cat(parts, dim=1)


def _mlp(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class InterpolationGenerator(nn.Module):
    """``(z, label, reference, neighbour, lam) -> row``: a learned SMOTE step.

    The base row is ``reference + t * (neighbour - reference)`` with ``t = sigmoid(logit(lam) +
    dt)``. Continuous variables add ``tanh(r) * |neighbour - reference|``: the generator may
    leave the segment, but by at most the distance between the two rows in each column, so new
    rows stay near the class where it is dense and spread where it is sparse. Each categorical
    block's logits are ``log(base block) + r * |neighbour - reference|``: they can only move
    where the two rows disagree. ``dt`` and ``r`` come from one MLP and start at zero, so the
    untrained generator is SMOTE (and SMOTENC-like on categories).

    Parameters
    ----------
    n_features : int
        Width of an encoded row.
    n_classes : int
        Number of labels.
    slices : tuple of (int, int)
        The categorical blocks, from :func:`categorical_slices`.
    latent_dim : int, default=16
        Size of the latent code (and of the label embedding).
    hidden : int, default=64
        Units of each hidden layer.

    Examples
    --------
    Untrained, it interpolates:

    >>> import torch
    >>> from ganbalance.tabular_networks import InterpolationGenerator
    >>> G = InterpolationGenerator(n_features=2, n_classes=1, slices=())
    >>> ref, nbr = torch.zeros(1, 2), torch.ones(1, 2)
    >>> G(torch.zeros(1, 16), torch.tensor([0]), ref, nbr, torch.tensor([0.25])).detach()
    tensor([[0.2500, 0.2500]])
    """

    def __init__(self, n_features, n_classes, slices, latent_dim=16, hidden=64):
        super().__init__()
        self.slices = tuple(slices)
        self.embed = nn.Embedding(n_classes, latent_dim)
        self.net = _mlp([2 * n_features + 1 + 2 * latent_dim, hidden, hidden, n_features + 1])
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, z, labels, reference, neighbour, lam):
        """Rows ``(N, n_features)`` from codes ``(N, latent_dim)``, labels ``(N,)``, reference
        and neighbour rows ``(N, n_features)`` and interpolation weights ``lam`` ``(N,)`` in
        ``[0, 1]``."""
        lam = lam.clamp(1e-4, 1 - 1e-4).unsqueeze(1)
        out = self.net(torch.cat([reference, neighbour, lam, z, self.embed(labels)], dim=1))
        t = torch.sigmoid(torch.logit(lam) + out[:, :1])
        base = reference + t * (neighbour - reference)
        scale = (neighbour - reference).abs()  # the local distance, per encoded column
        residual = torch.tanh(out[:, 1:]) * scale
        if not self.slices:
            return base + residual
        parts, last = [], 0
        for start, stop in self.slices:
            parts.append(base[:, last:start] + residual[:, last:start])
            block = base[:, start:stop].clamp_min(1e-4)
            parts.append(torch.log(block) + out[:, 1 + start:1 + stop] * scale[:, start:stop])
            last = stop
        parts.append(base[:, last:] + residual[:, last:])
        return decode_activation(torch.cat(parts, dim=1), self.slices)
