"""Deformations learned from the large classes: register same-class pairs, sample their fields.

The few-shot idea behind :class:`~ganbalance.DeformationOverSampler` (Hauberg et al. 2016,
"Dreaming more data"; Schwartz et al. 2018, the delta-encoder): the ways a handwritten digit
varies within its class (a bend, a slant, a longer stroke) are much alike from one class to the
next, and the classes with many images show them. So

1. :func:`neighbour_pairs` pairs each image of the large classes with one of its nearest
   neighbours in its own class;
2. :func:`register` finds, for each pair, the smooth warp that carries one image onto the other:
   an affine map plus a coarse displacement field, upsampled bilinearly
   (:func:`ganbalance.augment.coarse_grid_map`), fitted by gradient descent;
3. :func:`sample_deformations` draws new warps from a zero-mean Gaussian with the second moments
   of the registered ones, taken either from every pair or from the pairs whose source image
   looks most like the image being over-sampled; and :func:`deform` applies them.

A warp only moves ink, so the label is kept by construction and no pixel is invented.
All functions are pure: randomness comes in as a :class:`torch.Generator` or numpy generator.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .augment import affine_grid_basis, coarse_grid_map, gaussian_smooth, warp_grid

__all__ = ["coarse_size", "deform", "grid_map", "neighbour_pairs", "register",
           "sample_deformations"]

#: Registration: Adam steps, learning rate, the blur that widens each stroke's basin of
#: attraction (pixels), and the weight of the penalty on the displacement field.
REGISTER_STEPS = 150
REGISTER_LR = 0.02
REGISTER_BLUR = 1.0
FLOW_PENALTY = 1.0
#: Only these many images of a class are searched for neighbours (and used as sources).
MAX_SOURCES_PER_CLASS = 256


def coarse_size(size):
    """The side of the coarse displacement grid for an image side of ``size`` pixels."""
    return max(2, round(size / 4))


def grid_map(height, width, coarse):
    """The linear map from a warp's parameters (as :func:`register` returns them, plus the
    identity) to its sampling grid: the affine part exactly, at full resolution, and the coarse
    displacement upsampled bilinearly (:func:`ganbalance.augment.coarse_grid_map`)."""
    flow = coarse_grid_map(height, width, coarse)[6:]
    return torch.cat([affine_grid_basis(height, width), flow])


def _identity(n, dtype=torch.float32):
    return torch.eye(2, 3, dtype=dtype).reshape(1, 6).expand(n, 6)


def neighbour_pairs(images, labels, n_pairs, n_neighbours, rng):
    """Pairs ``(source, target)`` of row indices: a target is one of the ``n_neighbours``
    nearest images of its source's class (Euclidean distance on the pixels).

    Every class with at least two images contributes; up to ``n_pairs`` pairs in all, shared
    evenly between those classes (a class gives at most one pair per image).

    Parameters
    ----------
    images : ndarray of shape (N, D)
    labels : ndarray of shape (N,)
    n_pairs : int
    n_neighbours : int
    rng : numpy.random.Generator

    Returns
    -------
    sources, targets : ndarray of int, each of shape (M,)
    """
    classes = [c for c in np.unique(labels) if np.sum(labels == c) >= 2]
    if not classes:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    per_class = max(1, n_pairs // len(classes))
    sources, targets = [], []
    for c in classes:
        own = np.flatnonzero(labels == c)
        own = own[rng.permutation(len(own))[:MAX_SOURCES_PER_CLASS]]
        pool = images[own].astype(np.float64)
        sq = (pool ** 2).sum(axis=1)
        dist = sq[:, None] + sq[None, :] - 2 * pool @ pool.T
        np.fill_diagonal(dist, np.inf)
        k = min(n_neighbours, len(own) - 1)
        nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
        chosen = rng.permutation(len(own))[:per_class]
        pick = nearest[chosen, rng.integers(k, size=len(chosen))]
        sources.append(own[chosen])
        targets.append(own[pick])
    return np.concatenate(sources), np.concatenate(targets)


def register(source, target, coarse, n_steps=REGISTER_STEPS, lr=REGISTER_LR,
             blur=REGISTER_BLUR, flow_penalty=FLOW_PENALTY):
    """The smooth warp of each ``source`` image that best matches its ``target``.

    Minimises the squared difference of the blurred warped source and the blurred target, plus
    ``flow_penalty`` times the mean squared coarse displacement (so the affine part explains
    what it can), with Adam from the identity.

    Parameters
    ----------
    source, target : torch.Tensor of shape (N, C, H, W)
        Images in ``[-1, 1]``, ``-1`` the background.
    coarse : tuple of int
        Size of the displacement grid.
    n_steps, lr, blur, flow_penalty
        Optimisation settings (module constants by default).

    Returns
    -------
    torch.Tensor of shape (N, 6 + 2 * coarse[0] * coarse[1])
        Per pair: the affine matrix minus the identity (flattened 2x3), then the coarse
        displacement field (x then y), in normalised coordinates. Detached.
    """
    n, _, h, w = source.shape
    mapping = grid_map(h, w, coarse)
    params = torch.zeros(n, mapping.shape[0], requires_grad=True)
    optimizer = torch.optim.Adam([params], lr=lr)
    identity = _identity(n)
    goal = gaussian_smooth(target, blur) if blur else target
    with torch.enable_grad():
        for _ in range(n_steps):
            moved = deform(source, params, mapping, identity)
            if blur:
                moved = gaussian_smooth(moved, blur)
            fit = F.mse_loss(moved, goal, reduction="none").mean(dim=(1, 2, 3))
            loss = (fit + flow_penalty * params[:, 6:].pow(2).mean(dim=1)).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return params.detach()


def deform(images, params, mapping, identity=None):
    """Warp ``images`` (``(N, C, H, W)``) by ``params`` (rows as :func:`register` returns)
    through ``mapping`` (:func:`grid_map`)."""
    n, _, h, w = images.shape
    if identity is None:
        identity = _identity(n, params.dtype)
    full = torch.cat([identity + params[:, :6], params[:, 6:]], dim=1)
    return warp_grid(images, (full @ mapping).view(n, h, w, 2))


def sample_deformations(fields, n, generator, scale=1.0, weights=None):
    """New warps from a zero-mean Gaussian with the second moments of ``fields``.

    A draw is ``scale * (g @ fields) / sqrt(sum of weights)`` with ``g`` standard normal, each
    row of ``fields`` weighted by ``sqrt(weights)``: its covariance is the weighted average of
    ``f f^T`` over the registered fields ``f``. A registered warp and its inverse are equally
    likely, so the mean is zero: the model varies an image, it does not move it towards another
    class.

    Parameters
    ----------
    fields : torch.Tensor of shape (M, P)
        Registered warps (:func:`register`).
    n : int
        Number of warps to draw.
    generator : torch.Generator
    scale : float, default=1.0
        Multiplies every draw.
    weights : torch.Tensor of shape (M,), default=None
        Non-negative weight of each field (None: all equal).

    Returns
    -------
    torch.Tensor of shape (n, P)
    """
    m = fields.shape[0]
    w = torch.ones(m) if weights is None else weights.to(fields.dtype)
    g = torch.randn(n, m, generator=generator, dtype=fields.dtype)
    return scale * (g * w.sqrt()) @ fields / w.sum().sqrt()
