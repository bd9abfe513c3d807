"""AffineOverSampler: classic image augmentation as an imbalanced-learn over-sampler."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval

from ._random import draw_seed
from ._scaling import ImageScaler
from ._training import TransactionalSamplerMixin
from ._validation import check_image_shape, check_sampling_counts
from ._warp_resample import warp_resample
from .augment import affine_matrices, elastic_flow, warp
from .over_sampler import GANOverSampler
from .persistence import SaveMixin

__all__ = ["AffineOverSampler"]


class AffineOverSampler(SaveMixin, TransactionalSamplerMixin, BaseOverSampler):
    """Over-sample images with randomly rotated, sheared, scaled and shifted copies.

    Each new sample is a real image of its class (the class's images are used in turn, in a
    random order) under a random affine transform. It is the baseline a practitioner tries first,
    and a strong one: compare :class:`GANOverSampler` against it.

    Parameters
    ----------
    {sampling_strategy}

    image_shape : tuple of int (C, H, W)
        Shape of the flattened images in ``X``.

    degrees : float, default=15.0
        Rotation drawn uniformly in ``[-degrees, degrees]``.

    translate : float, default=0.1
        Shift drawn uniformly in ``[-translate, translate]`` of the image size, per axis.

    scale : tuple of float, default=(0.9, 1.1)
        Zoom factor range.

    shear : float, default=10.0
        Shear angle drawn uniformly in ``[-shear, shear]`` degrees.

    elastic_alpha : float, default=0.0
        Add Simard et al.'s (2003) elastic distortion to every affine transform: a random
        displacement field, uniform per pixel, smoothed by a Gaussian of std ``elastic_sigma``
        pixels and scaled by ``elastic_alpha`` pixels (:func:`ganbalance.augment.elastic_flow`).
        0 turns it off (the transforms, and their random draws, are then exactly the affine
        ones). See the one-shot benchmark in the documentation for the values we measured.

    elastic_sigma : float, default=4.0
        Smoothness of the elastic distortion, in pixels.

    random_state : int, RandomState, Generator or None, default=None
        Seeds the transforms; the global random state is untouched.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new samples for each class.

    n_features_in_ : int
        Number of features in ``X``.

    Notes
    -----
    A ``fit`` or ``fit_resample`` call that raises leaves the sampler exactly as it was.
    :meth:`save` writes it to a file that :func:`ganbalance.load` reads without running code.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import AffineOverSampler
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> keep = (y == 0) | (np.cumsum(y == 1) <= 20)  # only twenty images of digit 1
    >>> X, y = X[keep], y[keep]
    >>> X_res, y_res = AffineOverSampler(image_shape=(1, 8, 8), random_state=0).fit_resample(X, y)
    >>> np.bincount(y), np.bincount(y_res)
    (array([178, 20]), array([178, 178]))
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ["random_state", np.random.Generator],
        "image_shape": [tuple, list],
        "degrees": [Interval(numbers.Real, 0, 180, closed="both")],
        "translate": [Interval(numbers.Real, 0, 1, closed="both")],
        "scale": [tuple, list],
        "shear": [Interval(numbers.Real, 0, 80, closed="both")],
        "elastic_alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "elastic_sigma": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(self, *, sampling_strategy="auto", image_shape, degrees=15.0, translate=0.1,
                 scale=(0.9, 1.1), shear=10.0, elastic_alpha=0.0, elastic_sigma=4.0,
                 random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.image_shape = image_shape
        self.degrees = degrees
        self.translate = translate
        self.scale = scale
        self.shear = shear
        self.elastic_alpha = elastic_alpha
        self.elastic_sigma = elastic_sigma
        self.random_state = random_state

    _check_X_y = GANOverSampler._check_X_y

    def _fit_resample(self, X, y):
        check_sampling_counts(self.sampling_strategy_, self.sampling_strategy)
        shape = check_image_shape(self.image_shape, X.shape[1])
        self._check_scale()
        scaler = ImageScaler().fit(X)
        images = torch.as_tensor(scaler.transform(X)).view(-1, *shape)
        return warp_resample(X, y, self.sampling_strategy_, images, scaler,
                             draw_seed(self.random_state),
                             lambda picks, generator: self._transform(images[picks], generator))

    def _transform(self, images, generator):
        """Random affine maps, plus the elastic displacement when it is on, in one resampling."""
        theta = affine_matrices(len(images), self.degrees, self.translate, tuple(self.scale),
                                self.shear, generator).to(images.dtype)
        flow = None
        if self.elastic_alpha > 0:
            flow = elastic_flow(len(images), images.shape[2], images.shape[3],
                                self.elastic_alpha, self.elastic_sigma, generator)
            flow = flow.to(images.dtype)
        return warp(images, theta, flow)

    def _check_scale(self):
        if len(self.scale) != 2 or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in self.scale
        ):
            raise TypeError(f"scale must be two real numbers (low, high); got {self.scale!r}.")
        low, high = self.scale
        if not (np.isfinite(low) and np.isfinite(high) and 0 < low <= high):
            raise ValueError(f"scale must be (low, high), finite, with 0 < low <= high; got "
                             f"{self.scale}.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


AffineOverSampler.__doc__ = AffineOverSampler.__doc__.format(
    sampling_strategy=BaseOverSampler._sampling_strategy_docstring
)
