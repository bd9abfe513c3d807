"""The estimator of the reference denoiser: :class:`ReferenceDenoiser`."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import networks
from .._device import check_device, resolve_device
from .._random import child_seed, draw_seed, torch_rng_scope
from .._training import ModuleStateMixin, restore_on_error, run_steps
from .._validation import check_image_shape, check_numeric_dtype, check_same_length
from ..exceptions import TrainingDivergedError
from ..gan import MAX_STEPS
from ..losses import LOSSES
from ..persistence import SaveMixin
from ._inputs import as_images
from ._scores import psnr

__all__ = ["ReferenceDenoiser"]

#: What to try when the filter diverges.
_DIVERGED_HINT = "Try a lower learning_rate or scale the data."

#: The losses the progress bar shows.
_POSTFIX = {"l1": "{content_loss:.4f}", "g": "{g_loss:.3f}"}

#: Upper bounds on the network's size: far beyond any useful filter, and below what fails in
#: torch's allocator before a clear message.
MAX_WIDTH = 1024
MAX_BLOCKS = 64

#: Images filtered per forward pass in ``predict``.
_PREDICT_CHUNK = 1024


class ReferenceDenoiser(SaveMixin, ModuleStateMixin, BaseEstimator):
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
        Feature maps of the filter and of the discriminator's first layer; at most 1,024.
    n_blocks : int, default=3
        Residual blocks of the filter; at most 64.
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
        Where to train and filter: 'auto' (CUDA when available), 'cpu', 'cuda' or 'cuda:N'.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the initial weights and the batches; the same value trains a bit-identical
        filter on CPU. The global numpy and torch random states are left untouched.
    verbose : int, default=0
        Show a progress bar with the L1 and adversarial losses when > 0.

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

    See Also
    --------
    ganbalance.datasets.make_reference_mixtures : Training triples from a set of images.
    psnr, ssim : Score the filtered images.

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

    # The type and range of every parameter, checked by scikit-learn's _validate_params.
    _parameter_constraints: dict = {
        "image_shape": [tuple, list, None],
        "adversarial_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "loss": [StrOptions(set(LOSSES))],
        "width": [Interval(numbers.Integral, 1, MAX_WIDTH, closed="both")],
        "n_blocks": [Interval(numbers.Integral, 0, MAX_BLOCKS, closed="both")],
        "n_steps": [Interval(numbers.Integral, 0, MAX_STEPS, closed="both")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "spectral_norm": ["boolean"],
        "device": [str, torch.device],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
    }

    #: The attributes that hold torch modules (see ModuleStateMixin).
    _module_attributes = ("filter_", "discriminator_")

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
        """Validate every parameter: the table above (whose ranges leave out NaN and
        infinity), then what it cannot say (the contents of ``image_shape``, the form of the
        device string); raise before any training."""
        self._validate_params()
        check_image_shape(self.image_shape)
        check_device(self.device)

    # ------------------------------------------------------------------ fit
    def _build(self, channels, discriminator):
        """The filter and, when ``discriminator``, the discriminator, for images of
        ``channels`` channels."""
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
            X, shape = as_images(mixtures, "mixtures", self.image_shape)
            same = (shape, "the mixtures' are")
            R, _ = as_images(references, "references", self.image_shape, same, len(X))
            T, _ = as_images(targets, "targets", self.image_shape, same, len(X))
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
        """Train the filter ``G`` (and the discriminator ``D``, if any) in place.

        The denoiser's part: the optimizers, the random stream, and each step (a batch of
        training triples drawn with replacement, then :meth:`_train_step`);
        :func:`~ganbalance._training.run_steps` does the rest (progress bar, ``history``,
        divergence checks).
        """
        opt_g = torch.optim.Adam(G.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
        opt_d = (torch.optim.Adam(D.parameters(), lr=self.learning_rate, betas=(0.5, 0.999))
                 if D is not None else None)
        gen = torch.Generator().manual_seed(child_seed(seed, 1))
        batch_size = min(self.batch_size, len(X))
        G.train()

        def step(_):
            """One step: a batch of triples drawn with replacement, then the updates."""
            idx = torch.randint(len(X), (batch_size,), generator=gen).to(X.device)
            return self._train_step(G, D, opt_g, opt_d, X[idx], R[idx], T[idx])

        run_steps(self, step, self.n_steps, history, hint=_DIVERGED_HINT, desc="denoiser",
                  postfix=_POSTFIX)

    def _train_step(self, G, D, opt_g, opt_d, mixture, reference, target):
        """One discriminator update, if there is a discriminator, then one filter update, on
        one batch; returns the step's logs (the adversarial losses are 0 without one)."""
        d_loss_fn, g_loss_fn = LOSSES[self.loss]
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
        return {"content_loss": content.item(), "g_loss": g_loss.item(),
                "d_loss": d_loss.item()}

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
        shape = self.image_shape_
        fitted = (shape, "the filter was fitted on")
        X, _ = as_images(mixtures, "mixtures", self.image_shape, fitted, fitted_shape=shape)
        R, _ = as_images(references, "references", self.image_shape, fitted, len(X),
                         fitted_shape=shape)
        device = torch.device(self.device_)
        G = self.filter_
        G.eval()
        out = np.empty((len(X), *shape), dtype=np.float32)
        for lo in range(0, len(X), _PREDICT_CHUNK):
            hi = min(lo + _PREDICT_CHUNK, len(X))
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
        mixtures, references : array-like
            The inputs, as in :meth:`predict`.
        targets : array-like of the shape of ``mixtures``
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
    def _load_modules(self, state, device):
        """Rebuild ``filter_`` (and ``discriminator_``, if it was saved) on ``device`` from
        the state dicts in ``state``; called by ``__setstate__``."""
        with_d = isinstance(state.get("discriminator_"), dict)
        G, D = self._build(self.image_shape_[0], with_d)
        G.load_state_dict(state["filter_"])
        self.filter_ = G.to(device).eval()
        if with_d:
            D.load_state_dict(state["discriminator_"])
            self.discriminator_ = D.to(device).eval()
