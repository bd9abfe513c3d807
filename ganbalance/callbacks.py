"""Training callbacks for :class:`~ganbalance.ConditionalGAN`.

A callback is an instance of a :class:`Callback` subclass, which overrides the hooks it needs
(any object with the three methods of :class:`Callback` is accepted too). Plain functions are
accepted as well and are called as ``fn(gan, step, logs)`` after every step.

Ready callbacks, to watch a GAN learn:

* :class:`SnapshotGrid` draws samples from fixed noise every ``every`` steps (and at step 0),
  keeps them in memory and, when asked, saves each as a PNG grid and the whole progression as
  an animated GIF;
* :class:`LossPlot` records the two losses and plots them;
* :class:`DiscriminatorMonitor` records the discriminator's mean output on real and on
  generated samples, ``D(x)`` and ``D(G(z))``, and plots them.

None of them writes a file unless it is given a path. Plots need matplotlib and images need
Pillow, both imported only when a file is written: ``pip install ganbalance[examples]``.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import numpy as np

from ._validation import check_float, check_image_shape, check_int

__all__ = ["Callback", "DiscriminatorMonitor", "LossPlot", "SnapshotGrid", "image_grid"]

logger = logging.getLogger(__name__)

_INSTALL_HINT = "Install it with: pip install ganbalance[examples]"


class Callback:
    """Base class: override the hooks you need.

    ``logs`` holds the step's scalar values: ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake``
    (the discriminator's mean logit on real and on generated samples) and ``diversity``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import ConditionalGAN
    >>> from ganbalance.callbacks import Callback
    >>> class EveryOther(Callback):
    ...     def on_train_begin(self, gan):
    ...         self.steps = []
    ...     def on_step_end(self, gan, step, logs):
    ...         if step % 2 == 0:
    ...             self.steps.append(step)
    >>> X, _ = load_digits(return_X_y=True)
    >>> cb = EveryOther()
    >>> gan = ConditionalGAN(image_shape=(1, 8, 8), n_steps=5, callbacks=[cb], random_state=0,
    ...                      device="cpu").fit(X)
    >>> cb.steps
    [2, 4]
    """

    def on_train_begin(self, gan):
        """Called once before the first step, with the networks built."""

    def on_step_end(self, gan, step, logs):
        """Called after each optimisation step; ``step`` counts from 1."""

    def on_train_end(self, gan):
        """Called once after the last step."""


class _FunctionCallback(Callback):
    def __init__(self, fn):
        self.fn = fn

    def on_step_end(self, gan, step, logs):
        self.fn(gan, step, logs)


_HOOKS = ("on_train_begin", "on_step_end", "on_train_end")


def _is_callback(obj):
    # Duck-typed rather than isinstance alone, so that a Callback subclass still counts when its
    # module was imported twice (as pytest's doctest collection can do).
    return isinstance(obj, Callback) or (
        not isinstance(obj, type) and all(callable(getattr(obj, h, None)) for h in _HOOKS)
    )


def as_callbacks(callbacks):
    """Validate the ``callbacks`` parameter and wrap plain functions."""
    if callbacks is None:
        return []
    if _is_callback(callbacks) or callable(callbacks):
        callbacks = [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks must be None, a Callback, a function or a list of them; "
            f"got {type(callbacks).__name__}."
        )
    out = []
    for cb in callbacks:
        if _is_callback(cb):
            out.append(cb)
        elif callable(cb):
            out.append(_FunctionCallback(cb))
        else:
            raise TypeError(f"each callback must be a Callback or a function; got {cb!r}.")
    return out


# ---------------------------------------------------------------------- helpers
def _check_path(path, name):
    """None, or a str / os.PathLike turned into a Path."""
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be None, a str or a path; got {type(path).__name__}.")
    return Path(path)


def _import_pil():
    try:
        from PIL import Image, ImageDraw
    except ImportError as exc:  # pragma: no cover - Pillow is installed with the test extra
        raise ImportError(f"Writing PNG and GIF images needs Pillow. {_INSTALL_HINT}") from exc
    return Image, ImageDraw


def _import_figure():
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is installed with the test extra
        raise ImportError(f"Plotting needs matplotlib. {_INSTALL_HINT}") from exc
    return Figure


def _trailing_mean(values, window):
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) == 0:
        return v
    cum = np.concatenate([[0.0], np.cumsum(v)])
    end = np.arange(1, len(v) + 1)
    start = np.maximum(end - window, 0)
    return (cum[end] - cum[start]) / (end - start)


def _sigmoid(x):
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic function


def image_grid(images, image_shape, nrow=None, *, padding=2, pad_value=0, value_range=None):
    """Lay out images side by side in one 8-bit picture.

    Parameters
    ----------
    images : array-like of shape (n_images, C*H*W) or (n_images, C, H, W)
        The images, flattened or not, e.g. the output of ``ConditionalGAN.sample``.
    image_shape : tuple of int (C, H, W)
        Shape of one image; ``C`` must be 1 (grey) or 3 (RGB).
    nrow : int, default=None
        Images per row of the grid (as in torchvision's ``make_grid``). ``None`` makes the grid
        as square as possible.
    padding : int, default=2
        Pixels around and between the images.
    pad_value : int, default=0
        Grey level (0 to 255) of the padding: 0 is black.
    value_range : tuple of float (low, high), default=None
        Pixel values mapped to 0 and 255; values outside are clipped. ``None`` uses the images'
        own minimum and maximum.

    Returns
    -------
    grid : ndarray of uint8
        Shape ``(rows, cols)`` for grey images, ``(rows, cols, 3)`` for RGB, with
        ``rows = n_rows * (H + padding) + padding`` and likewise for the columns.

    Examples
    --------
    >>> import numpy as np
    >>> from ganbalance.callbacks import image_grid
    >>> grid = image_grid(np.ones((6, 64)), (1, 8, 8), nrow=3, value_range=(0, 1))
    >>> grid.shape, grid.dtype, grid.max()
    ((22, 32), dtype('uint8'), np.uint8(255))
    """
    shape = check_image_shape(image_shape)
    if shape is None:
        raise ValueError("image_shape is required: (C, H, W).")
    c, h, w = shape
    if c not in (1, 3):
        raise ValueError(f"image_grid draws grey (C=1) or RGB (C=3) images; got C={c}.")
    images = np.asarray(images, dtype=np.float64)
    if images.ndim < 1 or images.size == 0:
        raise ValueError("images must hold at least one image.")
    if images.size % (c * h * w) != 0:
        raise ValueError(f"images of shape {images.shape} do not hold whole {shape} images.")
    images = images.reshape(-1, c, h, w)
    n = len(images)
    nrow = math.ceil(math.sqrt(n)) if nrow is None else check_int(nrow, "nrow")
    padding = check_int(padding, "padding", minimum=0)
    pad_value = check_int(pad_value, "pad_value", minimum=0)
    if pad_value > 255:
        raise ValueError(f"pad_value must be <= 255; got {pad_value}.")
    if value_range is None:
        low, high = float(images.min()), float(images.max())
    else:
        low, high = (float(v) for v in value_range)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"value_range must be finite; got {(low, high)}.")
    if high <= low:
        high = low + 1.0
    pixels = np.clip((images - low) / (high - low), 0.0, 1.0)
    pixels = np.round(pixels * 255.0).astype(np.uint8).transpose(0, 2, 3, 1)  # n, h, w, c
    cols, rows = min(nrow, n), math.ceil(n / nrow)
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c),
                   pad_value, dtype=np.uint8)
    for i, image in enumerate(pixels):
        top = padding + (i // nrow) * (h + padding)
        left = padding + (i % nrow) * (w + padding)
        grid[top:top + h, left:left + w] = image
    return grid[:, :, 0] if c == 1 else grid


# ---------------------------------------------------------------------- snapshots
_PAD_VALUE = 80  # dark grey: separates the images on black and on white backgrounds


class SnapshotGrid(Callback):
    """Samples from fixed noise at step 0 and every ``every`` steps: watch the GAN learn.

    Each snapshot calls ``gan.sample(n_samples, y=y, random_state=random_state)``, so every
    snapshot uses the same latent codes and the pictures differ only by what the generator has
    learned. Snapshots are taken before the first step (step 0), after every ``every``-th step
    and after the last step. Sampling does not touch the training's random streams: a GAN
    trained with this callback learns exactly what it learns without it.

    Parameters
    ----------
    every : int, default=100
        Steps between snapshots.
    n_samples : int, default=16
        Samples per snapshot.
    y : label or array-like of shape (n_samples,), default=None
        The class of the samples, for a conditional GAN; must be None for an unconditional one.
    random_state : int, default=0
        Seed of the fixed noise.
    nrow : int, default=None
        Images per row in the saved grids; ``None`` makes them as square as possible.
    folder : str or path, default=None
        Save each snapshot as ``step_000100.png`` (and so on) in this folder, created if needed,
        as soon as it is taken. ``None`` writes no PNG.
    gif : str or path, default=None
        Write an animated GIF of all snapshots to this file when training ends. ``None``
        writes no GIF.
    frame_duration : float, default=0.4
        Seconds each GIF frame is shown; the last one is held four times as long.
    scale : int, default=2
        Enlarge the saved PNG and GIF images by this factor (nearest neighbour).

    Attributes
    ----------
    snapshots_ : dict of int to ndarray of shape (n_samples, C, H, W)
        The samples of each snapshot, keyed by step, in the GAN's feature space.
    value_range_ : tuple of float
        The pixel range of the training data, mapped to black and white in the grids.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import ConditionalGAN
    >>> from ganbalance.callbacks import SnapshotGrid
    >>> X, _ = load_digits(return_X_y=True)
    >>> snaps = SnapshotGrid(every=5, n_samples=4)
    >>> gan = ConditionalGAN(image_shape=(1, 8, 8), generator="noise", n_steps=12,
    ...                      callbacks=[snaps], random_state=0, device="cpu").fit(X)
    >>> sorted(snaps.snapshots_), snaps.snapshots_[10].shape
    ([0, 5, 10, 12], (4, 1, 8, 8))
    >>> snaps.grid(12).shape  # a 2 x 2 grid of 8 x 8 images, uint8
    (22, 22)
    """

    def __init__(self, every=100, n_samples=16, *, y=None, random_state=0, nrow=None,
                 folder=None, gif=None, frame_duration=0.4, scale=2):
        self.every = check_int(every, "every")
        self.n_samples = check_int(n_samples, "n_samples")
        self.y = y
        self.random_state = check_int(random_state, "random_state", minimum=0)
        self.nrow = None if nrow is None else check_int(nrow, "nrow")
        self.folder = _check_path(folder, "folder")
        self.gif = _check_path(gif, "gif")
        self.frame_duration = check_float(frame_duration, "frame_duration",
                                          low_inclusive=False)
        self.scale = check_int(scale, "scale")

    def on_train_begin(self, gan):
        if gan.image_shape is None:
            raise ValueError(
                "SnapshotGrid draws image grids and needs a GAN with image_shape set; this GAN "
                "trains on tabular rows. Use LossPlot or DiscriminatorMonitor to watch it."
            )
        shape = check_image_shape(gan.image_shape)
        if shape[0] not in (1, 3):
            raise ValueError(f"SnapshotGrid draws grey (C=1) or RGB (C=3) images; got "
                             f"image_shape={shape}.")
        if self.folder is not None or self.gif is not None:
            _import_pil()  # fail before training, not after it
        self.image_shape_ = shape
        scaler = getattr(gan, "_scaler", None)
        self.value_range_ = ((scaler.low_, scaler.high_) if hasattr(scaler, "low_")
                             else (None, None))
        self.snapshots_ = {}
        self._take(gan, 0)

    def on_step_end(self, gan, step, logs):
        if step % self.every == 0 or step == gan.n_steps:
            self._take(gan, step)

    def on_train_end(self, gan):
        if self.gif is not None:
            self.save_gif(self.gif)

    def _take(self, gan, step):
        images = gan.sample(self.n_samples, y=self.y, random_state=self.random_state)
        self.snapshots_[step] = images.reshape(-1, *self.image_shape_)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._image(step).save(self.folder / f"step_{step:06d}.png")
            logger.debug("Saved snapshot of step %d in %s", step, self.folder)

    def grid(self, step, nrow="default"):
        """The snapshot of ``step`` as one uint8 picture (see :func:`image_grid`).

        Parameters
        ----------
        step : int
            A key of ``snapshots_``.
        nrow : int or None, default='default'
            Images per row; 'default' uses the callback's ``nrow``.

        Returns
        -------
        grid : ndarray of uint8
            ``(rows, cols)`` for grey images, ``(rows, cols, 3)`` for RGB, unscaled.
        """
        if step not in getattr(self, "snapshots_", {}):
            raise KeyError(f"No snapshot at step {step}; steps: {sorted(self.snapshots_)}"
                           if hasattr(self, "snapshots_") else "No snapshot taken yet.")
        low, high = self.value_range_
        return image_grid(self.snapshots_[step], self.image_shape_,
                          self.nrow if nrow == "default" else nrow, pad_value=_PAD_VALUE,
                          value_range=None if low is None else (low, high))

    def _image(self, step, caption=False):
        """The scaled grid of ``step`` as a PIL image, with a 'step N' strip on top if asked."""
        Image, ImageDraw = _import_pil()
        grid = self.grid(step)
        grid = grid.repeat(self.scale, axis=0).repeat(self.scale, axis=1)
        if caption:
            strip = np.zeros((14, *grid.shape[1:]), dtype=np.uint8)
            grid = np.concatenate([strip, grid])  # a black strip for the caption
        image = Image.fromarray(grid)
        if caption:
            ImageDraw.Draw(image).text((3, 1), f"step {step}",
                                       fill=255 if image.mode == "L" else (255, 255, 255))
        return image

    def save_gif(self, path):
        """Write all snapshots, in step order, as an animated GIF that loops.

        Parameters
        ----------
        path : str or path
            The GIF file; its folder is created if needed.

        Returns
        -------
        path : Path
            The file written.
        """
        path = _check_path(path, "path")
        if not getattr(self, "snapshots_", None):
            raise ValueError("No snapshot taken yet: fit the GAN with this callback first.")
        steps = sorted(self.snapshots_)
        frames = [self._image(step, caption=True) for step in steps]
        ms = int(round(1000 * self.frame_duration))
        durations = [ms] * (len(frames) - 1) + [4 * ms]
        path.parent.mkdir(parents=True, exist_ok=True)
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations,
                       loop=0)
        logger.debug("Saved a GIF of %d snapshots to %s", len(frames), path)
        return path


# ---------------------------------------------------------------------- curves
class _Recorder(Callback):
    """Records some ``logs`` keys at every step in ``history_``; plots at train end."""

    _keys = ()

    def __init__(self, path=None, *, smooth=25):
        self.path = _check_path(path, "path")
        self.smooth = check_int(smooth, "smooth")

    def on_train_begin(self, gan):
        if self.path is not None:
            _import_figure()  # fail before training, not after it
        self.loss_ = gan.loss
        self.history_ = {key: [] for key in ("step", *self._keys)}

    def on_step_end(self, gan, step, logs):
        self.history_["step"].append(step)
        for key in self._keys:
            self.history_[key].append(float(logs[key]))

    def on_train_end(self, gan):
        if self.path is not None:
            self.save(self.path)

    def save(self, path, dpi=120):
        """Plot to a new figure and save it to ``path`` (PNG, SVG, PDF: from its suffix).

        Parameters
        ----------
        path : str or path
            The file; its folder is created if needed.
        dpi : int, default=120
            Resolution of raster formats.

        Returns
        -------
        path : Path
            The file written.
        """
        path = _check_path(path, "path")
        Figure = _import_figure()
        fig = Figure(figsize=(6.4, 3.6))
        self.plot(fig.add_subplot())
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
        return path

    def _new_axes(self, ax):
        if not getattr(self, "history_", None) or not self.history_["step"]:
            raise ValueError("Nothing recorded yet: fit the GAN with this callback first.")
        if ax is None:
            ax = _import_figure()(figsize=(6.4, 3.6)).add_subplot()
        return ax

    def _curve(self, ax, values, label, color):
        """Draw ``values`` (raw and smoothed); return the (low, high) range worth showing."""
        steps = self.history_["step"]
        if self.smooth > 1:
            smoothed = _trailing_mean(values, self.smooth)
            ax.plot(steps, values, color=color, alpha=0.25, linewidth=0.8)
            ax.plot(steps, smoothed, color=color, label=label)
            # Isolated spikes of the raw values would flatten everything else: cut them.
            return (min(float(np.quantile(values, 0.01)), float(smoothed.min())),
                    max(float(np.quantile(values, 0.99)), float(smoothed.max())))
        ax.plot(steps, values, color=color, label=label)
        return float(np.min(values)), float(np.max(values))


class LossPlot(_Recorder):
    """Records the discriminator's and the generator's loss at every step and plots them.

    Parameters
    ----------
    path : str or path, default=None
        Save the plot to this file when training ends (format from the suffix). ``None``
        writes nothing; call :meth:`plot` or :meth:`save` yourself.
    smooth : int, default=25
        Also draw the mean of the last ``smooth`` steps over the raw, noisy values. 1 draws the
        raw values only.

    Attributes
    ----------
    history_ : dict of list
        ``step``, ``d_loss`` and ``g_loss``, one entry per step.
    loss_ : str
        The GAN's loss, which sets the reference lines of the plot.

    Notes
    -----
    The dotted lines are the losses at the game's equilibrium, where the discriminator cannot
    tell real from generated samples: for ``loss='bce'`` (``D = 1/2`` everywhere) the
    discriminator's loss is ``2 ln 2 = 1.39`` and the generator's ``ln 2 = 0.69``; for
    ``loss='hinge'`` (logit 0 everywhere) they are 2 and 0. A healthy run hovers around them;
    a discriminator loss falling towards 0 while the generator's climbs means the
    discriminator has won and the generator gets little to learn from.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import ConditionalGAN
    >>> from ganbalance.callbacks import LossPlot
    >>> X, _ = load_digits(return_X_y=True)
    >>> losses = LossPlot()  # path=None: records, writes nothing
    >>> gan = ConditionalGAN(image_shape=(1, 8, 8), generator="noise", n_steps=5,
    ...                      callbacks=[losses], random_state=0, device="cpu").fit(X)
    >>> losses.history_["step"], len(losses.history_["d_loss"])
    ([1, 2, 3, 4, 5], 5)
    """

    _keys = ("d_loss", "g_loss")

    def plot(self, ax=None):
        """Draw the losses against the step.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` draws on a new figure.

        Returns
        -------
        ax : matplotlib Axes
        """
        ax = self._new_axes(ax)
        d_low, d_high = self._curve(ax, self.history_["d_loss"], "discriminator loss", "tab:red")
        g_low, g_high = self._curve(ax, self.history_["g_loss"], "generator loss", "tab:blue")
        d_eq, g_eq = (2 * math.log(2), math.log(2)) if self.loss_ == "bce" else (2.0, 0.0)
        bottom, top = min(0.0, d_low, g_low), max(d_high, g_high, d_eq)
        ax.set_ylim(bottom, top + 0.05 * (top - bottom))
        ax.axhline(d_eq, color="tab:red", linestyle=":", linewidth=1)
        ax.axhline(g_eq, color="tab:blue", linestyle=":", linewidth=1)
        ax.set_xlabel("step")
        ax.set_ylabel(f"{self.loss_} loss")
        ax.set_title("Losses (dotted: values at equilibrium)", fontsize=10)
        ax.legend(fontsize=8)
        return ax


class DiscriminatorMonitor(_Recorder):
    """Records the discriminator's mean output on real, ``D(x)``, and generated, ``D(G(z))``,
    samples at every step, and plots them.

    The GAN reports the mean *logit* of each batch. ``history_`` holds it (``d_real``,
    ``d_fake``) and its logistic transform (``p_real``, ``p_fake``), the "probability that the
    sample is real" of the original GAN. The latter is the sigmoid of the mean logit, not the
    mean of the per-sample probabilities; the two agree when the batch's logits are close.
    With ``loss='bce'`` the probability is the natural scale (1/2 means "cannot tell"); with
    ``loss='hinge'`` the discriminator is trained to push real logits above +1 and generated
    ones below -1 and its output is not a probability, so logits are the natural scale.

    Parameters
    ----------
    path : str or path, default=None
        Save the plot to this file when training ends (format from the suffix). ``None``
        writes nothing.
    scale : {'auto', 'probability', 'logit'}, default='auto'
        Scale of the plot; 'auto' is 'probability' for ``loss='bce'`` and 'logit' for hinge.
    smooth : int, default=25
        Also draw the mean of the last ``smooth`` steps over the raw values. 1 draws the raw
        values only.
    log_every : int, default=None
        Also log ``D(x)`` and ``D(G(z))`` (logger ``ganbalance.callbacks``, level INFO) every
        ``log_every`` steps. ``None`` logs nothing.

    Attributes
    ----------
    history_ : dict of list
        ``step``, ``d_real``, ``d_fake`` (mean logits), ``p_real``, ``p_fake`` (their sigmoid),
        one entry per step.
    loss_ : str
        The GAN's loss.

    Notes
    -----
    In a healthy run the two curves stay apart but close: ``D(x)`` a little above
    ``D(G(z))``, both moving as the players take turns. ``D(x)`` near 1 and ``D(G(z))`` near 0
    for many steps means the discriminator has won and the generator's gradients vanish;
    curves that cross and swap places wildly mean unstable training.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from ganbalance import ConditionalGAN
    >>> from ganbalance.callbacks import DiscriminatorMonitor
    >>> X, _ = load_digits(return_X_y=True)
    >>> monitor = DiscriminatorMonitor()
    >>> gan = ConditionalGAN(image_shape=(1, 8, 8), generator="noise", n_steps=5, loss="bce",
    ...                      callbacks=[monitor], random_state=0, device="cpu").fit(X)
    >>> sorted(monitor.history_)
    ['d_fake', 'd_real', 'p_fake', 'p_real', 'step']
    >>> all(0 < p < 1 for p in monitor.history_["p_real"])
    True
    """

    _keys = ("d_real", "d_fake")
    _SCALES = ("auto", "probability", "logit")

    def __init__(self, path=None, *, scale="auto", smooth=25, log_every=None):
        super().__init__(path, smooth=smooth)
        if scale not in self._SCALES:
            raise ValueError(f"scale must be one of {self._SCALES}; got {scale!r}.")
        self.scale = scale
        self.log_every = None if log_every is None else check_int(log_every, "log_every")

    def on_train_begin(self, gan):
        super().on_train_begin(gan)
        self.history_.update(p_real=[], p_fake=[])

    def on_step_end(self, gan, step, logs):
        super().on_step_end(gan, step, logs)
        p_real, p_fake = _sigmoid([logs["d_real"], logs["d_fake"]])
        self.history_["p_real"].append(float(p_real))
        self.history_["p_fake"].append(float(p_fake))
        if self.log_every is not None and step % self.log_every == 0:
            logger.info("step %d: D(x) = %.3f, D(G(z)) = %.3f (mean logits; sigmoid %.3f, %.3f)",
                        step, logs["d_real"], logs["d_fake"], p_real, p_fake)

    def plot(self, ax=None):
        """Draw ``D(x)`` and ``D(G(z))`` against the step.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` draws on a new figure.

        Returns
        -------
        ax : matplotlib Axes
        """
        ax = self._new_axes(ax)
        scale = self.scale
        if scale == "auto":
            scale = "probability" if self.loss_ == "bce" else "logit"
        real, fake = ("p_real", "p_fake") if scale == "probability" else ("d_real", "d_fake")
        r_low, r_high = self._curve(ax, self.history_[real], "D(x), real", "tab:green")
        f_low, f_high = self._curve(ax, self.history_[fake], "D(G(z)), generated", "tab:purple")
        if scale == "probability":
            ax.axhline(0.5, color="grey", linestyle=":", linewidth=1)
            ax.set_ylim(0, 1)
            ax.set_ylabel("sigmoid of the mean logit")
            title = "Discriminator output (dotted: 1/2, cannot tell)"
        else:
            ax.axhline(0.0, color="grey", linestyle=":", linewidth=1)
            margin = 1.0 if self.loss_ == "hinge" else 0.0
            if margin:
                for value in (-margin, margin):
                    ax.axhline(value, color="grey", linestyle="--", linewidth=0.6)
            bottom, top = min(r_low, f_low, -margin), max(r_high, f_high, margin)
            if top - bottom < 1e-6:
                bottom, top = bottom - 1.0, top + 1.0
            ax.set_ylim(bottom - 0.05 * (top - bottom), top + 0.05 * (top - bottom))
            ax.set_ylabel("mean logit")
            title = "Discriminator output (dotted: 0, cannot tell)"
        ax.set_xlabel("step")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        return ax
