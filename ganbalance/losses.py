"""GAN losses, in (discriminator, generator) pairs, plus the mode-seeking diversity term.

Each loss takes the discriminator's raw logits.
"""

from __future__ import annotations

from torch.nn import functional as F

__all__ = ["hinge", "non_saturating", "mode_seeking", "LOSSES"]


def hinge_d(real_logits, fake_logits):
    """Hinge loss for the discriminator (Lim and Ye 2017; Miyato et al. 2018)."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_g(fake_logits):
    """Hinge loss for the generator."""
    return -fake_logits.mean()


def non_saturating_d(real_logits, fake_logits):
    """The original GAN discriminator loss (binary cross-entropy on logits)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def non_saturating_g(fake_logits):
    """The non-saturating generator loss of Goodfellow et al. (2014)."""
    return F.softplus(-fake_logits).mean()


hinge = (hinge_d, hinge_g)
non_saturating = (non_saturating_d, non_saturating_g)
LOSSES = {"hinge": hinge, "bce": non_saturating}


def mode_seeking(fake_a, fake_b, z_a, z_b, eps=1e-5):
    """Mode-seeking term of MSGAN (Mao et al. 2019), to be minimised by the generator.

    Two codes that differ should give samples that differ: the term is the inverse of the ratio
    of the mean absolute distance between the samples to that between their codes.
    """
    dims = tuple(range(1, fake_a.dim()))
    ratio = (fake_a - fake_b).abs().mean(dim=dims) / (z_a - z_b).abs().mean(dim=1)
    return 1.0 / (ratio.mean() + eps)


__all__ += ["hinge_d", "hinge_g", "non_saturating_d", "non_saturating_g"]
