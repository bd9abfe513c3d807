"""The conditional GAN estimator: ``fit(X, y)`` then ``sample(n, y=...)``."""

from __future__ import annotations

import copy
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

from . import networks, tabular_networks
from ._device import check_device, resolve_device
from ._gan_loop import TrainingLoopMixin
from ._logging import log_long_fit
from ._random import child_seed, draw_seed, torch_rng_scope
from ._references import (
    MAX_REFERENCES_PER_CLASS,
    cap_per_class,
    same_class_neighbours,
    take_rows,
)
from ._scaling import ImageScaler
from ._training import DIVERGED_HINT, ModuleStateMixin, notify
from ._validation import (
    check_float,
    check_image_shape,
    check_int,
    check_not_polars,
    check_numeric_dtype,
    check_output_size,
    check_same_length,
    check_table_shape,
)
from .augment import random_affine
from .callbacks import Callback, as_callbacks
from .exceptions import TrainingDivergedError
from .losses import LOSSES
from .persistence import SaveMixin
from .tabular import MAX_CATEGORIES, TableEncoder

__all__ = ["ConditionalGAN", "MAX_STEPS"]

#: Upper bound on ``n_steps``. Training cost is ``n_steps * batch_size`` samples whatever the
#: size of the data set, so this bounds the cost of any fit.
MAX_STEPS = 100_000

#: Upper bound on ``latent_dim``: larger codes only cost memory (the default is 32).
MAX_LATENT_DIM = 4096

#: Rows generated per forward pass in ``sample``: memory grows only with the output.
SAMPLE_CHUNK = 8192

_GENERATORS = ("auto", "reference", "noise", "interpolate")

#: Default budget for tables (``n_steps='auto'``): steps, and rows per class kept as references.
TABULAR_STEPS = 300
#: Images: steps for the warp generator ('reference'), which the critic keeps near its augmented
#: reference (benchmarks/design_log/image_speed.py), and for the noise generator, which paints.
WARP_STEPS = 100
IMAGE_STEPS = 800
#: Channels of the image critic's first convolution: a warp has few degrees of freedom, and the
#: narrower critic costs about half as much per step with the same accuracy (design log).
WARP_CRITIC_WIDTH = 8
IMAGE_CRITIC_WIDTH = 16
TABULAR_LEARNING_RATE = 1e-3
IMAGE_LEARNING_RATE = 2e-4
_DISCRIMINATORS = ("auto", "pair", "sample")


