"""Image scores of the reference denoiser: :func:`psnr` and :func:`ssim`, image by image."""

from __future__ import annotations

import math

import numpy as np
import torch

from .._validation import check_float, check_int, check_numeric_dtype, check_same_length

__all__ = ["psnr", "ssim"]


def _score_inputs(targets, outputs, data_range):
    """``targets`` and ``outputs`` as float64 arrays of one shape, and the ``L`` of each image
    (``data_range``, or each target's range: max - min, 1 for a constant image)."""
    check_numeric_dtype(targets, "targets")
    check_numeric_dtype(outputs, "outputs")
    check_same_length(targets, outputs, "targets", "outputs")
    t = np.asarray(targets, dtype=np.float64)
    o = np.asarray(outputs, dtype=np.float64)
    if t.shape != o.shape:
        raise ValueError(f"targets and outputs must have one shape; got {t.shape} and "
                         f"{o.shape}.")
    if t.ndim < 2 or len(t) == 0:
        raise ValueError(f"targets must hold at least one image; got shape {t.shape}.")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(o))):
        raise ValueError("targets and outputs must be finite.")
    flat = t.reshape(len(t), -1)
    if data_range is None:
        span = flat.max(axis=1) - flat.min(axis=1)
        span[span == 0] = 1.0
    else:
        span = np.full(len(t), check_float(data_range, "data_range", low_inclusive=False))
    return t, o, span


def psnr(targets, outputs, *, data_range=None):
    """Peak signal-to-noise ratio of each output against its target, in dB.

    ``10 * log10(L**2 / MSE)``, where ``L`` is ``data_range`` or, by default, the target
    image's own range (max - min; 1 for a constant image), so that targets at different scales
    (``a*gt`` for random ``a``) are scored alike.

    Parameters
    ----------
    targets, outputs : array-like of shape (n, ...)
        Images, flattened or not; one image per row.
    data_range : float or None, default=None
        ``L``; None uses each target's range.

    Returns
    -------
    ndarray of shape (n,)
        PSNR per image (``inf`` for a perfect output).

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.denoise import psnr
    >>> target = np.zeros((1, 4, 4)); target[0, 0, 0] = 1.0
    >>> psnr(target, target + 0.1).round(2)
    array([20.])
    """
    t, o, span = _score_inputs(targets, outputs, data_range)
    mse = ((t - o) ** 2).reshape(len(t), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(span**2 / mse)


def ssim(targets, outputs, *, data_range=None, window=11, sigma=1.5):
    """Structural similarity (Wang et al. 2004) of each output with its target.

    The usual Gaussian-window SSIM (``K1=0.01``, ``K2=0.03``), averaged over the positions
    where the window fits and over channels. ``L`` is as in :func:`psnr`.

    Parameters
    ----------
    targets, outputs : array-like of shape (n, H, W), (n, C, H, W) or (n, H*W)
        Images; flattened rows must be square one-channel images.
    data_range : float or None, default=None
        ``L``; None uses each target's range.
    window : int, default=11
        Side of the Gaussian window (at most the image side).
    sigma : float, default=1.5
        Its standard deviation.

    Returns
    -------
    ndarray of shape (n,)
        SSIM per image, 1 for a perfect output.

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.denoise import ssim
    >>> target = np.random.default_rng(0).random((2, 16, 16))
    >>> ssim(target, target).round(3), bool(ssim(target, 1 - target)[0] < 0)
    (array([1., 1.]), True)
    """
    t, o, span = _score_inputs(targets, outputs, data_range)
    if t.ndim == 2:
        side = math.isqrt(t.shape[1])
        if side * side != t.shape[1]:
            raise ValueError("Flattened targets must be square one-channel images; reshape "
                             f"them to (n, H, W) or (n, C, H, W); got {t.shape[1]} features.")
        t, o = t.reshape(-1, 1, side, side), o.reshape(-1, 1, side, side)
    elif t.ndim == 3:
        t, o = t[:, None], o[:, None]
    elif t.ndim != 4:
        raise ValueError(f"targets must be images; got shape {t.shape}.")
    window = check_int(window, "window")
    if window > min(t.shape[2:]):
        raise ValueError(f"window={window} is larger than the images ({t.shape[2:]}).")
    sigma = check_float(sigma, "sigma", low_inclusive=False)
    x = np.arange(window) - (window - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    g /= g.sum()
    kernel = torch.from_numpy(np.outer(g, g))[None, None]
    channels = t.shape[1]

    def blur(a):
        """``a`` convolved, channel by channel, with the Gaussian window."""
        a = torch.from_numpy(np.ascontiguousarray(a))
        return torch.nn.functional.conv2d(a, kernel.expand(channels, 1, window, window),
                                          groups=channels)

    mu_t, mu_o = blur(t), blur(o)
    var_t = blur(t * t) - mu_t**2
    var_o = blur(o * o) - mu_o**2
    cov = blur(t * o) - mu_t * mu_o
    L = torch.from_numpy(span)[:, None, None, None]
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    index = ((2 * mu_t * mu_o + c1) * (2 * cov + c2)) / ((mu_t**2 + mu_o**2 + c1)
                                                         * (var_t + var_o + c2))
    return index.mean(dim=(1, 2, 3)).numpy()
