"""Generator and discriminator networks. Pure :class:`torch.nn.Module` s: no optimisers, no
device calls, no training logic.

Two generator families, for images and for tabular rows:

* *noise* generators map a latent vector and a label to a sample, as in DCGAN and the
  conditional GAN (Mirza and Osindero 2014);
* *reference* generators also take a real sample of the label, as DAGAN does (Antoniou et al.
  2017), and return a variation of it: for images a smooth learned warp, for rows a residual
  added to the reference. They cannot forget what the class looks
  like, which is what makes them useful for classes with a handful of samples.

Discriminators are conditioned on the label through a projection (Miyato and Koyama 2018) and use
spectral normalisation (Miyato et al. 2018) unless told otherwise.

The reference denoiser (:class:`ganbalance.denoise.ReferenceDenoiser`) has its own pair:
:class:`ResidualFilter`, SRGAN's residual generator at one resolution, and
:class:`ConditionedDiscriminator`, which judges an image together with the inputs it was made
from.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm as _sn

from .augment import coarse_grid_map, warp_grid
from .tabular_networks import decode_activation

__all__ = [
    "ImageNoiseGenerator",
    "ImageReferenceGenerator",
    "ImageDiscriminator",
    "TabularNoiseGenerator",
    "TabularReferenceGenerator",
    "TabularDiscriminator",
    "ResidualFilter",
    "ConditionedDiscriminator",
]


def _maybe_sn(module, use):
    return _sn(module) if use else module


def _conv_body(in_channels, width, spectral_norm):
    """The discriminators' feature extractor: two stride-2 convolutions and one more, with
    leaky ReLU, ending with ``4 * width`` maps at a quarter of the resolution."""
    return nn.Sequential(
        _maybe_sn(nn.Conv2d(in_channels, width, 4, 2, 1), spectral_norm),
        nn.LeakyReLU(0.2),
        _maybe_sn(nn.Conv2d(width, 2 * width, 4, 2, 1), spectral_norm),
        nn.LeakyReLU(0.2),
        _maybe_sn(nn.Conv2d(2 * width, 4 * width, 3, 1, 1), spectral_norm),
        nn.LeakyReLU(0.2),
    )


def _coarse(size):
    """Spatial size after two stride-2 convolutions (kernel 4, padding 1)."""
    for _ in range(2):
        size = size // 2
    return max(size, 1)


class ImageNoiseGenerator(nn.Module):
    """DCGAN-style generator: ``(z, label) -> image`` in ``[-1, 1]``.

    The latent code and an embedding of the label are projected to a coarse feature map, which
    two transposed convolutions upsample by 4 (then resized to the image size if needed); the
    output goes through ``tanh``.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)``.
    n_classes : int
        Number of labels.
    latent_dim : int, default=64
        Size of the latent code (and of the label embedding).
    width : int, default=32
        Channels of the last hidden layer; the coarse map has ``4 * width``.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.networks import ImageNoiseGenerator
    >>> G = ImageNoiseGenerator(image_shape=(1, 8, 8), n_classes=3, latent_dim=16)
    >>> out = G(torch.zeros(4, 16), torch.tensor([0, 1, 2, 0]))
    >>> out.shape, bool(out.abs().max() <= 1)
    (torch.Size([4, 1, 8, 8]), True)
    """

    def __init__(self, image_shape, n_classes, latent_dim=64, width=32):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c, h, w = self.image_shape
        self.coarse = (_coarse(h), _coarse(w))
        self.embed = nn.Embedding(n_classes, latent_dim)
        self.project = nn.Sequential(
            nn.Linear(2 * latent_dim, 4 * width * self.coarse[0] * self.coarse[1]),
            nn.BatchNorm1d(4 * width * self.coarse[0] * self.coarse[1]),
            nn.ReLU(),
        )
        self.body = nn.Sequential(
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, c, 4, 2, 1),
        )
        self.width = width

    def forward(self, z, labels, reference=None):
        """``z`` of shape ``(N, latent_dim)``, ``labels`` of shape ``(N,)`` (int64) ->
        images of shape ``(N, C, H, W)``. ``reference`` is ignored (generators share one
        signature)."""
        h = self.project(torch.cat([z, self.embed(labels)], dim=1))
        h = h.view(-1, 4 * self.width, *self.coarse)
        out = self.body(h)
        if out.shape[-2:] != self.image_shape[1:]:
            out = F.interpolate(out, size=self.image_shape[1:], mode="bilinear",
                                align_corners=False)
        return torch.tanh(out)


class ImageReferenceGenerator(nn.Module):
    """Reference-conditioned generator: ``(z, label, reference image) -> a warp of it``.

    A small encoder reads the reference; the latent code and the label modulate its features;
    two heads predict an affine map close to the identity and a coarse displacement field. The
    sampling grid is built at the coarse resolution and upsampled, so the warp is smooth, and the
    output is the reference resampled through it. Pixel values are only ever moved, never
    invented: there is no intensity residual, because in our measurements on MNIST even a small
    one left a faint background haze that a classifier learned as a cue for the generated
    class (see the user guide).

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)``.
    n_classes : int
        Number of labels.
    latent_dim : int, default=32
        Size of the latent code.
    width : int, default=8
        Channels of the first encoder layer.
    max_affine : float, default=0.25
        Bound on each entry of the affine correction (``tanh`` scaled).
    max_flow : float, default=0.15
        Bound on the displacement, in normalised image coordinates (2 is the image width).

    Examples
    --------
    The heads start at zero, so an untrained generator returns its reference unchanged, except
    in a border of half a coarse cell (here 2 pixels), where the upsampled grid is clamped:

    >>> import torch
    >>> from ganbalance.networks import ImageReferenceGenerator
    >>> G = ImageReferenceGenerator(image_shape=(1, 8, 8), n_classes=3)
    >>> reference = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    >>> out = G(torch.zeros(2, 32), torch.tensor([0, 2]), reference)
    >>> out.shape
    torch.Size([2, 1, 8, 8])
    >>> torch.allclose(out[..., 2:-2, 2:-2], reference[..., 2:-2, 2:-2], atol=1e-5)
    True
    """

    def __init__(self, image_shape, n_classes, latent_dim=32, width=8, max_affine=0.25,
                 max_flow=0.15):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c, h, w = self.image_shape
        self.max_affine, self.max_flow = max_affine, max_flow
        self.coarse = (_coarse(h), _coarse(w))
        feat = 2 * width
        # The encoder reads a half-resolution copy of the reference: choosing a warp needs the
        # coarse shape only, and this halves the cost of sampling on CPU.
        self.encoder = nn.Sequential(
            nn.AvgPool2d(2, ceil_mode=True),
            nn.Conv2d(c, width, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, feat, 3, 1, 1),
            nn.LeakyReLU(0.2),
        )
        self.embed = nn.Embedding(n_classes, latent_dim)
        self.modulate = nn.Linear(2 * latent_dim, 2 * feat)
        self.mix = nn.Sequential(nn.Conv2d(feat, feat, 3, 1, 1), nn.LeakyReLU(0.2))
        self.affine_head = nn.Linear(feat + 2 * latent_dim, 6)
        self.flow_head = nn.Conv2d(feat, 2, 3, 1, 1)
        for head in (self.affine_head, self.flow_head):  # start from the identity warp
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        self.register_buffer("identity", torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        # The sampling grid (the affine map plus the displacement, at the coarse resolution,
        # upsampled bilinearly) is linear in the 6 affine and 2 * hc * wc flow values: one fixed
        # matrix maps them to the full-resolution grid, far faster on CPU than building and
        # interpolating it.
        grid_map = coarse_grid_map(h, w, self.coarse)
        self.register_buffer("grid_map", grid_map, persistent=False)

    def forward(self, z, labels, reference):
        """``z`` of shape ``(N, latent_dim)``, ``labels`` of shape ``(N,)`` (int64) and
        ``reference`` images of shape ``(N, C, H, W)`` in ``[-1, 1]`` -> warps of the
        references, same shape."""
        code = torch.cat([z, self.embed(labels)], dim=1)
        feats = self.encoder(reference)
        if feats.shape[-2:] != self.coarse:
            feats = F.adaptive_avg_pool2d(feats, self.coarse)
        gain, bias = self.modulate(code).chunk(2, dim=1)
        feats = self.mix(feats * (1 + gain[:, :, None, None]) + bias[:, :, None, None])
        pooled = torch.cat([feats.mean(dim=(2, 3)), code], dim=1)
        theta = self.identity + self.max_affine * torch.tanh(self.affine_head(pooled)).view(
            -1, 2, 3
        )
        n = reference.shape[0]
        flow = self.max_flow * torch.tanh(self.flow_head(feats))
        grid = torch.cat([theta.reshape(n, 6), flow.reshape(n, -1)], dim=1) @ self.grid_map
        return warp_grid(reference, grid.view(n, *self.image_shape[1:], 2))


class ImageDiscriminator(nn.Module):
    """Convolutional discriminator with a label projection. Returns one logit per image.

    With ``pair=True`` it judges ``(reference, image)`` pairs stacked on the channel axis, as
    DAGAN's discriminator does: is ``image`` another real sample of the reference's class? Real
    pairs hold two different samples, so a generator that copies its reference is caught.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` of one image (not of a stacked pair).
    n_classes : int
        Number of labels.
    width : int, default=16
        Channels of the first convolution; the next two have ``2 * width`` and ``4 * width``.
    spectral_norm : bool, default=True
        Spectral normalisation of every layer, the label projection included.
    pair : bool, default=False
        Judge ``(reference, image)`` pairs stacked on the channel axis.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.networks import ImageDiscriminator
    >>> D = ImageDiscriminator(image_shape=(1, 8, 8), n_classes=3)
    >>> D(torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 2, 0])).shape  # one logit per image
    torch.Size([4])
    >>> D_pair = ImageDiscriminator(image_shape=(1, 8, 8), n_classes=3, pair=True)
    >>> pairs = torch.cat([torch.zeros(4, 1, 8, 8), torch.ones(4, 1, 8, 8)], dim=1)
    >>> D_pair(pairs, torch.tensor([0, 1, 2, 0])).shape
    torch.Size([4])
    """

    def __init__(self, image_shape, n_classes, width=16, spectral_norm=True, pair=False):
        super().__init__()
        c = image_shape[0] * (2 if pair else 1)
        self.pair = pair
        self.body = _conv_body(c, width, spectral_norm)
        self.linear = _maybe_sn(nn.Linear(4 * width, 1), spectral_norm)
        self.embed = _maybe_sn(nn.Embedding(n_classes, 4 * width), spectral_norm)

    def forward(self, x, labels):
        """``x`` is the image batch, or the stacked pairs when ``pair`` is set."""
        h = self.body(x).sum(dim=(2, 3))
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(dim=1)


def _mlp(sizes, spectral_norm=False, last_activation=False):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(_maybe_sn(nn.Linear(a, b), spectral_norm))
        if i < len(sizes) - 2 or last_activation:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class TabularNoiseGenerator(nn.Module):
    """MLP generator for standardised rows: ``(z, label) -> row``.

    Parameters
    ----------
    n_features : int
        Number of features of a row.
    n_classes : int
        Number of labels.
    latent_dim : int, default=32
        Size of the latent code (and of the label embedding).
    hidden : int, default=128
        Units of each of the two hidden layers.
    slices : tuple of (int, int), default=()
        Categorical blocks of the encoded row, made one-hot by
        :func:`~ganbalance.tabular_networks.decode_activation`.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.networks import TabularNoiseGenerator
    >>> G = TabularNoiseGenerator(n_features=5, n_classes=2)
    >>> G(torch.zeros(3, 32), torch.tensor([0, 1, 1])).shape
    torch.Size([3, 5])
    """

    def __init__(self, n_features, n_classes, latent_dim=32, hidden=128, slices=()):
        super().__init__()
        self.slices = tuple(slices)
        self.embed = nn.Embedding(n_classes, latent_dim)
        self.net = _mlp([2 * latent_dim, hidden, hidden, n_features])

    def forward(self, z, labels, reference=None):
        """``z`` of shape ``(N, latent_dim)``, ``labels`` of shape ``(N,)`` (int64) -> rows of
        shape ``(N, n_features)``. ``reference`` is ignored (generators share one
        signature)."""
        return decode_activation(self.net(torch.cat([z, self.embed(labels)], dim=1)),
                                 self.slices)


class TabularReferenceGenerator(nn.Module):
    """MLP generator that returns ``reference + residual(z, label, reference)``.

    The residual's last layer starts at zero, so training starts from copies of real rows and
    learns how far, and in which directions, rows of a class vary.

    Parameters
    ----------
    n_features : int
        Number of features of a row.
    n_classes : int
        Number of labels.
    latent_dim : int, default=32
        Size of the latent code (and of the label embedding).
    hidden : int, default=128
        Units of each of the two hidden layers.
    slices : tuple of (int, int), default=()
        Categorical blocks of the encoded row, made one-hot by
        :func:`~ganbalance.tabular_networks.decode_activation`.

    Examples
    --------
    Untrained, it copies its reference:

    >>> import torch
    >>> from ganbalance.networks import TabularReferenceGenerator
    >>> G = TabularReferenceGenerator(n_features=5, n_classes=2)
    >>> reference = torch.arange(15.0).view(3, 5)
    >>> torch.equal(G(torch.zeros(3, 32), torch.tensor([0, 1, 1]), reference), reference)
    True
    """

    def __init__(self, n_features, n_classes, latent_dim=32, hidden=128, slices=()):
        super().__init__()
        self.slices = tuple(slices)
        self.embed = nn.Embedding(n_classes, latent_dim)
        self.net = _mlp([n_features + 2 * latent_dim, hidden, hidden, n_features])
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, z, labels, reference):
        """``z`` of shape ``(N, latent_dim)``, ``labels`` of shape ``(N,)`` (int64) and
        ``reference`` rows of shape ``(N, n_features)`` -> new rows, same shape."""
        out = reference + self.net(torch.cat([reference, z, self.embed(labels)], dim=1))
        return decode_activation(out, self.slices)


class TabularDiscriminator(nn.Module):
    """MLP discriminator with a label projection. Returns one logit per row.

    With ``pair=True`` its input is ``(reference, row)`` concatenated, as for
    :class:`ImageDiscriminator`.

    Parameters
    ----------
    n_features : int
        Number of features of a row (not of a concatenated pair).
    n_classes : int
        Number of labels.
    hidden : int, default=128
        Units of each of the two hidden layers.
    spectral_norm : bool, default=True
        Spectral normalisation of every layer, the label projection included.
    pair : bool, default=False
        Judge ``(reference, row)`` pairs concatenated along the features.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.networks import TabularDiscriminator
    >>> D = TabularDiscriminator(n_features=5, n_classes=2, pair=True)
    >>> pairs = torch.zeros(3, 10)  # (reference, row) pairs
    >>> D(pairs, torch.tensor([0, 1, 1])).shape  # one logit per pair
    torch.Size([3])
    """

    def __init__(self, n_features, n_classes, hidden=128, spectral_norm=True, pair=False):
        super().__init__()
        self.pair = pair
        n_in = n_features * (2 if pair else 1)
        self.body = _mlp([n_in, hidden, hidden], spectral_norm, last_activation=True)
        self.linear = _maybe_sn(nn.Linear(hidden, 1), spectral_norm)
        self.embed = _maybe_sn(nn.Embedding(n_classes, hidden), spectral_norm)

    def forward(self, x, labels):
        """``x`` is the row batch, or the concatenated pairs when ``pair`` is set."""
        h = self.body(x)
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(dim=1)


class _ResidualBlock(nn.Module):
    """``x + conv(prelu(conv(x)))``, SRGAN's block without batch normalisation."""

    def __init__(self, width):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.PReLU(width),
                                  nn.Conv2d(width, width, 3, padding=1))

    def forward(self, x):
        return x + self.body(x)


class ResidualFilter(nn.Module):
    """SRGAN's residual generator as a filter: ``(mixture, reference) -> estimate``.

    A head convolution reads the mixture and the reference stacked as channels; ``n_blocks``
    residual blocks follow, with a skip connection around all of them, as in SRGAN's generator
    (Ledig et al. 2017). There is no upsampling (input and output have one size) and no batch
    normalisation, which EDSR (Lim et al. 2017) showed to hurt restoration and which would tie
    the output to the scale statistics of the training batches. The last convolution predicts a
    correction that is added to the mixture (a global skip), and the output is linear, so any
    scale can come out.

    Parameters
    ----------
    channels : int, default=1
        Channels of one image.
    width : int, default=16
        Feature maps of the residual blocks.
    n_blocks : int, default=3
        Residual blocks.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.networks import ResidualFilter
    >>> net = ResidualFilter(channels=1, width=8, n_blocks=2)
    >>> net(torch.zeros(3, 1, 28, 28), torch.zeros(3, 1, 28, 28)).shape
    torch.Size([3, 1, 28, 28])
    """

    def __init__(self, channels=1, width=16, n_blocks=3):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(2 * channels, width, 3, padding=1),
                                  nn.PReLU(width))
        self.blocks = nn.Sequential(*(_ResidualBlock(width) for _ in range(n_blocks)),
                                    nn.Conv2d(width, width, 3, padding=1))
        self.tail = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, mixture, reference):
        """Both of shape ``(N, C, H, W)``; returns the estimate, of the same shape."""
        h = self.head(torch.cat([mixture, reference], dim=1))
        return mixture + self.tail(h + self.blocks(h))


class ConditionedDiscriminator(nn.Module):
    """Scores an image together with its condition, as SEGAN's and the conditional GAN's do.

    The image (the clean target, or the filter's output) and the condition (the mixture and the
    reference it was made from) are stacked as channels, so the network judges whether the image
    is a plausible clean version *of these inputs*, not only a plausible image. Strided
    convolutions with leaky ReLU, as SRGAN's discriminator, then a sum over positions and a
    linear layer give one logit per image.

    Parameters
    ----------
    channels : int
        Channels of the image.
    condition_channels : int
        Channels of the condition.
    width : int, default=32
        Feature maps of the first layer (then doubled twice).
    spectral_norm : bool, default=True
        Spectral normalisation of every layer.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.networks import ConditionedDiscriminator
    >>> D = ConditionedDiscriminator(channels=1, condition_channels=2, width=8)
    >>> D(torch.zeros(3, 1, 28, 28), torch.zeros(3, 2, 28, 28)).shape
    torch.Size([3])
    """

    def __init__(self, channels, condition_channels, width=32, spectral_norm=True):
        super().__init__()
        self.body = _conv_body(channels + condition_channels, width, spectral_norm)
        self.linear = _maybe_sn(nn.Linear(4 * width, 1), spectral_norm)

    def forward(self, x, condition):
        """``x`` of shape ``(N, C, H, W)``, ``condition`` of shape ``(N, C', H, W)``."""
        h = self.body(torch.cat([x, condition], dim=1)).sum(dim=(2, 3))
        return self.linear(h).squeeze(1)


def init_weights(module):
    """DCGAN initialisation (normal, std 0.02) for convolutions and linear layers, skipping the
    zero-initialised heads of the reference generators."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            w = getattr(m, "parametrizations", None)
            weight = m.parametrizations.weight.original if w is not None else m.weight
            if weight.abs().sum() == 0:  # zero-initialised on purpose
                continue
            nn.init.normal_(weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


