"""A reference-conditioned denoising filter: ``fit(mixtures, references, targets)``.

Given a mixture ``a*target + b*reference + noise`` and the reference, the filter returns the
target with the reference and the noise removed. It is SRGAN's recipe (Ledig et al. 2017) with
SEGAN's conditioning (Pascual et al. 2017): a residual generator trained with an L1 content
loss plus an adversarial loss from a discriminator that sees the inputs too.
``adversarial_weight=0`` trains the same network with the L1 loss alone, the "no GAN" baseline.

:func:`psnr` and :func:`ssim` score the outputs image by image.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from . import networks
from ._device import check_device, resolve_device
from ._random import child_seed, draw_seed, torch_rng_scope
from ._training import load_device, modules_as_state_dicts, record_step, restore_on_error
from ._validation import (
    check_float,
    check_image_shape,
    check_int,
    check_numeric_dtype,
    check_same_length,
    check_verbose,
)
from .exceptions import TrainingDivergedError
from .gan import MAX_STEPS
from .losses import LOSSES
from .persistence import SaveMixin

__all__ = ["ReferenceDenoiser", "psnr", "ssim"]

_MIN_SIDE = 4  # smallest image side the filter and the discriminator take


class ReferenceDenoiser(SaveMixin, BaseEstimator):
    """A filter that removes a known reference signal and noise from a mixture.

    ``fit(mixtures, references, targets)`` trains :class:`~ganbalance.networks.ResidualFilter`
    to map ``(mixture, reference)`` to ``target`` with the loss
    ``L1(output, target) + adversarial_weight * adversarial``, where the adversarial term comes
    from a :class:`~ganbalance.networks.ConditionedDiscriminator` that judges an image together
    with its mixture and reference. ``predict(mixtures, references)`` applies the filter.

    Values are used as they are (no scaling), so the filter learns the scales of its training
    data; :func:`ganbalance.datasets.make_reference_mixtures` draws them at random, as the seed-002
    experiment did, so that it works at many scales.

    Parameters
    ----------
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image when the arrays hold flattened rows. ``None``: rows of ``H*H``
        features are square one-channel images, arrays of shape ``(n, H, W)`` one-channel
        images, and arrays of shape ``(n, C, H, W)`` are used as they are.
    adversarial_weight : float, default=0.01
        Weight of the adversarial loss; 0 trains with the L1 content loss alone (no
        discriminator).
    loss : {'hinge', 'bce'}, default='hinge'
        The adversarial loss pair.
    width : int, default=16
        Feature maps of the filter and of the discriminator's first layer.
    n_blocks : int, default=3
        Residual blocks of the filter.
    n_steps : int, default=1000
        Optimisation steps (one discriminator and one filter update each), at most
        :data:`ganbalance.gan.MAX_STEPS`.
    batch_size : int, default=32
        Pairs per step, drawn with replacement; clamped to the number of training pairs, so
        that memory never grows past what the data needs.
    learning_rate : float, default=1e-3
        Adam learning rate of both networks (betas 0.5, 0.999).
    spectral_norm : bool, default=True
        Spectral normalisation in the discriminator.
    device : str, default='auto'
        'auto' (CUDA when available), 'cpu', 'cuda' or 'cuda:N'.
    random_state : int, RandomState, Generator or None, default=None
        Seeds everything in ``fit``; the same value gives bit-identical results on CPU. The
        global numpy and torch random states are left untouched.
    verbose : int, default=0
        Show a progress bar with the current losses when > 0.

    Attributes
    ----------
    filter_ : torch.nn.Module
        The trained filter, in ``eval`` mode.
    discriminator_ : torch.nn.Module or None
        The trained discriminator; None when ``adversarial_weight=0``.
    image_shape_ : tuple of int
        ``(C, H, W)`` of one image.
    history_ : dict of list
        Per step: ``step``, ``content_loss`` (L1), ``g_loss`` and ``d_loss`` (adversarial; 0
        without a discriminator).
    device_ : str
        The device trained on.
    n_features_in_ : int
        Values per image, ``C * H * W``.
    n_steps_ : int
        Steps run.

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.datasets import make_reference_mixtures
    >>> from ganbalance.denoise import ReferenceDenoiser
    >>> images = np.random.default_rng(0).random((64, 16, 16)).astype(np.float32)
    >>> mix, ref, target = make_reference_mixtures(images, random_state=0)
    >>> den = ReferenceDenoiser(width=8, n_blocks=1, n_steps=5, device="cpu", random_state=0)
    >>> den.fit(mix, ref, target).predict(mix[:3], ref[:3]).shape
    (3, 16, 16)
    """

    def __init__(self, *, image_shape=None, adversarial_weight=0.01, loss="hinge", width=16,
                 n_blocks=3, n_steps=1000, batch_size=32, learning_rate=1e-3,
                 spectral_norm=True, device="auto", random_state=None, verbose=0):
        self.image_shape = image_shape
        self.adversarial_weight = adversarial_weight
        self.loss = loss
        self.width = width
        self.n_blocks = n_blocks
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.spectral_norm = spectral_norm
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_params(self):
        check_image_shape(self.image_shape)
        check_float(self.adversarial_weight, "adversarial_weight")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}; got {self.loss!r}.")
        check_int(self.width, "width")
        check_int(self.n_blocks, "n_blocks", minimum=0)
        check_int(self.n_steps, "n_steps", minimum=0)
        if self.n_steps > MAX_STEPS:
            raise ValueError(f"n_steps must be <= {MAX_STEPS}; got {self.n_steps}.")
        check_int(self.batch_size, "batch_size")
        check_float(self.learning_rate, "learning_rate", low_inclusive=False)
        if not isinstance(self.spectral_norm, (bool, np.bool_)):
            raise TypeError(f"spectral_norm must be a bool; got {self.spectral_norm!r}.")
        check_device(self.device)
        check_verbose(self.verbose)

    def _image_shape(self, array, name, fitted_shape=None):
        """``(C, H, W)`` of one image of ``array`` (validated).

        Flattened rows take ``fitted_shape`` (in ``predict``), else ``image_shape``, else a
        square one-channel image.
        """
        if array.ndim == 2:
            n_features = array.shape[1]
            shape = fitted_shape or check_image_shape(self.image_shape)
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
            declared = check_image_shape(self.image_shape)
            if fitted_shape is None and declared is not None and declared != shape:
                raise ValueError(
                    f"{name} holds images of shape {shape}, but image_shape={declared}."
                )
            return shape
        raise ValueError(
            f"{name} must have shape (n, n_features), (n, H, W) or (n, C, H, W); got "
            f"{array.shape}."
        )

    def _as_images(self, array, name, expected=None, n_rows=None, fitted_shape=None):
        """A float32 tensor ``(n, C, H, W)`` from one of the arrays; a copy, never a view.

        ``expected`` is ``(shape, what)``: the shape the images must have, and what it is.
        """
        check_numeric_dtype(array, name)
        array = np.asarray(array)
        shape = self._image_shape(array, name, fitted_shape)
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
        if min(shape[1:]) < _MIN_SIDE:
            raise ValueError(
                f"{name} holds images of shape {shape}; they must be at least "
                f"{_MIN_SIDE}x{_MIN_SIDE}."
            )
        return torch.tensor(array, dtype=torch.float32).reshape(-1, *shape), shape

    # ------------------------------------------------------------------ fit
    def _build(self, channels, discriminator):
        # PyTorch's default (Kaiming-uniform) initialisation, not networks.init_weights: the
        # DCGAN normal(0, 0.02) start suits GANs from noise, not a residual regression network.
        G = networks.ResidualFilter(channels, width=self.width, n_blocks=self.n_blocks)
        D = None
        if discriminator:
            D = networks.ConditionedDiscriminator(channels, 2 * channels, width=self.width,
                                                  spectral_norm=self.spectral_norm)
        return G, D

    def fit(self, mixtures, references, targets):
        """Train the filter.

        The new networks are trained apart from the fitted ones and replace them only once
        training has succeeded: if ``fit`` raises (bad input, divergence,
        ``KeyboardInterrupt``), the estimator is left exactly as it was.

        Parameters
        ----------
        mixtures : array-like of shape (n, n_features), (n, H, W) or (n, C, H, W)
            Filter inputs: target, reference and noise mixed.
        references : array-like of the same shape
            The reference each mixture contains (at the scale the formulation gives it).
        targets : array-like of the same shape
            The output wanted.

        Returns
        -------
        self : ReferenceDenoiser
            The fitted estimator.
        """
        with restore_on_error(self):
            self._check_params()
            X, shape = self._as_images(mixtures, "mixtures")
            R, _ = self._as_images(references, "references", (shape, "the mixtures' are"),
                                   len(X))
            T, _ = self._as_images(targets, "targets", (shape, "the mixtures' are"), len(X))
            device = resolve_device(self.device)
            seed = draw_seed(self.random_state)
            history = {k: [] for k in ("step", "content_loss", "g_loss", "d_loss")}
            with torch_rng_scope(seed, device):
                G, D = self._build(shape[0], self.adversarial_weight > 0)
                G = G.to(device)
                D = None if D is None else D.to(device)
                self._train(G, D, history, X.to(device), R.to(device), T.to(device), seed)
            # Training succeeded: only now are the fitted attributes replaced.
            self.filter_ = G.eval()
            self.discriminator_ = None if D is None else D.eval()
            self.image_shape_ = shape
            self.n_features_in_ = int(np.prod(shape))
            self.device_ = str(device)
            self.history_ = history
            self.n_steps_ = self.n_steps
        return self

    def _train(self, G, D, history, X, R, T, seed):
        """Train the filter ``G`` (and the discriminator ``D``, if any) in place."""
        d_loss_fn, g_loss_fn = LOSSES[self.loss]
        opt_g = torch.optim.Adam(G.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
        opt_d = (torch.optim.Adam(D.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
                 if D is not None else None)
        gen = torch.Generator().manual_seed(child_seed(seed, 1))
        batch_size = min(self.batch_size, len(X))
        G.train()
        bar = tqdm(range(1, self.n_steps + 1), disable=not self.verbose, desc="denoiser",
                   leave=False)
        for step in bar:
            idx = torch.randint(len(X), (batch_size,), generator=gen).to(X.device)
            mixture, reference, target = X[idx], R[idx], T[idx]
            condition = torch.cat([mixture, reference], dim=1)

            # Discriminator: (target, inputs) up, (output, inputs) down.
            d_loss = torch.zeros(())
            if D is not None:
                with torch.no_grad():
                    output = G(mixture, reference)
                d_loss = d_loss_fn(D(target, condition), D(output, condition))
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()

            # Filter: match the target (L1), and fool the discriminator.
            output = G(mixture, reference)
            content = (output - target).abs().mean()
            g_loss = torch.zeros(())
            if D is not None:
                D.requires_grad_(False)
                g_loss = g_loss_fn(D(output, condition))
                D.requires_grad_(True)
            opt_g.zero_grad(set_to_none=True)
            (content + self.adversarial_weight * g_loss).backward()
            opt_g.step()

            logs = {"content_loss": content.item(), "g_loss": g_loss.item(),
                    "d_loss": d_loss.item()}
            record_step(history, logs, step, self.n_steps,
                        "Try a lower learning_rate or scale the data.")
            if self.verbose and (step % 25 == 0 or step == self.n_steps):
                bar.set_postfix(l1=f"{logs['content_loss']:.4f}", g=f"{logs['g_loss']:.3f}")
        bar.close()

    # ------------------------------------------------------------------ predict
    @torch.no_grad()
    def predict(self, mixtures, references):
        """Filter ``mixtures`` given their ``references``.

        Parameters
        ----------
        mixtures : array-like of shape (n, n_features), (n, H, W) or (n, C, H, W)
            Images of the shape seen in ``fit``.
        references : array-like of the same shape
            Their references.

        Returns
        -------
        outputs : ndarray of float32, of the shape of ``mixtures``
            The filtered images.
        """
        check_is_fitted(self, "filter_")
        fitted = (self.image_shape_, "the filter was fitted on")
        X, _ = self._as_images(mixtures, "mixtures", fitted, fitted_shape=self.image_shape_)
        R, _ = self._as_images(references, "references", fitted, len(X),
                               fitted_shape=self.image_shape_)
        shape = self.image_shape_
        device = torch.device(self.device_)
        G = self.filter_
        G.eval()
        out = np.empty((len(X), *shape), dtype=np.float32)
        chunk = 1024
        for lo in range(0, len(X), chunk):
            hi = min(lo + chunk, len(X))
            out[lo:hi] = G(X[lo:hi].to(device), R[lo:hi].to(device)).cpu().numpy()
        if not np.all(np.isfinite(out)):
            raise TrainingDivergedError("The filter produced non-finite values.")
        return out.reshape(np.shape(mixtures))

    def score(self, mixtures, references, targets):
        """Mean PSNR, in dB, of the filtered ``mixtures`` against their ``targets``.

        Higher is better. Each image is scored by :func:`psnr` against its own target's range;
        a perfect output scores ``inf``. Use :func:`ssim` for the structural similarity.

        Parameters
        ----------
        mixtures : array-like of shape (n, n_features), (n, H, W) or (n, C, H, W)
            Images of the shape seen in ``fit``.
        references : array-like of the same shape
            Their references.
        targets : array-like of the same shape
            What the filter should return.

        Returns
        -------
        score : float
            The mean of the per-image PSNR.
        """
        check_numeric_dtype(targets, "targets")
        check_same_length(mixtures, targets, "mixtures", "targets")
        return float(np.mean(psnr(targets, self.predict(mixtures, references))))

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        return modules_as_state_dicts(self.__dict__.copy(), ("filter_", "discriminator_"))

    def __setstate__(self, state):
        self.__dict__.update(state)
        if not isinstance(state.get("filter_"), dict):
            return
        self.device_ = device = load_device(self.device_, type(self).__name__)
        with_d = isinstance(state.get("discriminator_"), dict)
        with torch_rng_scope(0):
            G, D = self._build(self.image_shape_[0], with_d)
        G.load_state_dict(state["filter_"])
        self.filter_ = G.to(device).eval()
        if with_d:
            D.load_state_dict(state["discriminator_"])
            self.discriminator_ = D.to(device).eval()


# ---------------------------------------------------------------------- image scores
def _score_inputs(targets, outputs, data_range):
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
