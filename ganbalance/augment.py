"""Differentiable image augmentations, written as pure functions of a batch.

All functions take images of shape ``(N, C, H, W)`` scaled to ``[-1, 1]`` with ``-1`` as the
background, and an optional :class:`torch.Generator`. They are differentiable with respect to the
images, so they can sit between the generator and the discriminator (DiffAugment, Zhao et al.
2020), and they are what :class:`~ganbalance.AffineOverSampler` uses to augment real images.

Examples
--------
>>> import torch
>>> from ganbalance.augment import diff_augment, random_affine
>>> x = torch.zeros(4, 1, 8, 8) - 1
>>> diff_augment(x, generator=torch.Generator().manual_seed(0)).shape
torch.Size([4, 1, 8, 8])
>>> random_affine(x, generator=torch.Generator().manual_seed(0)).shape
torch.Size([4, 1, 8, 8])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["diff_augment", "elastic_flow", "random_affine", "random_cutout", "random_elastic",
           "random_translation"]

BACKGROUND = -1.0


def _rand(shape, generator, device):
    return torch.rand(shape, generator=generator, device="cpu").to(device)


def random_translation(x, ratio=0.125, generator=None):
    """Shift each image by up to ``ratio`` of its size, filling with the background.

    Each image gets its own whole-pixel shift, drawn uniformly in ``[-s, s]`` pixels along each
    axis, with ``s = round(ratio * size)``.

    Parameters
    ----------
    x : torch.Tensor of shape (N, C, H, W)
        Images in ``[-1, 1]``, ``-1`` being the background.
    ratio : float, default=0.125
        Largest shift, as a fraction of the image's height and width.
    generator : torch.Generator, default=None
        Source of randomness (a CPU generator); None uses torch's global one.

    Returns
    -------
    torch.Tensor of shape (N, C, H, W)
        The shifted images; ``x`` itself when the largest shift rounds to zero pixels.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.augment import random_translation
    >>> x = -torch.ones(1, 1, 8, 8)
    >>> x[0, 0, 3:5, 3:5] = 1  # a 2 x 2 blob of ink
    >>> out = random_translation(x, ratio=0.125, generator=torch.Generator().manual_seed(0))
    >>> out.shape, int((out == 1).sum())  # moved by at most one pixel, still whole
    (torch.Size([1, 1, 8, 8]), 4)
    """
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if sh == 0 and sw == 0:
        return x
    shift_y = (_rand((n, 1, 1), generator, x.device) * (2 * sh + 1)).long() - sh
    shift_x = (_rand((n, 1, 1), generator, x.device) * (2 * sw + 1)).long() - sw
    rows = torch.arange(h, device=x.device).view(1, h, 1) + shift_y + sh
    cols = torch.arange(w, device=x.device).view(1, 1, w) + shift_x + sw
    padded = F.pad(x, [sw, sw, sh, sh], value=BACKGROUND)
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def random_cutout(x, ratio=0.5, generator=None):
    """Blank a square of ``ratio`` times the image size at a random place in each image.

    The square is filled with the background (``-1``); its centre is drawn uniformly over the
    image, so it may be cut by the border.

    Parameters
    ----------
    x : torch.Tensor of shape (N, C, H, W)
        Images in ``[-1, 1]``, ``-1`` being the background.
    ratio : float, default=0.5
        Side of the square, as a fraction of the image's height and width.
    generator : torch.Generator, default=None
        Source of randomness (a CPU generator); None uses torch's global one.

    Returns
    -------
    torch.Tensor of shape (N, C, H, W)
        The images with the square blanked; ``x`` itself when the square rounds to nothing.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.augment import random_cutout
    >>> x = torch.ones(2, 1, 8, 8)  # all ink
    >>> out = random_cutout(x, ratio=0.5, generator=torch.Generator().manual_seed(0))
    >>> out.shape, bool((out == -1).any()), bool((out == 1).any())
    (torch.Size([2, 1, 8, 8]), True, True)
    """
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if ch == 0 or cw == 0:
        return x
    top = (_rand((n, 1, 1), generator, x.device) * (h + (1 - ch % 2))).long() - ch // 2
    left = (_rand((n, 1, 1), generator, x.device) * (w + (1 - cw % 2))).long() - cw // 2
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return torch.where(inside.unsqueeze(1), torch.full_like(x, BACKGROUND), x)


def diff_augment(x, generator=None, translation=0.125, cutout=0.5):
    """DiffAugment's translation and cutout policy, applied to real and fake alike.

    :func:`random_translation` then :func:`random_cutout` (Zhao et al. 2020). Both are
    differentiable with respect to ``x``, so the generator is trained through them.

    Parameters
    ----------
    x : torch.Tensor of shape (N, C, H, W)
        Images in ``[-1, 1]``, ``-1`` being the background.
    generator : torch.Generator, default=None
        Source of randomness (a CPU generator); None uses torch's global one.
    translation : float, default=0.125
        ``ratio`` of :func:`random_translation`; 0 leaves it out.
    cutout : float, default=0.5
        ``ratio`` of :func:`random_cutout`; 0 leaves it out.

    Returns
    -------
    torch.Tensor of shape (N, C, H, W)
        The augmented images.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.augment import diff_augment
    >>> x = torch.zeros(4, 1, 8, 8, requires_grad=True)
    >>> out = diff_augment(x, generator=torch.Generator().manual_seed(0))
    >>> out.shape
    torch.Size([4, 1, 8, 8])
    >>> out.sum().backward()  # gradients flow back to the images
    >>> x.grad.shape
    torch.Size([4, 1, 8, 8])
    """
    if translation:
        x = random_translation(x, translation, generator)
    if cutout:
        x = random_cutout(x, cutout, generator)
    return x


def affine_matrices(n, degrees=15.0, translate=0.1, scale=(0.9, 1.1), shear=10.0,
                    generator=None, device="cpu"):
    """Random 2x3 matrices for :func:`torch.nn.functional.affine_grid`, one per image.

    Rotation and shear are drawn in ``[-degrees, degrees]`` and ``[-shear, shear]`` degrees,
    the scale in ``scale`` and the shift in ``[-translate, translate]`` of the image size.
    """
    u = _rand((n, 5), generator, device) * 2 - 1
    angle = u[:, 0] * math.radians(degrees)
    shear_x = u[:, 1] * math.radians(shear)
    zoom = scale[0] + (u[:, 2] + 1) / 2 * (scale[1] - scale[0])
    shift = u[:, 3:5] * 2 * translate  # affine_grid coordinates span 2 units per image
    cos, sin = torch.cos(angle), torch.sin(angle)
    tan = torch.tan(shear_x)
    # rotation @ shear, then scaled; affine_grid maps output to input, so invert the zoom.
    a = torch.stack([cos, -sin + cos * tan, sin, cos + sin * tan], dim=1).view(n, 2, 2)
    a = a / zoom.view(n, 1, 1)
    return torch.cat([a, shift.view(n, 2, 1)], dim=2)


def affine_grid_basis(height, width, device=None, dtype=torch.float32):
    """The linear map from flattened 2x3 affine matrices to sampling grids.

    ``theta.reshape(N, 6) @ basis`` is ``F.affine_grid(theta, (N, C, height, width),
    align_corners=False)`` flattened to ``(N, height * width * 2)``: one matrix product that writes
    the grid in the layout ``grid_sample`` wants, several times faster on CPU.
    """
    ys = (torch.arange(height, device=device, dtype=dtype) * 2 + 1) / height - 1
    xs = (torch.arange(width, device=device, dtype=dtype) * 2 + 1) / width - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    base = torch.stack([gx, gy, torch.ones_like(gx)]).view(3, height * width)
    basis = torch.zeros(2, 3, height * width, 2, device=device, dtype=dtype)
    basis[0, :, :, 0] = base  # x' = theta[0] . (x, y, 1)
    basis[1, :, :, 1] = base  # y' = theta[1] . (x, y, 1)
    return basis.view(6, height * width * 2)


def affine_grid(theta, height, width):
    """Same as ``F.affine_grid(theta, (N, C, height, width), align_corners=False)``."""
    basis = affine_grid_basis(height, width, theta.device, theta.dtype)
    return (theta.reshape(-1, 6) @ basis).view(-1, height, width, 2)


def warp(x, theta, flow=None):
    """Resample ``x`` through an affine map ``theta`` plus an optional displacement ``flow``.

    ``flow`` has shape ``(N, 2, H, W)`` in the normalised coordinates of
    :func:`torch.nn.functional.grid_sample`. Outside the image is background.
    """
    grid = affine_grid(theta, x.shape[2], x.shape[3])
    if flow is not None:
        grid = grid + flow.permute(0, 2, 3, 1)
    return warp_grid(x, grid)


def warp_grid(x, grid):
    """Resample ``x`` at ``grid`` (``(N, H, W, 2)``, as for ``grid_sample``); outside is
    background."""
    ink = F.grid_sample(x - BACKGROUND, grid, mode="bilinear", padding_mode="zeros",
                        align_corners=False)
    return ink + BACKGROUND


def random_affine(x, degrees=15.0, translate=0.1, scale=(0.9, 1.1), shear=10.0,
                  generator=None):
    """Rotate, shear, scale and shift each image at random (bilinear, background fill).

    Parameters
    ----------
    x : torch.Tensor of shape (N, C, H, W)
        Images in ``[-1, 1]``, ``-1`` being the background.
    degrees : float, default=15.0
        Rotation, drawn uniformly in ``[-degrees, degrees]``.
    translate : float, default=0.1
        Shift, drawn uniformly in ``[-translate, translate]`` of the image size along each axis.
    scale : tuple of float, default=(0.9, 1.1)
        Range of the zoom factor.
    shear : float, default=10.0
        Shear angle, drawn uniformly in ``[-shear, shear]`` degrees.
    generator : torch.Generator, default=None
        Source of randomness (a CPU generator); None uses torch's global one.

    Returns
    -------
    torch.Tensor of shape (N, C, H, W)
        The transformed images, in the dtype of ``x``; what moves in from outside the image is
        background.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.augment import random_affine
    >>> x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    >>> out = random_affine(x, degrees=30, generator=torch.Generator().manual_seed(1))
    >>> out.shape, bool(out.min() >= -1 and out.max() <= 1)
    (torch.Size([4, 1, 8, 8]), True)
    """
    theta = affine_matrices(x.shape[0], degrees, translate, scale, shear, generator, x.device)
    return warp(x, theta.to(x.dtype))


def gaussian_smooth(field, sigma):
    """Blur each channel of ``field`` (``(N, C, H, W)``) with a Gaussian of std ``sigma`` pixels.

    Separable, truncated at 3 sigma, with zeros outside the image (as Simard et al. did).
    """
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, device=field.device, dtype=field.dtype)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = field.shape[1]
    field = F.conv2d(field, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), padding=(radius, 0),
                     groups=c)
    return F.conv2d(field, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), padding=(0, radius),
                    groups=c)


def elastic_flow(n, height, width, alpha=34.0, sigma=4.0, generator=None, device="cpu"):
    """Simard et al.'s (2003) random elastic displacement fields, one per image.

    Each pixel gets a displacement drawn uniformly in ``[-1, 1]`` along each axis; the field is
    smoothed by a Gaussian of std ``sigma`` pixels and scaled by ``alpha`` pixels. A small
    ``sigma`` gives a jittery field; a large one an almost uniform shift.

    Parameters
    ----------
    n, height, width : int
        Number of fields and their size in pixels.
    alpha : float, default=34.0
        Scale of the displacement, in pixels (before smoothing shrinks it).
    sigma : float, default=4.0
        Std of the smoothing Gaussian, in pixels.
    generator : torch.Generator, default=None
        Source of randomness (a CPU generator); None uses torch's global one.
    device : str or torch.device, default="cpu"
        Where the fields are returned.

    Returns
    -------
    torch.Tensor of shape (N, 2, H, W)
        Displacements (x then y) in the normalised coordinates of
        :func:`torch.nn.functional.grid_sample` (2 units span the image), ready for
        :func:`warp`.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.augment import elastic_flow
    >>> flow = elastic_flow(2, 28, 28, generator=torch.Generator().manual_seed(0))
    >>> flow.shape, bool(flow.abs().max() < 1)
    (torch.Size([2, 2, 28, 28]), True)
    """
    field = _rand((n, 2, height, width), generator, device) * 2 - 1
    field = gaussian_smooth(field, sigma) * alpha
    to_grid = torch.tensor([2.0 / width, 2.0 / height], device=device).view(1, 2, 1, 1)
    return field * to_grid


def random_elastic(x, alpha=34.0, sigma=4.0, generator=None):
    """Distort each image by a random smooth displacement field (Simard et al. 2003).

    Parameters
    ----------
    x : torch.Tensor of shape (N, C, H, W)
        Images in ``[-1, 1]``, ``-1`` being the background.
    alpha : float, default=34.0
        Scale of the displacement, in pixels; see :func:`elastic_flow`.
    sigma : float, default=4.0
        Smoothness of the displacement, in pixels.
    generator : torch.Generator, default=None
        Source of randomness (a CPU generator); None uses torch's global one.

    Returns
    -------
    torch.Tensor of shape (N, C, H, W)
        The distorted images; what moves in from outside the image is background.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.augment import random_elastic
    >>> x = -torch.ones(3, 1, 28, 28)
    >>> x[:, :, 8:20, 12:16] = 1  # a bar of ink
    >>> out = random_elastic(x, generator=torch.Generator().manual_seed(0))
    >>> out.shape, bool(out.min() >= -1 and out.max() <= 1), bool((out != x).any())
    (torch.Size([3, 1, 28, 28]), True, True)
    """
    n, _, h, w = x.shape
    flow = elastic_flow(n, h, w, alpha, sigma, generator, x.device).to(x.dtype)
    identity = torch.eye(2, 3, device=x.device, dtype=x.dtype).expand(n, 2, 3)
    return warp(x, identity, flow)


def coarse_grid_map(height, width, coarse):
    """The linear map from an affine matrix and a coarse displacement field to a sampling grid.

    ``torch.cat([theta.reshape(N, 6), flow.reshape(N, -1)], 1) @ coarse_grid_map(h, w, coarse)``
    is the ``(N, h * w * 2)`` grid of the affine map ``theta`` (``(N, 2, 3)``) plus the coarse
    displacement ``flow`` (``(N, 2, *coarse)``, normalised coordinates), both upsampled
    bilinearly from the ``coarse`` resolution: a smooth warp with few parameters.
    """
    n_coarse = coarse[0] * coarse[1]
    basis = torch.eye(n_coarse).view(-1, 1, *coarse)
    upsample = F.interpolate(basis, size=(height, width), mode="bilinear", align_corners=False)
    upsample = upsample.view(n_coarse, height * width)
    affine = affine_grid_basis(*coarse).view(6, n_coarse, 2)
    affine = torch.einsum("aqj,qp->apj", affine, upsample)
    flow = torch.zeros(2, n_coarse, height * width, 2)
    flow[0, :, :, 0] = upsample
    flow[1, :, :, 1] = upsample
    return torch.cat([affine.reshape(6, -1), flow.view(2 * n_coarse, -1)])