class ConditionalGAN(SaveMixin, ModuleStateMixin, TrainingLoopMixin, BaseEstimator):
    """A conditional GAN for images or tabular rows, with few-shot safeguards.

    ``fit(X, y)`` trains one generator conditioned on the label; ``sample(n, y=c)`` draws new
    rows of class ``c`` in the original feature space. With ``y=None`` it is an unconditional
    (vanilla) GAN.

    Parameters
    ----------
    image_shape : tuple of int (C, H, W), default=None
        Treat each row of ``X`` as a flattened ``C x H x W`` image (C >= 1, H and W >= 8) and use
        convolutional networks. ``None`` means tabular rows and MLPs.
    generator : {'auto', 'interpolate', 'reference', 'noise'}, default='auto'
        ``'reference'``: the generator takes a real sample of the class and the latent code and
        returns a variation of that sample (for images a learned smooth warp; for rows a
        learned residual), as DAGAN does. New samples stay close to
        the class even with one real sample. ``'interpolate'`` (tables only): a learned SMOTE
        step, which starts at a random point between a real row and one of its same-class
        neighbours and learns where around it the class's rows lie. ``'noise'``: a classic
        DCGAN/MLP generator from the latent code and the label only. ``'auto'``:
        ``'interpolate'`` for tables, ``'reference'`` for images.
    latent_dim : int, default=32
        Size of the latent code ``z ~ N(0, I)``; at most 4,096.
    n_steps : int or 'auto', default='auto'
        Optimisation steps (one discriminator and one generator update each). The cost of ``fit``
        is ``n_steps * batch_size`` samples, independent of ``len(X)`` (tables keep at most
        5,000 rows per class as references); at most 100,000.
        ``'auto'``: 300 for tables; for images 100 with the warp generator
        (``'reference'``), 800 with ``'noise'``.
    batch_size : int, default=64
        Samples per step; clamped to the number of training rows.
    learning_rate : float or 'auto', default='auto'
        Adam learning rate of both networks (betas 0.5, 0.999). ``'auto'``: 2e-4 for images,
        1e-3 for tables.
    loss : {'hinge', 'bce'}, default='hinge'
        Hinge loss or the original non-saturating binary cross-entropy.
    augment : bool, default=True
        Images only: show the discriminator randomly rotated, sheared, scaled and shifted real
        images (and give the generator such references), so that a class with one image presents
        a distribution instead of a point.
    diff_augment : bool, default=True
        Images only: DiffAugment (translation and cutout) on real and generated images before
        every discriminator call, in both steps.
    discriminator : {'auto', 'pair', 'sample'}, default='auto'
        ``'pair'``: the discriminator judges ``(reference, sample)`` pairs, as DAGAN's does: is
        the sample another real member of the reference's class? Real pairs hold two different
        samples (or, for a class with one sample, two augmentations of it), so a generator that
        copies its reference is caught. ``'sample'``: it judges the sample alone. ``'auto'``:
        ``'sample'`` for images with ``augment=True`` (the augmented references already make
        the samples vary, and measured better), ``'pair'`` otherwise (a reference generator
        judged sample by sample learns to copy rows).
    diversity_weight : float, default=0.0
        Weight of the mode-seeking term (MSGAN), which pushes different latent codes towards
        different samples. 0 disables it.
    ema_decay : float or None, default=0.99
        Keep an exponential moving average of the generator's weights and sample from it.
        ``None`` samples from the last weights.
    class_balance : bool, default=True
        Draw training batches with every class equally often. Without it a class with one sample
        is almost never seen.
    spectral_norm : bool, default=True
        Spectral normalisation in the discriminator.
    latent_quantization : float or None, default=None
        When sampling, round every latent coordinate to the nearest multiple of this step
        (0.5 gives ..., -0.5, 0, 0.5, ...). Fewer distinct codes means less variety. ``None``
        keeps the continuous latent. It only matters for a generator that uses its latent code:
        with the defaults (``diversity_weight=0``) the reference generator learns to ignore it,
        and quantizing changes nothing (see the user guide).
    categorical_features : 'auto', array-like of int, str or bool, default='auto'
        Tables only: the categorical columns, as in imbalanced-learn's ``SMOTENC`` (indices,
        names or a boolean mask). ``'auto'`` takes pandas ``category``, ``object``, ``string``
        and ``bool`` columns (numpy string, object and bool arrays). One-hot groups (as
        ``pd.get_dummies`` writes them) are detected and stay one-hot. Every generated category
        is one seen in ``fit``; integer columns come back as integers in the range seen, and
        every column keeps its dtype. See :class:`ganbalance.tabular.TableEncoder`.
    handle_missing : {'generate', 'error'}, default='generate'
        Tables only. ``'generate'``: missing values (``NaN``, ``None``, ``pd.NA``, ``NaT``) are
        data. A numeric column with missing values gets a missingness indicator that the
        generator sets with the rest of the row, and "missing" is one more category of a
        categorical column, so new rows are missing where the class's rows are, at about their
        rate and together with the other columns. Nothing is imputed. ``'error'``: refuse them
        with a ValueError naming the column.
    max_categories : int, default=50
        Tables only: distinct values a categorical column keeps as its own one-hot column; the
        rarer ones share one and are drawn at their frequency, so the cost stays bounded. A
        column with more distinct values than this, at least 90% of them unique per row (an
        identifier, free text), is refused with a ValueError naming it: drop it first.
    device : str, default='auto'
        'auto' (CUDA when available), 'cpu', 'cuda' or 'cuda:N'.
    random_state : int, RandomState, Generator or None, default=None
        Seeds everything in ``fit``; the same value gives bit-identical results on CPU. The
        global numpy and torch random states are left untouched.
    verbose : int, default=0
        Show a progress bar with the current losses when > 0.
    callbacks : list of Callback or callable, default=None
        Called during training; see :mod:`ganbalance.callbacks`.

    Attributes
    ----------
    generator_ : torch.nn.Module
        The generator used for sampling (the weight average when ``ema_decay`` is set), in
        ``eval`` mode.
    discriminator_ : torch.nn.Module
        The trained discriminator.
    discriminator_type_ : {'pair', 'sample'}
        The discriminator used, ``discriminator`` with ``'auto'`` resolved.
    generator_type_ : {'interpolate', 'reference', 'noise'}
        The generator used, ``generator`` with ``'auto'`` resolved.
    learning_rate_ : float
        The learning rate used, ``learning_rate`` with ``'auto'`` resolved.
    classes_ : ndarray or None
        The labels seen in ``fit``; None for an unconditional GAN.
    class_counts_ : ndarray
        Real samples per class.
    history_ : dict of list
        Per step: ``step``, ``d_loss``, ``g_loss``, ``d_real``, ``d_fake``, ``diversity``.
    device_ : str
        The device trained on.
    n_features_in_ : int
        Number of features in ``X``.
    n_steps_ : int
        Steps run.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import ConditionalGAN
    >>> X, y = load_digits(return_X_y=True)
    >>> gan = ConditionalGAN(image_shape=(1, 8, 8), n_steps=20, random_state=0, device="cpu")
    >>> gan = gan.fit(X, y)
    >>> gan.sample(5, y=3).shape
    (5, 64)
    """

    # The one declaration of every parameter's type and range; GANOverSampler takes the entries
    # of the parameters it passes on from here.
    _parameter_constraints: dict = {
        "image_shape": [tuple, list, None],
        "generator": [StrOptions(set(_GENERATORS))],
        "latent_dim": [Interval(numbers.Integral, 1, MAX_LATENT_DIM, closed="both")],
        "n_steps": [Interval(numbers.Integral, 0, MAX_STEPS, closed="both"),
                    StrOptions({"auto"})],
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither"),
                          StrOptions({"auto"})],
        "loss": [StrOptions(set(LOSSES))],
        "augment": ["boolean"],
        "diff_augment": ["boolean"],
        "discriminator": [StrOptions(set(_DISCRIMINATORS))],
        "diversity_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "ema_decay": [Interval(numbers.Real, 0, 1, closed="left"), None],
        "class_balance": ["boolean"],
        "spectral_norm": ["boolean"],
        "latent_quantization": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "categorical_features": ["array-like", StrOptions({"auto"})],
        "handle_missing": [StrOptions({"generate", "error"})],
        "max_categories": [Interval(numbers.Integral, 2, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, callable, Callback, None],
    }

    #: The attributes that hold torch modules (see ModuleStateMixin).
    _module_attributes = ("generator_", "discriminator_")

    def __init__(
        self,
        *,
        image_shape=None,
        generator="auto",
        latent_dim=32,
        n_steps="auto",
        batch_size=64,
        learning_rate="auto",
        loss="hinge",
        augment=True,
        diff_augment=True,
        discriminator="auto",
        diversity_weight=0.0,
        ema_decay=0.99,
        class_balance=True,
        spectral_norm=True,
        latent_quantization=None,
        categorical_features="auto",
        handle_missing="generate",
        max_categories=MAX_CATEGORIES,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.image_shape = image_shape
        self.generator = generator
        self.latent_dim = latent_dim
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.loss = loss
        self.augment = augment
        self.diff_augment = diff_augment
        self.discriminator = discriminator
        self.diversity_weight = diversity_weight
        self.ema_decay = ema_decay
        self.class_balance = class_balance
        self.spectral_norm = spectral_norm
        self.latent_quantization = latent_quantization
        self.categorical_features = categorical_features
        self.handle_missing = handle_missing
        self.max_categories = max_categories
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------ validation
    def _check_params(self, n_features=None):
        """Validate every parameter (the table above, then what depends on the data); raise
        before any training."""
        self._validate_params()
        check_image_shape(self.image_shape, n_features)
        images = self.image_shape is not None
        if images and min(self.image_shape[1:]) < 8:
            raise ValueError(
                f"image_shape must have H and W >= 8 for the convolutional networks; "
                f"got {tuple(self.image_shape)}. Use image_shape=None for tabular rows."
            )
        if images and self.generator == "interpolate":
            raise ValueError("generator='interpolate' is for tables; use 'reference' or 'noise' "
                             "with image_shape.")
        for name in ("learning_rate", "diversity_weight", "latent_quantization"):
            value = getattr(self, name)
            if isinstance(value, numbers.Real) and not np.isfinite(value):
                raise ValueError(f"{name} must be finite; got {value}.")
        check_device(self.device)
        as_callbacks(self.callbacks)

    def _resolved(self):
        """``(generator, discriminator, n_steps, learning_rate)`` with every 'auto'
        resolved."""
        images = self.image_shape is not None
        generator = self.generator
        if generator == "auto":
            generator = "reference" if images else "interpolate"
        discriminator = self.discriminator
        if discriminator == "auto":
            discriminator = "sample" if images and self.augment else "pair"
        n_steps = self.n_steps
        if isinstance(n_steps, str):
            n_steps = (TABULAR_STEPS if not images
                       else WARP_STEPS if generator == "reference" else IMAGE_STEPS)
        learning_rate = self.learning_rate
        if isinstance(learning_rate, str):
            learning_rate = IMAGE_LEARNING_RATE if images else TABULAR_LEARNING_RATE
        return generator, discriminator, n_steps, learning_rate

    def _validate_X_y(self, X, y):
        check_not_polars(X)
        if self.image_shape is not None:
            check_numeric_dtype(X, "X")
        if y is not None:
            check_same_length(X, y)
        if self.image_shape is not None:
            # Integer and bool images keep their dtype: the scaler maps them to [-1, 1] and
            # generated images back to that dtype (rounded), as the originals are.
            X = check_array(X, dtype="numeric", ensure_min_samples=1, ensure_min_features=1,
                            copy=False)
        else:
            check_table_shape(X)
        if y is None:
            return X, None
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be one-dimensional; got shape {y.shape}.")
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinity.")
        if type_of_target(y) == "continuous":
            raise ValueError("y must hold class labels; got continuous values.")
        check_classification_targets(y)
        return X, y

    # ------------------------------------------------------------------ building
    def _build(self, n_features, n_classes):
        shape = self.image_shape
        pair = self.discriminator_type_ == "pair"
        if shape is not None:
            gen_cls = (networks.ImageReferenceGenerator if self.generator_type_ == "reference"
                       else networks.ImageNoiseGenerator)
            G = gen_cls(shape, n_classes, latent_dim=self.latent_dim)
            D = networks.ImageDiscriminator(shape, n_classes, width=self._critic_width(),
                                            spectral_norm=self.spectral_norm, pair=pair)
            return networks.init_weights(G), networks.init_weights(D)
        slices = tabular_networks.categorical_slices(self._scaler.spans_)
        hidden = 64 if n_features <= 64 else 128
        if self.generator_type_ == "interpolate":
            G = tabular_networks.InterpolationGenerator(n_features, n_classes, slices,
                                                        latent_dim=self.latent_dim, hidden=hidden)
        else:
            gen_cls = (networks.TabularReferenceGenerator if self.generator_type_ == "reference"
                       else networks.TabularNoiseGenerator)
            G = networks.init_weights(gen_cls(n_features, n_classes, latent_dim=self.latent_dim,
                                              hidden=hidden, slices=slices))
        D = networks.TabularDiscriminator(n_features, n_classes, hidden=hidden,
                                          spectral_norm=self.spectral_norm, pair=pair)
        return G, networks.init_weights(D)

    def _critic_width(self):
        """Width of the image critic: narrower for the warp generator (models fitted before
        that choice have no ``_critic_width_`` and used the wider one)."""
        return getattr(self, "_critic_width_", IMAGE_CRITIC_WIDTH)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Train the GAN.

        A fit that raises leaves the estimator as it was: unfitted, or with its previous fit.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Training rows; flattened images when ``image_shape`` is set. Tables may mix
            numeric, integer, boolean and categorical columns (see ``categorical_features``).
        y : array-like of shape (n_samples,), default=None
            Class labels. ``None`` trains an unconditional GAN.

        Returns
        -------
        self : ConditionalGAN
            The fitted estimator.
        """
        X, y = self._validate_X_y(X, y)
        self._check_params(X.shape[1])
        if y is None:
            classes, codes = None, np.zeros(len(X), dtype=np.int64)
        else:
            encoder = LabelEncoder().fit(y)
            classes, codes = encoder.classes_, encoder.transform(y).astype(np.int64)
        return self._fit_encoded(X, codes, classes)

    def _fit_encoded(self, X, codes, classes):
        """Train on validated ``X`` and integer class codes ``0..k-1`` (every code present) of
        the labels ``classes`` (None: unconditional).

        Everything is built on a shallow copy of the estimator and moved onto it only once
        training has succeeded, so a fit that raises (bad input, divergence, a callback, a
        KeyboardInterrupt) changes nothing.
        """
        work = copy.copy(self)
        work._prepare(X, codes, classes)
        callbacks = as_callbacks(self.callbacks)
        with torch_rng_scope(work._seed, work.device_):
            G, D = work._build(work._references.shape[1], len(work.class_counts_))
            device = torch.device(work.device_)
            work._generator_raw, work.discriminator_ = G.to(device), D.to(device)
            work.generator_ = (copy.deepcopy(work._generator_raw)
                               if self.ema_decay is not None else work._generator_raw)
            notify(callbacks, "on_train_begin", work)
            log_long_fit(type(self).__name__, work.n_steps_, self.verbose)
            work._train(device, callbacks)
        del work._generator_raw  # sampling uses generator_ (the average when ema_decay is set)
        work.generator_.eval()
        work.discriminator_.eval()
        work._check_outputs_vary()
        notify(callbacks, "on_train_end", work)
        self.__dict__.update(work.__dict__)
        return self

    def _prepare(self, X, codes, classes):
        """Set every fitted attribute but the networks (on a working copy)."""
        device = resolve_device(self.device)
        self._seed = seed = draw_seed(self.random_state)
        (self.generator_type_, self.discriminator_type_, self.n_steps_,
         self.learning_rate_) = self._resolved()
        self._critic_width_ = (WARP_CRITIC_WIDTH if self.generator_type_ == "reference"
                               else IMAGE_CRITIC_WIDTH)
        if self.image_shape is None:
            self._scaler = TableEncoder(self.categorical_features, self.handle_missing,
                                        self.max_categories).fit(X)
        else:
            self._scaler = ImageScaler().fit(X)
        keep = (np.arange(len(codes)) if self.image_shape is not None  # images: every row
                else cap_per_class(codes, MAX_REFERENCES_PER_CLASS, child_seed(seed, 3)))
        order = keep[np.argsort(codes[keep], kind="stable")]
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.dtype_ = getattr(X, "dtype", None) if self.image_shape is not None else None
        self.class_counts_ = np.bincount(codes[order], minlength=int(codes.max()) + 1)
        self._references = self._scaler.transform(take_rows(X, order))
        self._class_starts = np.concatenate([[0], np.cumsum(self.class_counts_)[:-1]])
        self._neighbours = (same_class_neighbours(self._references, self.class_counts_)
                            if self.generator_type_ == "interpolate" else None)
        self.device_ = str(device)
        self._n_sample_calls = 0
        self.history_ = {k: [] for k in ("step", "d_loss", "g_loss", "d_real", "d_fake",
                                          "diversity")}

    # ------------------------------------------------------------------ sampling
    def _class_codes(self, n_samples, y):
        """Integer class codes for ``n_samples`` new rows of class ``y``."""
        if self.classes_ is None:
            if y is not None:
                raise ValueError("This GAN was fitted without labels; call sample(n) with y=None.")
            return np.zeros(n_samples, dtype=np.int64)
        if y is None:
            raise ValueError(
                f"y is required for a conditional GAN; choose one of {list(self.classes_)}."
            )
        y = np.asarray(y)
        if y.ndim == 0:  # one label for every row, checked as it is (2.7 is not class 2)
            y = np.full(n_samples, y.item(), dtype=y.dtype)
        if len(y) != n_samples:
            raise ValueError(f"y must be a label or {n_samples} labels; got {len(y)} labels.")
        unknown = set(np.unique(y).tolist()) - set(self.classes_.tolist())
        if y.dtype.kind == "b" and self.classes_.dtype.kind != "b":  # True == 1 in a set
            unknown = set(np.unique(y).tolist())
        if unknown:
            raise ValueError(f"y has labels not seen in fit: {sorted(map(str, unknown))}.")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def sample(self, n_samples, y=None, *, random_state=None, latent_quantization="default"):
        """Draw new rows from the fitted generator.

        Parameters
        ----------
        n_samples : int
            Number of rows.
        y : label or array-like of shape (n_samples,), default=None
            The class of each new row (one label for all of them). Must be None for an
            unconditional GAN.
        random_state : int, RandomState, Generator or None, default=None
            Seed for this draw. ``None`` continues a stream seeded in ``fit``, so a fitted
            estimator with an int ``random_state`` gives the same sequence of draws every time.
        latent_quantization : float or None, default='default'
            Overrides the estimator's ``latent_quantization`` for this draw.

        Returns
        -------
        X_new : ndarray or pandas.DataFrame of shape (n_samples, ``n_features_in_``)
            New rows in the original feature space. For a table (no ``image_shape``) given to
            ``fit`` as a DataFrame, a DataFrame with its columns and dtypes and a new
            ``RangeIndex``; otherwise an ndarray in the dtype of that ``X``.
        """
        check_is_fitted(self, "generator_")
        n_samples = check_int(n_samples, "n_samples", minimum=0)
        step = (self.latent_quantization if latent_quantization == "default"
                else latent_quantization)
        check_latent_quantization(step)
        check_output_size(n_samples, self.n_features_in_)
        codes = self._class_codes(n_samples, y)
        if random_state is None:
            self._n_sample_calls += 1
            seed = child_seed(self._seed, 2, self._n_sample_calls)
        else:
            seed = draw_seed(random_state)
        return self._sample_codes(codes, seed, step)

    def _sample_codes(self, codes, seed, step):
        """Generate one row per entry of ``codes`` (integer class codes), decoded."""
        out = self._generate(codes, seed, step)
        if not np.all(np.isfinite(out)):
            raise TrainingDivergedError("The generator produced non-finite values.")
        if self.image_shape is not None:
            return self._scaler.inverse_transform(out, self.dtype_)
        # Grouped rare categories are drawn from a stream of this draw's own.
        return self._scaler.inverse_transform(out, random_state=child_seed(seed, 1))

    def _check_outputs_vary(self):
        """Raise :class:`TrainingDivergedError` when the generator's outputs no longer depend
        on its inputs: 64 draws over every class give one row, although the references differ.
        """
        if np.ptp(self._references, axis=0).max() == 0:
            return  # one distinct training row: nothing can vary
        codes = np.arange(64) % len(self.class_counts_)
        out = self._generate(codes, child_seed(self._seed, 4), None)
        if np.isfinite(out).all() and np.ptp(out, axis=0).max() <= 1e-6:
            raise TrainingDivergedError(
                f"After {self.n_steps_} steps every generated row is the same: the generator's "
                f"outputs no longer depend on its inputs. {DIVERGED_HINT}"
            )

    @torch.no_grad()
    def _generate(self, codes, seed, step):
        """The generator's raw output (the networks' space), one row per entry of ``codes``."""
        gen = torch.Generator().manual_seed(seed)
        device = torch.device(self.device_)
        G = self.generator_
        was_training = G.training
        G.eval()
        # Each class's real rows serve as references in turn, in a random order, so every real
        # sample is used equally often.
        ref_index = np.empty(len(codes), dtype=np.int64)
        for c in np.unique(codes):
            where = np.flatnonzero(codes == c)
            start, count = self._class_starts[c], self.class_counts_[c]
            perm = torch.randperm(int(count), generator=gen).numpy()
            ref_index[where] = start + np.resize(perm, len(where))
        out = np.empty((len(codes), self._references.shape[1]), dtype=np.float32)
        data = torch.as_tensor(self._references)
        for lo in range(0, len(codes), SAMPLE_CHUNK):
            hi = min(lo + SAMPLE_CHUNK, len(codes))
            z = torch.randn(hi - lo, self.latent_dim, generator=gen)
            if step is not None:
                z = torch.round(z / step) * step
            index = torch.as_tensor(ref_index[lo:hi])
            if self.image_shape is not None:
                ref = data[index].view(-1, *self.image_shape)
                if self.augment:  # the generator was trained on augmented references
                    ref = random_affine(ref, generator=gen)
                context = (ref,)
            else:
                context = self._context(index, data, gen)
            labels = torch.as_tensor(codes[lo:hi])
            fake = G(z.to(device), labels.to(device), *(c.to(device) for c in context))
            out[lo:hi] = fake.reshape(hi - lo, -1).float().cpu().numpy()
        G.train(was_training)
        return out

    # ------------------------------------------------------------------ pickling
    def _load_modules(self, state, device):
        """Rebuild ``generator_`` and ``discriminator_`` on ``device`` from the state dicts in
        ``state``; called by ``__setstate__`` (see ``ModuleStateMixin``)."""
        if "generator_type_" not in state:  # pickled before the 'auto' options existed
            if self.image_shape is None:
                raise ValueError(
                    "This tabular ConditionalGAN was saved by an earlier ganbalance, whose "
                    "tables were standardised floats; refit it with this version."
                )
            self.generator_type_ = self.generator
            self._neighbours = None
        G, D = self._build(self._references.shape[1], len(self.class_counts_))
        G.load_state_dict(state["generator_"])
        D.load_state_dict(state["discriminator_"])
        self.generator_ = G.to(device).eval()
        self.discriminator_ = D.to(device).eval()


def check_latent_quantization(step):
    """Validate a latent grid step: None or a positive finite float."""
    if step is None:
        return None
    return check_float(step, "latent_quantization", low=0.0, low_inclusive=False)
