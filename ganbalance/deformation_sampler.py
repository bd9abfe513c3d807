"""DeformationOverSampler: over-sample images with warps learned from the large classes."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval

from ._random import child_seed, draw_seed
from ._scaling import ImageScaler
from ._training import TransactionalSamplerMixin
from ._validation import check_image_shape, check_sampling_counts
from ._warp_resample import warp_resample
from .augment import affine_matrices
from .deformation import (
    coarse_size,
    deform,
    grid_map,
    neighbour_pairs,
    register,
    sample_deformations,
)
from .over_sampler import GANOverSampler
from .persistence import SaveMixin

__all__ = ["DeformationOverSampler"]


class DeformationOverSampler(SaveMixin, TransactionalSamplerMixin, BaseOverSampler):
    """Over-sample images with smooth warps learned from same-class pairs of the large classes.

    Each new sample is a real image of its class under a random smooth warp. The warps are not
    hand-set: the sampler registers pairs of neighbouring images of the same class (every class
    with two images or more), and draws new warps from a Gaussian with the second moments of the
    registered ones (:mod:`ganbalance.deformation`). A class with a single image thus borrows
    the variation of handwriting, or of any image family, from the classes that show it.
    A warp only moves ink, so the label is kept and no pixel is invented.

    Parameters
    ----------
    {sampling_strategy}

    image_shape : tuple of int (C, H, W)
        Shape of the flattened images in ``X``.

    n_pairs : int, default=1024
        Number of same-class pairs registered (shared evenly between the classes). The cost of
        ``fit_resample`` grows linearly with it.

    n_neighbours : int, default=3
        A pair's second image is one of the ``n_neighbours`` nearest images of the first one's
        class.

    n_similar : int or None, default=None
        Draw the warps of an image from the registered pairs whose first image is among its
        ``n_similar`` nearest (any class); None uses every pair.

    deformation_scale : float, default=1.0
        Multiplies every drawn warp's departure from the identity.

    augment : bool, default=True
        Also apply a random affine transform (:class:`AffineOverSampler`'s default ranges),
        composed with the learned warp in one resampling.

    random_state : int, RandomState, Generator or None, default=None
        Seeds the pairs and the warps; the global random state is untouched.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new samples for each class.

    deformation_fields_ : ndarray of shape (n_pairs_registered, 6 + 2 * h * w)
        The registered warps: the affine matrix minus the identity, then the coarse
        displacement field of ``h x w`` cells, in ``grid_sample``'s normalised coordinates.

    n_features_in_ : int
        Number of features in ``X``.

    Notes
    -----
    A ``fit`` or ``fit_resample`` call that raises leaves the sampler exactly as it was.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import DeformationOverSampler
    >>> X, y = load_digits(n_class=3, return_X_y=True)
    >>> keep = (y != 2) | (np.cumsum(y == 2) <= 1)  # a single image of digit 2
    >>> X, y = X[keep], y[keep]
    >>> sampler = DeformationOverSampler(image_shape=(1, 8, 8), n_pairs=64, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y), np.bincount(y_res)
    (array([178, 182,   1]), array([182, 182, 182]))
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ["random_state", np.random.Generator],
        "image_shape": [tuple, list],
        "n_pairs": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_neighbours": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_similar": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "deformation_scale": [Interval(numbers.Real, 0, None, closed="left")],
        "augment": ["boolean"],
    }

    def __init__(self, *, sampling_strategy="auto", image_shape, n_pairs=1024, n_neighbours=3,
                 n_similar=None, deformation_scale=1.0, augment=True, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.image_shape = image_shape
        self.n_pairs = n_pairs
        self.n_neighbours = n_neighbours
        self.n_similar = n_similar
        self.deformation_scale = deformation_scale
        self.augment = augment
        self.random_state = random_state

    _check_X_y = GANOverSampler._check_X_y

    def _fit_resample(self, X, y):
        check_sampling_counts(self.sampling_strategy_, self.sampling_strategy)
        shape = check_image_shape(self.image_shape, X.shape[1])
        if not any(np.sum(y == c) >= 2 for c in np.unique(y)):
            raise ValueError("DeformationOverSampler learns its warps from pairs of images of "
                             "one class: y needs a class with at least two samples.")
        seed = draw_seed(self.random_state)
        scaler = ImageScaler().fit(X)
        scaled = scaler.transform(X)
        rng = np.random.default_rng(child_seed(seed, 0))
        sources, targets = neighbour_pairs(scaled, y, self.n_pairs, self.n_neighbours, rng)
        coarse = (coarse_size(shape[1]), coarse_size(shape[2]))
        images = torch.as_tensor(scaled).view(-1, *shape)
        fields = register(images[sources], images[targets], coarse)
        mapping = grid_map(shape[1], shape[2], coarse)

        def transform(picks, generator):
            return deform(images[picks], self._draw(scaled, sources, fields, picks, generator),
                          mapping)

        X_res, y_res = warp_resample(X, y, self.sampling_strategy_, images, scaler, seed,
                                     transform, offset=1)
        self.deformation_fields_ = fields.numpy()
        return X_res, y_res

    def _draw(self, scaled, sources, fields, picks, generator):
        """One warp per entry of ``picks`` (rows of ``scaled``)."""
        params = torch.empty(len(picks), fields.shape[1])
        if self.n_similar is None:
            params[:] = sample_deformations(fields, len(picks), generator, self.deformation_scale)
        else:
            pool = scaled[sources].astype(np.float64)
            for row in np.unique(picks):
                at = np.flatnonzero(picks == row)
                dist = ((pool - scaled[row]) ** 2).sum(axis=1)
                near = np.argsort(dist, kind="stable")[:self.n_similar]
                params[at] = sample_deformations(fields[near], len(at), generator,
                                                 self.deformation_scale)
        if self.augment:
            theta = affine_matrices(len(picks), generator=generator)
            params[:, :6] += theta.reshape(-1, 6) - torch.eye(2, 3).reshape(1, 6)
        return params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


DeformationOverSampler.__doc__ = DeformationOverSampler.__doc__.format(
    sampling_strategy=BaseOverSampler._sampling_strategy_docstring
)
