"""Design log: morphing between real images of a class, as a source of variety (README.md).

Each new image is a real image ``a`` of its class moved part of the way (``t`` uniform in
[0, 1]) towards one of its ``k`` nearest same-class neighbours ``b``, along a smooth warp found
by registering ``a`` onto ``b`` (an affine map plus a displacement on a 7x7 grid, fitted by
gradient descent on blurred and sharp pixel errors with a smoothness penalty). Pixels are only
moved, as in the GAN's generator. ``affine=True`` then applies the library's random affine map,
as AffineOverSampler does. A class with one image has no neighbour: ``b`` is an affine draw of
``a``.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.neighbors import NearestNeighbors

from ganbalance.augment import random_affine, warp


def blur(x):
    return F.avg_pool2d(x, 5, stride=1, padding=2, count_include_pad=False)


def register(a, b, steps=150, lr=0.05, smooth=0.1):
    """Affine ``theta`` (N, 2, 3) and coarse ``flow`` (N, 2, 7, 7) that warp ``a`` onto ``b``."""
    n = a.shape[0]
    theta = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).repeat(n, 1, 1).requires_grad_(True)
    flow = torch.zeros(n, 2, 7, 7, requires_grad=True)
    opt = torch.optim.Adam([theta, flow], lr=lr)
    b_blur = blur(b)
    for i in range(steps):
        up = F.interpolate(flow, size=a.shape[-2:], mode="bilinear", align_corners=False)
        out = warp(a, theta, up)
        weight = 1.0 - i / steps  # coarse to fine: blurred first, sharp at the end
        loss = (weight * ((blur(out) - b_blur) ** 2).mean(dim=(1, 2, 3))
                + (1 - weight) * ((out - b) ** 2).mean(dim=(1, 2, 3))
                + smooth * ((flow[..., 1:, :] - flow[..., :-1, :]) ** 2).mean(dim=(1, 2, 3))
                + smooth * ((flow[..., 1:] - flow[..., :-1]) ** 2).mean(dim=(1, 2, 3)))
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    return theta.detach(), flow.detach()


class MorphOverSampler:
    def __init__(self, random_state, k=5, affine=True, chunk=4096):
        self.random_state, self.k, self.affine, self.chunk = random_state, k, affine, chunk

    def fit_resample(self, X, y):
        rng = np.random.default_rng(self.random_state)
        gen = torch.Generator().manual_seed(self.random_state)
        labels, counts = np.unique(y, return_counts=True)
        target = counts.max()
        X_parts, y_parts = [X], [y]
        for label, count in zip(labels, counts, strict=True):
            n_new = target - count
            if n_new == 0:
                continue
            real = torch.as_tensor(X[y == label], dtype=torch.float32).view(-1, 1, 28, 28) * 2 - 1
            a_index = np.resize(rng.permutation(count), n_new)
            if count > 1:
                k = min(self.k, count - 1)
                nn = NearestNeighbors(n_neighbors=k + 1).fit(X[y == label])
                neigh = nn.kneighbors(X[y == label], return_distance=False)[:, 1:]
                b_index = neigh[a_index, rng.integers(k, size=n_new)]
            out = []
            for lo in range(0, n_new, self.chunk):
                a = real[a_index[lo:lo + self.chunk]]
                b = (real[b_index[lo:lo + self.chunk]] if count > 1
                     else random_affine(a, generator=gen))
                theta, flow = register(a, b)
                t = torch.rand(len(a), 1, 1, 1, generator=gen)
                identity = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
                up = F.interpolate(flow * t, size=(28, 28), mode="bilinear", align_corners=False)
                x = warp(a, identity + t[:, :, :, 0] * (theta - identity), up)
                if self.affine:
                    x = random_affine(x, generator=gen)
                out.append(((x + 1) / 2).clamp(0, 1).view(len(a), -1).numpy())
            X_parts.append(np.concatenate(out).astype(X.dtype))
            y_parts.append(np.full(n_new, label, dtype=y.dtype))
        return np.concatenate(X_parts), np.concatenate(y_parts)
