"""GAN losses, in (discriminator, generator) pairs, plus the mode-seeking diversity term.

Each loss takes the discriminator's raw logits.
"""

from __future__ import annotations

import inspect

from torch.nn import functional as F

__all__ = ["hinge", "non_saturating", "mode_seeking", "LOSSES"]

# The Parameters and Returns sections of the losses' docstrings, by the player a loss trains.
_PARAMETERS = {
    "discriminator": """real_logits, fake_logits : torch.Tensor
    The discriminator's raw outputs on real and on generated samples.""",
    "generator": """fake_logits : torch.Tensor
    The discriminator's raw outputs on generated samples.""",
}
_SECTIONS = """Parameters
----------
{parameters}

Returns
-------
torch.Tensor
    The loss, a scalar."""


def _loss_doc(player):
    """Decorator: put the Parameters and Returns sections of a ``player`` ('discriminator' or
    'generator') loss in place of ``{sections}`` in its docstring."""

    def document(loss):
        sections = _SECTIONS.format(parameters=_PARAMETERS[player])
        loss.__doc__ = inspect.cleandoc(loss.__doc__).format(sections=sections)
        return loss

    return document


@_loss_doc("discriminator")
def hinge_d(real_logits, fake_logits):
    """Hinge loss for the discriminator (Lim and Ye 2017; Miyato et al. 2018).

    ``mean(relu(1 - real_logits)) + mean(relu(1 + fake_logits))``: zero once real logits are
    above +1 and generated ones below -1.

    {sections}

    Examples
    --------
    >>> import torch
    >>> from ganbalance.losses import hinge_d
    >>> hinge_d(torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0]))
    tensor(0.7500)
    """
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


@_loss_doc("generator")
def hinge_g(fake_logits):
    """Hinge loss for the generator: ``-mean(fake_logits)``.

    {sections}

    Examples
    --------
    >>> import torch
    >>> from ganbalance.losses import hinge_g
    >>> hinge_g(torch.tensor([-2.0, 0.0]))
    tensor(1.)
    """
    return -fake_logits.mean()


@_loss_doc("discriminator")
def non_saturating_d(real_logits, fake_logits):
    """The original GAN discriminator loss (binary cross-entropy on logits).

    ``mean(softplus(-real_logits)) + mean(softplus(fake_logits))``, which is
    ``-mean(log D(x)) - mean(log(1 - D(G(z))))`` with ``D`` the sigmoid of the logits.

    {sections}

    Examples
    --------
    A discriminator that cannot tell real from fake (logits 0) scores ``2 ln 2``:

    >>> import torch
    >>> from ganbalance.losses import non_saturating_d
    >>> non_saturating_d(torch.zeros(4), torch.zeros(4))
    tensor(1.3863)
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


@_loss_doc("generator")
def non_saturating_g(fake_logits):
    """The non-saturating generator loss of Goodfellow et al. (2014).

    ``mean(softplus(-fake_logits))``, that is ``-mean(log D(G(z)))``.

    {sections}

    Examples
    --------
    >>> import torch
    >>> from ganbalance.losses import non_saturating_g
    >>> non_saturating_g(torch.zeros(4))  # ln 2 at equilibrium
    tensor(0.6931)
    """
    return F.softplus(-fake_logits).mean()


#: The hinge loss, as a ``(discriminator loss, generator loss)`` pair.
hinge = (hinge_d, hinge_g)
#: The original GAN loss, as a ``(discriminator loss, generator loss)`` pair.
non_saturating = (non_saturating_d, non_saturating_g)
#: The pairs by the name that ``ConditionalGAN(loss=...)`` accepts.
LOSSES = {"hinge": hinge, "bce": non_saturating}


def mode_seeking(fake_a, fake_b, z_a, z_b, eps=1e-5):
    """Mode-seeking term of MSGAN (Mao et al. 2019), to be minimised by the generator.

    Two codes that differ should give samples that differ: the term is the inverse of the ratio
    of the mean absolute distance between the samples to that between their codes.

    Parameters
    ----------
    fake_a, fake_b : torch.Tensor of shape (N, ...)
        Samples generated from the codes ``z_a`` and ``z_b`` (same labels and references).
    z_a, z_b : torch.Tensor of shape (N, latent_dim)
        The two latent codes.
    eps : float, default=1e-5
        Added to the mean ratio before it is inverted.

    Returns
    -------
    torch.Tensor
        The term, a scalar: small when samples move as much as their codes.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.losses import mode_seeking
    >>> z_a, z_b = torch.zeros(2, 4), torch.ones(2, 4)      # codes 1 apart
    >>> fake_a, fake_b = torch.zeros(2, 3), torch.full((2, 3), 0.5)  # samples 0.5 apart
    >>> mode_seeking(fake_a, fake_b, z_a, z_b)
    tensor(2.0000)
    """
    dims = tuple(range(1, fake_a.dim()))
    ratio = (fake_a - fake_b).abs().mean(dim=dims) / (z_a - z_b).abs().mean(dim=1)
    return 1.0 / (ratio.mean() + eps)


__all__ += ["hinge_d", "hinge_g", "non_saturating_d", "non_saturating_g"]
