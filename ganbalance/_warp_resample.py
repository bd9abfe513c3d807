"""The per-class loop the warping over-samplers share: pick real images in turn, warp them."""

from __future__ import annotations

import numpy as np
import torch

from ._random import child_seed


def warp_resample(X, y, sampling_strategy, images, scaler, seed, transform, offset=0):
    """``X`` and ``y`` followed by the new samples of every class, each a warped real image.

    For the ``i``-th class of ``sampling_strategy`` with ``n_new > 0`` new samples, its rows are
    used in turn, in a random order drawn from ``child_seed(seed, offset + i)``, and
    ``transform(picks, generator)`` warps ``images[picks]``; ``generator`` is a CPU
    :class:`torch.Generator` seeded by ``child_seed(seed, offset + i, 1)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sampling_strategy : dict
        Class label to the number of new samples.
    images : torch.Tensor of shape (n_samples, C, H, W)
        ``X`` in ``[-1, 1]`` (``scaler.transform``), as images.
    scaler : ImageScaler
        Fitted on ``X``; maps the warped images back to ``X``'s range and dtype.
    seed : int
    transform : callable
        ``transform(picks, generator)`` returns the ``(len(picks), C, H, W)`` warped images.
    offset : int, default=0
        Shifts the class index in the child seeds (a sampler that draws other random numbers
        from ``child_seed(seed, 0)`` uses ``offset=1``).

    Returns
    -------
    X_resampled, y_resampled : ndarray
    """
    X_parts, y_parts = [X], [y]
    for i, (label, n_new) in enumerate(sampling_strategy.items()):
        n_new = int(n_new)  # whole numbers, checked by the sampler
        if n_new == 0:
            continue
        rng = np.random.default_rng(child_seed(seed, offset + i))
        own = np.flatnonzero(y == label)
        picks = own[np.resize(rng.permutation(len(own)), n_new)]
        generator = torch.Generator().manual_seed(child_seed(seed, offset + i, 1))
        moved = transform(picks, generator)
        X_parts.append(scaler.inverse_transform(moved.reshape(n_new, -1).numpy(), X.dtype))
        y_parts.append(np.full(n_new, label, dtype=y.dtype))
    return np.concatenate(X_parts), np.concatenate(y_parts)
