"""GANOverSampler: an imbalanced-learn over-sampler backed by :class:`ConditionalGAN`."""

from __future__ import annotations

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._docstrings import parameter_entries
from ._random import child_seed, draw_seed
from ._references import take_rows
from ._training import TransactionalSamplerMixin, load_device
from ._validation import (
    check_int,
    check_not_polars,
    check_numeric_dtype,
    check_same_length,
    check_sampling_counts,
    check_table_shape,
)
from ._warnings import warn_at_caller
from .exceptions import GANCollapseWarning
from .gan import ConditionalGAN, check_latent_quantization
from .metrics import detect_collapse, quality_report, variety
from .persistence import SaveMixin
from .tabular import MAX_CATEGORIES, TableEncoder

__all__ = ["GANOverSampler"]

# Parameters passed through unchanged to every ConditionalGAN the sampler trains: all of
# ConditionalGAN's but its seed (the sampler derives one per GAN) and two it keeps at their
# defaults. Their types and ranges are ConditionalGAN's (one declaration).
_GAN_PARAMS = tuple(name for name in ConditionalGAN._parameter_constraints
                    if name not in ("random_state", "class_balance", "spectral_norm"))


_NOT_FITTED = ("This %(name)s has no trained GAN yet: call fit_resample(X, y) first. (As in "
               "imbalanced-learn, fit only checks the inputs and trains nothing.)")


