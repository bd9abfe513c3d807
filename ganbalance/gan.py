"""The conditional GAN estimator: ``fit(X, y)`` then ``sample(n, y=...)``."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted
from tqdm.auto import tqdm

from . import networks
from ._device import check_device, resolve_device
from ._random import child_seed, draw_seed, torch_rng_scope
from ._scaling import ImageScaler, RowScaler
from ._training import load_device, modules_as_state_dicts, record_step
from ._validation import (
    check_float,
    check_image_shape,
    check_int,
    check_numeric_dtype,
    check_same_length,
    check_verbose,
)
from .augment import diff_augment, random_affine
from .callbacks import as_callbacks
from .exceptions import TrainingDivergedError
from .losses import LOSSES, mode_seeking

__all__ = ["ConditionalGAN", "MAX_STEPS"]

#: Upper bound on ``n_steps``. Training cost is ``n_steps * batch_size`` samples whatever the
#: size of the data set, so this bounds the cost of any fit.
MAX_STEPS = 100_000

_GENERATORS = ("reference", "noise")
_DISCRIMINATORS = ("auto", "pair", "sample")


class ConditionalGAN(BaseEstimator):
    """A conditional GAN for images or tabular rows, with few-shot safeguards.

    ``fit(X, y)`` trains one generator conditioned on the label; ``sample(n, y=c)`` draws new
    rows of class ``c`` in the original feature space. With ``y=None`` it is an unconditional
    (vanilla) GAN.

    Parameters
    ----------
    image_shape : tuple of int (C, H, W), default=None
        Treat each row of ``X`` as a flattened ``C x H x W`` image (C >= 1, H and W >= 8) and use
        convolutional networks. ``None`` means tabular rows and MLPs.
    generator : {'reference', 'noise'}, default='reference'
        ``'reference'``: the generator takes a real sample of the class and the latent code and
        returns a variation of that sample (for images a learned smooth warp; for rows a
        learned residual), as DAGAN does. New samples stay close to
        the class even with one real sample. ``'noise'``: a classic DCGAN/MLP generator from the
        latent code and the label only.
    latent_dim : int, default=32
        Size of the latent code ``z ~ N(0, I)``.
    n_steps : int, default=800
        Optimisation steps (one discriminator and one generator update each). The cost of ``fit``
        is ``n_steps * batch_size`` samples, independent of ``len(X)``; at most ``MAX_STEPS``.
    batch_size : int, default=64
        Samples per step.
    learning_rate : float, default=2e-4
        Adam learning rate of both networks (betas 0.5, 0.999).
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
        keeps the continuous latent.
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

    def __init__(
        self,
        *,
        image_shape=None,
        generator="reference",
        latent_dim=32,
        n_steps=800,
        batch_size=64,
        learning_rate=2e-4,
        loss="hinge",
        augment=True,
        diff_augment=True,
        discriminator="auto",
        diversity_weight=0.0,
        ema_decay=0.99,
        class_balance=True,
        spectral_norm=True,
        latent_quantization=None,
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------ validation
    def _check_params(self, n_features=None):
        """Validate every parameter; raise before any training."""
        check_image_shape(self.image_shape, n_features)
        if self.image_shape is not None and min(self.image_shape[1:]) < 8:
            raise ValueError(
                f"image_shape must have H and W >= 8 for the convolutional networks; "
                f"got {tuple(self.image_shape)}. Use image_shape=None for tabular rows."
            )
        if self.generator not in _GENERATORS:
            raise ValueError(f"generator must be one of {_GENERATORS}; got {self.generator!r}.")
        if self.discriminator not in _DISCRIMINATORS:
            raise ValueError(
                f"discriminator must be one of {_DISCRIMINATORS}; got {self.discriminator!r}."
            )
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}; got {self.loss!r}.")
        check_int(self.latent_dim, "latent_dim")
        check_int(self.n_steps, "n_steps", minimum=0)
        if self.n_steps > MAX_STEPS:
            raise ValueError(f"n_steps must be <= {MAX_STEPS}; got {self.n_steps}.")
        check_int(self.batch_size, "batch_size", minimum=2)
        check_float(self.learning_rate, "learning_rate", low_inclusive=False)
        check_float(self.diversity_weight, "diversity_weight")
        if self.ema_decay is not None:
            check_float(self.ema_decay, "ema_decay", high=1.0)
            if self.ema_decay >= 1.0:
                raise ValueError(f"ema_decay must be < 1 or None; got {self.ema_decay}.")
        for name in ("augment", "diff_augment", "class_balance", "spectral_norm"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool; got {getattr(self, name)!r}.")
        check_latent_quantization(self.latent_quantization)
        check_device(self.device)
        check_verbose(self.verbose)
        as_callbacks(self.callbacks)

    def _validate_X_y(self, X, y):
        check_numeric_dtype(X, "X")
        if y is not None:
            check_same_length(X, y)
        X = check_array(X, dtype=[np.float64, np.float32], ensure_min_samples=1,
                        ensure_min_features=1, copy=False)
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
            gen_cls = (networks.ImageReferenceGenerator if self.generator == "reference"
                       else networks.ImageNoiseGenerator)
            G = gen_cls(shape, n_classes, latent_dim=self.latent_dim)
            D = networks.ImageDiscriminator(shape, n_classes, spectral_norm=self.spectral_norm,
                                            pair=pair)
        else:
            gen_cls = (networks.TabularReferenceGenerator if self.generator == "reference"
                       else networks.TabularNoiseGenerator)
            G = gen_cls(n_features, n_classes, latent_dim=self.latent_dim)
            D = networks.TabularDiscriminator(n_features, n_classes,
                                              spectral_norm=self.spectral_norm, pair=pair)
        return networks.init_weights(G), networks.init_weights(D)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Train the GAN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; flattened images when ``image_shape`` is set.
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
        the labels ``classes`` (None: unconditional)."""
        # The last checks (the device exists, random_state is valid) come before any fitted
        # attribute is written, so a failed fit leaves a fitted estimator as it was.
        device = resolve_device(self.device)
        seed = draw_seed(self.random_state)
        self.classes_ = classes
        n_classes = int(codes.max()) + 1
        self.n_features_in_ = X.shape[1]
        self.dtype_ = X.dtype
        self.discriminator_type_ = self.discriminator
        if self.discriminator == "auto":
            images_augmented = self.image_shape is not None and self.augment
            self.discriminator_type_ = "sample" if images_augmented else "pair"
        self.class_counts_ = np.bincount(codes, minlength=n_classes)
        self._scaler = (ImageScaler() if self.image_shape is not None else RowScaler()).fit(X)
        order = np.argsort(codes, kind="stable")
        self._references = self._scaler.transform(X[order])
        self._class_starts = np.concatenate([[0], np.cumsum(self.class_counts_)[:-1]])
        self.device_ = str(device)
        self._seed = seed
        self._n_sample_calls = 0
        callbacks = as_callbacks(self.callbacks)
        self.history_ = {k: [] for k in ("step", "d_loss", "g_loss", "d_real", "d_fake",
                                          "diversity")}
        with torch_rng_scope(self._seed, device):
            G, D = self._build(X.shape[1], n_classes)
            self._generator_raw, self.discriminator_ = G.to(device), D.to(device)
            self.generator_ = (copy.deepcopy(self._generator_raw)
                               if self.ema_decay is not None else self._generator_raw)
            for cb in callbacks:
                cb.on_train_begin(self)
            self._train(device, callbacks)
        del self._generator_raw  # sampling uses generator_ (the average when ema_decay is set)
        self.generator_.eval()
        self.discriminator_.eval()
        self.n_steps_ = self.n_steps
        for cb in callbacks:
            cb.on_train_end(self)
        return self

    def _draw_indices(self, classes, generator):
        """Row indices into the class-sorted reference table, one per entry of ``classes``."""
        counts = torch.as_tensor(self.class_counts_)[classes]
        starts = torch.as_tensor(self._class_starts)[classes]
        offsets = (torch.rand(len(classes), generator=generator) * counts).long()
        return starts + torch.minimum(offsets, counts - 1)

    def _train(self, device, callbacks):
        G, D = self._generator_raw, self.discriminator_
        d_loss_fn, g_loss_fn = LOSSES[self.loss]
        opt_g = torch.optim.Adam(G.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
        data = torch.as_tensor(self._references)
        if self.image_shape is not None:
            data = data.view(-1, *self.image_shape)
        data = data.to(device)
        images = self.image_shape is not None
        gen = torch.Generator().manual_seed(child_seed(self._seed, 1))
        n_classes = len(self.class_counts_)
        class_of_row = torch.repeat_interleave(torch.arange(n_classes),
                                               torch.as_tensor(self.class_counts_))
        batch = self.batch_size

        pair = self.discriminator_type_ == "pair"

        def view(x, reference):
            # What the discriminator sees: the sample, or the (reference, sample) pair, with the
            # same DiffAugment transform applied to both halves of a pair.
            if pair:
                x = torch.cat([reference, x], dim=1)
            if images and self.diff_augment:
                x = diff_augment(x, generator=gen)
            return x

        def real_batch(classes):
            x = data[self._draw_indices(classes, gen).to(device)]
            if images and self.augment:
                x = random_affine(x, generator=gen)
            return x

        G.train()
        D.train()
        bar = tqdm(range(1, self.n_steps + 1), disable=not self.verbose, desc="GAN",
                   leave=False)
        for step in bar:
            if self.class_balance:
                classes = torch.randint(n_classes, (batch,), generator=gen)
            else:
                classes = class_of_row[torch.randint(len(class_of_row), (batch,), generator=gen)]
            labels = classes.to(device)
            real, reference = real_batch(classes), real_batch(classes)
            z = torch.randn(batch, self.latent_dim, generator=gen).to(device)

            # Discriminator: real samples up, generated ones down.
            with torch.no_grad():
                fake = G(z, labels, reference)
            d_real, d_fake = D(view(real, reference), labels), D(view(fake, reference), labels)
            d_loss = d_loss_fn(d_real, d_fake)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

            # Generator: fool the discriminator, and map different codes to different samples.
            D.requires_grad_(False)
            fake = G(z, labels, reference)
            g_loss = g_loss_fn(D(view(fake, reference), labels))
            diversity = torch.zeros(())
            if self.diversity_weight > 0:
                z2 = torch.randn(batch, self.latent_dim, generator=gen).to(device)
                diversity = mode_seeking(fake, G(z2, labels, reference), z, z2)
                g_total = g_loss + self.diversity_weight * diversity
            else:
                g_total = g_loss
            opt_g.zero_grad(set_to_none=True)
            g_total.backward()
            opt_g.step()
            D.requires_grad_(True)
            if self.ema_decay is not None:
                self._update_ema(step)

            logs = {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                    "d_real": d_real.mean().item(), "d_fake": d_fake.mean().item(),
                    "diversity": diversity.item()}
            record_step(self.history_, logs, step, self.n_steps,
                        "Try a lower learning_rate, loss='hinge' or spectral_norm=True.")
            if self.verbose and (step % 25 == 0 or step == self.n_steps):
                bar.set_postfix(d=f"{logs['d_loss']:.3f}", g=f"{logs['g_loss']:.3f}")
            for cb in callbacks:
                cb.on_step_end(self, step, logs)
        bar.close()

    @torch.no_grad()
    def _update_ema(self, step):
        decay = min(self.ema_decay, (1.0 + step) / (10.0 + step))
        average, current = self.generator_, self._generator_raw
        for p_avg, p in zip(average.parameters(), current.parameters(), strict=True):
            p_avg.lerp_(p, 1.0 - decay)
        for b_avg, b in zip(average.buffers(), current.buffers(), strict=True):
            b_avg.copy_(b)

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
        X_new : ndarray of shape (n_samples, ``n_features_in_``)
            New rows in the original feature space and dtype.
        """
        check_is_fitted(self, "generator_")
        n_samples = check_int(n_samples, "n_samples", minimum=0)
        step = (self.latent_quantization if latent_quantization == "default"
                else latent_quantization)
        check_latent_quantization(step)
        codes = self._class_codes(n_samples, y)
        if random_state is None:
            self._n_sample_calls += 1
            seed = child_seed(self._seed, 2, self._n_sample_calls)
        else:
            seed = draw_seed(random_state)
        return self._sample_codes(codes, seed, step)

    @torch.no_grad()
    def _sample_codes(self, codes, seed, step):
        """Generate one row per entry of ``codes`` (integer class codes)."""
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
        out = np.empty((len(codes), self.n_features_in_), dtype=np.float32)
        chunk = 8192
        for lo in range(0, len(codes), chunk):
            hi = min(lo + chunk, len(codes))
            z = torch.randn(hi - lo, self.latent_dim, generator=gen)
            if step is not None:
                z = torch.round(z / step) * step
            ref = torch.as_tensor(self._references[ref_index[lo:hi]])
            if self.image_shape is not None:
                ref = ref.view(-1, *self.image_shape)
                if self.augment:  # the generator was trained on augmented references
                    ref = random_affine(ref, generator=gen)
            labels = torch.as_tensor(codes[lo:hi])
            fake = G(z.to(device), labels.to(device), ref.to(device))
            out[lo:hi] = fake.reshape(hi - lo, -1).float().cpu().numpy()
        G.train(was_training)
        if not np.all(np.isfinite(out)):
            raise TrainingDivergedError("The generator produced non-finite values.")
        return self._scaler.inverse_transform(out, self.dtype_)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        return modules_as_state_dicts(self.__dict__.copy(), ("generator_", "discriminator_"))

    def __setstate__(self, state):
        self.__dict__.update(state)
        if not isinstance(state.get("generator_"), dict):
            return
        self.device_ = device = load_device(self.device_)
        with torch_rng_scope(0):
            G, D = self._build(self.n_features_in_, len(self.class_counts_))
        G.load_state_dict(state["generator_"])
        D.load_state_dict(state["discriminator_"])
        self.generator_ = G.to(device).eval()
        self.discriminator_ = D.to(device).eval()


def check_latent_quantization(step):
    """Validate a latent grid step: None or a positive finite float."""
    if step is None:
        return None
    return check_float(step, "latent_quantization", low=0.0, low_inclusive=False)
