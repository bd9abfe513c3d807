"""The denoiser's inputs: flattened rows or images, checked and turned into image tensors."""

from __future__ import annotations

import math

import numpy as np
import torch

from .._validation import check_image_shape, check_numeric_dtype

__all__ = ["MIN_SIDE", "as_images", "image_shape_of"]

#: The smallest image side the filter and the discriminator take.
MIN_SIDE = 4


def image_shape_of(array, name, image_shape, fitted_shape=None):
    """``(C, H, W)`` of one image of ``array`` (validated).

    Parameters
    ----------
    array : ndarray of shape (n, n_features), (n, H, W) or (n, C, H, W)
        The images.
    name : str
        What ``array`` is, for the error messages.
    image_shape : tuple of int or None
        The estimator's ``image_shape`` parameter.
    fitted_shape : tuple of int or None, default=None
        The shape seen in ``fit``, in ``predict``.

    Returns
    -------
    shape : tuple of int
        Flattened rows take ``fitted_shape``, else ``image_shape``, else a square one-channel
        image; arrays of images their own shape, which must then be ``image_shape`` in ``fit``.
    """
    if array.ndim == 2:
        n_features = array.shape[1]
        shape = fitted_shape or check_image_shape(image_shape)
        if shape is not None:
            if int(np.prod(shape)) != n_features:
                raise ValueError(
                    f"{name} has rows of {n_features} features, but one image of shape "
                    f"{shape} has {int(np.prod(shape))}."
                )
            return shape
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"{name} has rows of {n_features} features, which is not a square "
                "image; pass image_shape=(C, H, W)."
            )
        return (1, side, side)
    if array.ndim in (3, 4):
        shape = (1, *array.shape[1:]) if array.ndim == 3 else tuple(array.shape[1:])
        declared = check_image_shape(image_shape)
        if fitted_shape is None and declared is not None and declared != shape:
            raise ValueError(
                f"{name} holds images of shape {shape}, but image_shape={declared}."
            )
        return shape
    raise ValueError(
        f"{name} must have shape (n, n_features), (n, H, W) or (n, C, H, W); got "
        f"{array.shape}."
    )


def as_images(array, name, image_shape, expected=None, n_rows=None, fitted_shape=None):
    """A float32 tensor ``(n, C, H, W)`` from one of the arrays; a copy, never a view.

    Parameters
    ----------
    array : array-like of shape (n, n_features), (n, H, W) or (n, C, H, W)
        Finite real numbers.
    name : str
        What ``array`` is, for the error messages.
    image_shape : tuple of int or None
        The estimator's ``image_shape`` parameter.
    expected : tuple or None, default=None
        ``(shape, what)``: the shape the images must have, and what that shape is.
    n_rows : int or None, default=None
        The number of images ``array`` must hold.
    fitted_shape : tuple of int or None, default=None
        The shape seen in ``fit``, in ``predict``.

    Returns
    -------
    images : torch.Tensor of shape (n, C, H, W)
        The images.
    shape : tuple of int
        ``(C, H, W)``.
    """
    check_numeric_dtype(array, name)
    array = np.asarray(array)
    shape = image_shape_of(array, name, image_shape, fitted_shape)
    if expected is not None and shape != expected[0]:
        raise ValueError(
            f"{name} holds images of shape {shape}, but {expected[1]} {expected[0]}."
        )
    if n_rows is not None and len(array) != n_rows:
        raise ValueError(f"{name} has {len(array)} images; the mixtures have {n_rows}.")
    if len(array) == 0:
        raise ValueError(f"{name} is empty.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if min(shape[1:]) < MIN_SIDE:
        raise ValueError(
            f"{name} holds images of shape {shape}; they must be at least "
            f"{MIN_SIDE}x{MIN_SIDE}."
        )
    return torch.tensor(array, dtype=torch.float32).reshape(-1, *shape), shape