class GANOverSampler(SaveMixin, TransactionalSamplerMixin, BaseOverSampler):
    """Over-sample with a conditional GAN that generates exactly the rows each class lacks.

    The GAN learns what every class looks like from all of them at once (a label-conditioned
    generator, so a class with one to ten samples borrows the structure the large classes teach)
    and then generates the missing samples of each class, as many as ``sampling_strategy`` asks.
    The original rows come first in the output, unchanged and in order, then the new rows, class
    by class. Training happens in ``fit_resample``: as for every imbalanced-learn sampler,
    ``fit`` only checks the inputs.

    Read more in the :doc:`user guide </user_guide/over_sampler>`.

    Parameters
    ----------
    {sampling_strategy}

    random_state : int, RandomState, Generator or None, default=None
        Seeds the GAN's training and sampling. The same int gives bit-identical output on CPU.
        The global numpy and torch random states are never touched.

    image_shape : tuple of int (C, H, W), default=None
        The rows of ``X`` are flattened ``C x H x W`` images (C >= 1, H and W >= 8): use
        convolutional networks. ``None``: a table, MLPs; columns are encoded inside (a
        quantile transform for numbers, one-hot for categories, see
        :class:`ganbalance.tabular.TableEncoder`) and returned in the original scale and
        dtypes.

    mode : {{'shared', 'per_class'}}, default='shared'
        ``'shared'``: one GAN conditioned on the label, trained on all classes. ``'per_class'``:
        one unconditional GAN per class that needs new samples, trained on that class alone.

    {gan_parameters}

    callbacks : list of Callback or callable, default=None
        Passed to every GAN the sampler trains, e.g.
        :class:`ganbalance.callbacks.SnapshotGrid` to watch training. (In a pipeline the
        sampler, and so its callbacks, are cloned: read them from the fitted step.)

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new samples for each class.

    generators_ : dict
        The fitted :class:`ConditionalGAN` that generates each class: in ``'shared'`` mode
        every class of ``y`` maps to the one shared GAN; in ``'per_class'`` mode each class that
        was over-sampled maps to its own.

    history_ : dict
        Training losses: the shared GAN's ``history_`` in ``'shared'`` mode, or a dict mapping
        each class to its GAN's ``history_`` in ``'per_class'`` mode.

    device_ : str
        The device the GANs were trained on.

    n_features_in_ : int
        Number of features in ``X``.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features, when ``X`` is a DataFrame with string column names.

    See Also
    --------
    ConditionalGAN : The generator-level API the sampler is built on.
    imblearn.over_sampling.RandomOverSampler : Duplicate rows at random.
    imblearn.over_sampling.SMOTE : Interpolate between neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import GANOverSampler
    >>> X, y = load_digits(n_class=3, return_X_y=True)
    >>> keep = (y != 2) | (np.cumsum(y == 2) <= 5)  # only five images of digit 2
    >>> X, y = X[keep], y[keep]
    >>> sampler = GANOverSampler(image_shape=(1, 8, 8), n_steps=20, random_state=0,
    ...                          device="cpu")
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y), np.bincount(y_res)
    (array([178, 182,   5]), array([182, 182, 182]))
    >>> sampler.sample(3, y=2).shape  # three more images of digit 2
    (3, 64)
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ConditionalGAN._parameter_constraints["random_state"],
        "mode": [StrOptions({"shared", "per_class"})],
        **{name: ConditionalGAN._parameter_constraints[name] for name in _GAN_PARAMS},
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        image_shape=None,
        mode="shared",
        generator="auto",
        categorical_features="auto",
        handle_missing="generate",
        max_categories=MAX_CATEGORIES,
        n_steps="auto",
        batch_size=64,
        latent_dim=32,
        learning_rate="auto",
        loss="hinge",
        augment=True,
        diff_augment=True,
        discriminator="auto",
        diversity_weight=0.0,
        ema_decay=0.99,
        latent_quantization=None,
        device="auto",
        verbose=0,
        callbacks=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.image_shape = image_shape
        self.mode = mode
        self.generator = generator
        self.categorical_features = categorical_features
        self.handle_missing = handle_missing
        self.max_categories = max_categories
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.learning_rate = learning_rate
        self.loss = loss
        self.augment = augment
        self.diff_augment = diff_augment
        self.discriminator = discriminator
        self.diversity_weight = diversity_weight
        self.ema_decay = ema_decay
        self.latent_quantization = latent_quantization
        self.device = device
        self.verbose = verbose
        self.callbacks = callbacks

    def _check_X_y(self, X, y, accept_sparse=None):
        # Images: numbers only, as before. Tables: any column types; the encoder checks each
        # column (and names it) before training. X and y must have the same length.
        check_not_polars(X)
        check_same_length(X, y)
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        if hasattr(X, "sparse") and hasattr(X, "columns"):  # a pandas DataFrame of sparse columns
            X = X.sparse.to_dense()  # a new frame; the output frame gets the sparse dtypes back
        if self.image_shape is None:
            check_table_shape(X)
            if not hasattr(X, "iloc"):
                X = np.asarray(X) if isinstance(X, np.ndarray) else _as_table(X)
            self._table_encoder().fit(X)  # every column, named if it is bad
            validate_data(self, X=X, reset=True, skip_check_array=True)
            y = check_array(y, ensure_2d=False, dtype=None)
            return X, y, binarize_y
        check_numeric_dtype(X, "X")
        # Integer images (uint8) keep their dtype, and so do the new images (rounded).
        X, y = validate_data(self, X=X, y=y, reset=True, accept_sparse=False, dtype="numeric")
        return X, y, binarize_y

    def _table_encoder(self):
        return TableEncoder(self.categorical_features, self.handle_missing, self.max_categories)

    def _make_gan(self, random_state):
        params = {name: getattr(self, name) for name in _GAN_PARAMS}
        return ConditionalGAN(**params, random_state=random_state)

    def _fit_resample(self, X, y):
        # Each GAN checks its parameters against the data before its first step (the first one
        # before any training), and the GANs are built in locals: fitted attributes are
        # assigned only once all of them trained.
        check_sampling_counts(self.sampling_strategy_, self.sampling_strategy)
        seed = draw_seed(self.random_state)
        targets = {label: int(n) for label, n in self.sampling_strategy_.items() if n > 0}
        generators, history, device = {}, {}, "cpu"
        if self.mode == "shared":
            gan = self._make_gan(child_seed(seed, 0)).fit(X, y)
            generators = {label: gan for label in gan.classes_}
            history, device = gan.history_, gan.device_
        else:
            for i, label in enumerate(self.sampling_strategy_):
                if self.sampling_strategy_[label] == 0:
                    continue
                gan = self._make_gan(child_seed(seed, 0, i)).fit(take_rows(X, y == label))
                generators[label], history[label], device = gan, gan.history_, gan.device_
        X_parts, y_parts = [X], [y]
        for i, (label, n_new) in enumerate(targets.items()):
            X_parts.append(_sample_from(generators[label], label, n_new, child_seed(seed, 1, i)))
            y_parts.append(np.full(n_new, label, dtype=y.dtype))
        if targets:
            self._warn_if_collapsed(X, y, _concat_rows(X_parts[1:]), np.concatenate(y_parts[1:]))
        self.generators_, self.history_, self.device_ = generators, history, device
        X_res = _concat_rows(X_parts)
        if isinstance(X_res, np.ndarray):
            X_res = X_res.astype(X.dtype, copy=False)
        return X_res, np.concatenate(y_parts)

    def _warn_if_collapsed(self, X, y, X_new, y_new):
        """Warn about classes whose new rows have near-zero variety or copy the real ones."""
        if self.image_shape is None:
            encoder = self._table_encoder().fit(X)
            reasons = _table_collapse(encoder.transform(X), y, encoder.transform(X_new), y_new)
        else:
            reasons = detect_collapse(X, y, X_new, y_new, image_shape=self.image_shape)
        if reasons:
            detail = "; ".join(f"class {_plain(label)!r}: {why}"
                               for label, why in reasons.items())
            warn_at_caller(
                f"GANOverSampler generated collapsed samples ({detail}). Check them with "
                "quality_report(X, y); more n_steps, or augment=True for images, usually help.",
                GANCollapseWarning,
            )

    def quality_report(self, X, y, *, n_samples=None, random_state=None, **kwargs):
        """Per-class quality of the generated rows: one call, one DataFrame.

        Draws new rows of every over-sampled class from the fitted GAN (as many as
        ``fit_resample`` generated, or ``n_samples`` per class) and compares them with the real
        ``X, y`` using :func:`ganbalance.metrics.quality_report`: class consistency, Fréchet
        distance, density and coverage, copy rate against its real baseline, variety, and a
        collapse flag. Plot it with :func:`ganbalance.metrics.plot_quality_report`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The real rows (usually those given to ``fit_resample``).
        y : array-like of shape (n_samples,)
            Their labels.
        n_samples : int, default=None
            Rows to generate for every class that has a GAN (in ``'shared'`` mode, every
            class); ``None`` generates as many as ``fit_resample`` did, for the over-sampled
            classes.
        random_state : int, RandomState, Generator or None, default=None
            Seeds the draw and the feature classifier.
        **kwargs
            Passed to :func:`ganbalance.metrics.quality_report` (e.g. ``classifier``, ``k``).

        Returns
        -------
        report : pandas.DataFrame
            One row per class of ``y``.
        """
        check_is_fitted(self, "generators_", msg=_NOT_FITTED)
        n_features = np.shape(X)[1] if len(np.shape(X)) == 2 else None
        if n_features != self.n_features_in_:
            raise ValueError(f"X has {n_features} features, but this GANOverSampler was fitted "
                             f"on {self.n_features_in_}: pass the rows given to fit_resample.")
        if n_samples is None:
            counts = {label: n for label, n in self.sampling_strategy_.items() if n > 0}
        else:
            n_samples = check_int(n_samples, "n_samples")
            counts = {label: n_samples for label in self.generators_}
        if not counts:
            raise ValueError(
                "No class was over-sampled, so there is nothing to report; pass n_samples to "
                "generate rows for the classes the GAN knows."
            )
        seed = draw_seed(random_state)
        X_new = [self._sample_class(label, n, child_seed(seed, i))
                 for i, (label, n) in enumerate(counts.items())]
        y_new = [np.full(n, label) for label, n in counts.items()]
        kwargs.setdefault("device", self.device)
        X, X_new = _numeric_view(X, _concat_rows(X_new), self.image_shape,
                                  self._table_encoder())
        return quality_report(X, y, X_new, np.concatenate(y_new),
                              image_shape=self.image_shape, random_state=seed, **kwargs)

    def _sample_class(self, label, n_samples, random_state, latent_quantization="default"):
        return _sample_from(self.generators_[label], label, n_samples, random_state,
                            latent_quantization)

    def sample(self, n_samples, y, *, random_state=None, latent_quantization="default"):
        """Generate more rows of one class from the fitted GAN.

        Parameters
        ----------
        n_samples : int
            Number of rows to generate.
        y : label
            The class to generate. In ``'per_class'`` mode, only classes that were over-sampled
            have a GAN.
        random_state : int, RandomState, Generator or None, default=None
            Seed for this draw; ``None`` continues a stream seeded by ``fit_resample``.
        latent_quantization : float or None, default='default'
            Overrides ``latent_quantization`` for this draw.

        Returns
        -------
        X_new : ndarray or pandas.DataFrame of shape (n_samples, ``n_features_in_``)
            New rows of class ``y``, in the original scale. For a table (no ``image_shape``)
            given to ``fit_resample`` as a DataFrame, a DataFrame with its columns and dtypes
            and a new ``RangeIndex``; otherwise an ndarray in the dtype of that ``X``.
        """
        check_is_fitted(self, "generators_", msg=_NOT_FITTED)
        if latent_quantization != "default":
            check_latent_quantization(latent_quantization)
        is_bool = isinstance(y, (bool, np.bool_))
        bool_classes = any(isinstance(label, (bool, np.bool_)) for label in self.generators_)
        if not np.isscalar(y) or (is_bool and not bool_classes) or y not in self.generators_:
            raise ValueError(
                f"y must be one of the classes with a fitted GAN: {list(self.generators_)}; "
                f"got {y!r}."
            )
        return self._sample_class(y, n_samples, random_state, latent_quantization)

    def __setstate__(self, state):
        super().__setstate__(state)
        if isinstance(state.get("device_"), str):  # a CUDA device this machine lacks: CPU
            self.device_ = load_device(self.device_, type(self).__name__)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        # Tables: missing values are data (handle_missing='generate'); images refuse them.
        tags.input_tags.allow_nan = self.image_shape is None and self.handle_missing != "error"
        tags.non_deterministic = False
        return tags


def _plain(label):
    """A numpy scalar label as the Python value it holds (for messages)."""
    return label.item() if isinstance(label, np.generic) else label


def _sample_from(gan, label, n_samples, random_state, latent_quantization="default"):
    return gan.sample(n_samples, y=label if gan.classes_ is not None else None,
                      random_state=random_state, latent_quantization=latent_quantization)


def _as_table(X):
    """A list of rows as an array: numbers as numbers, or objects when strings are mixed in."""
    arr = np.asarray(X)
    return np.asarray(X, dtype=object) if arr.dtype.kind in "US" else arr


def _concat_rows(parts):
    """Rows of arrays or DataFrames, one after the other (DataFrames get a new RangeIndex)."""
    if hasattr(parts[0], "iloc"):
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts)


def _table_collapse(X, y, X_new, y_new, min_variety=0.1, max_copies=0.9):
    """Collapse of encoded table rows: too little variety, or exact copies of real rows.

    Images use :func:`~ganbalance.metrics.detect_collapse`; its copy rate does not apply to
    tables, where new rows lie between close neighbours of a small class by design (SMOTE's
    rows too are closer to a real row than real rows are to each other). Copies are only
    flagged where they are not expected: when some column of the class takes more than 10
    values (in a space of few combinations, such as categories or small integers, most new rows
    are combinations that exist) and fewer than half of the class's real rows repeat another.
    """
    spread = variety(X, y, X_new, y_new)
    reasons = {}
    for label in np.unique(y_new):
        real_rows = X[y == label]
        real = {row.tobytes() for row in real_rows}
        copies = np.mean([row.tobytes() in real for row in X_new[y_new == label]])
        repeated = 1.0 - len(real) / len(real_rows)
        discrete = all(len(np.unique(column)) <= 10 for column in real_rows.T)
        why = []
        if spread[label] < min_variety:
            why.append(f"variety {spread[label]:.2f} < {min_variety}")
        if copies >= max_copies and repeated < 0.5 and not discrete:
            why.append(f"{copies:.0%} of the new rows are exact copies of real rows")
        if why:
            reasons[label] = "; ".join(why)
    return reasons


def _numeric_view(X, X_new, image_shape, encoder):
    """``X`` and ``X_new`` as numbers for the quality metrics: images as they are, tables
    encoded by ``encoder`` (an unfitted :class:`TableEncoder`) fitted on ``X``."""
    if image_shape is not None:
        return X, X_new
    encoder = encoder.fit(X)
    return encoder.transform(X), encoder.transform(X_new)


GANOverSampler.__doc__ = GANOverSampler.__doc__.format(
    sampling_strategy=BaseOverSampler._sampling_strategy_docstring,
    gan_parameters=parameter_entries(
        ConditionalGAN.__doc__,
        [name for name in _GAN_PARAMS if name not in ("image_shape", "callbacks")]),
)
