"""Curves recorded during training: the :class:`LossPlot` and :class:`DiscriminatorMonitor`
callbacks."""

from __future__ import annotations

import math

import numpy as np

from .._optional import import_optional
from .._validation import check_int
from .base import _INSTALL_HINT, Callback, _check_path, logger

__all__ = ["DiscriminatorMonitor", "LossPlot"]


def _import_figure():
    message = f"Plotting needs matplotlib. {_INSTALL_HINT}"
    return import_optional("matplotlib.figure", message).Figure


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

    def plot(self, ax=None):
        """Draw the recorded curves against the step, with dotted reference lines.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` draws on a new figure.

        Returns
        -------
        ax : matplotlib Axes
        """
        if not getattr(self, "history_", None) or not self.history_["step"]:
            raise ValueError("Nothing recorded yet: fit the GAN with this callback first.")
        if ax is None:
            ax = _import_figure()(figsize=(6.4, 3.6)).add_subplot()
        title = self._draw(ax)
        ax.set_xlabel("step")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
        return ax

    def _draw(self, ax):
        """Draw the curves, their reference lines and the y-axis label; return the title."""
        raise NotImplementedError

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

    def _draw(self, ax):
        d_low, d_high = self._curve(ax, self.history_["d_loss"], "discriminator loss", "tab:red")
        g_low, g_high = self._curve(ax, self.history_["g_loss"], "generator loss", "tab:blue")
        d_eq, g_eq = (2 * math.log(2), math.log(2)) if self.loss_ == "bce" else (2.0, 0.0)
        bottom, top = min(0.0, d_low, g_low), max(d_high, g_high, d_eq)
        ax.set_ylim(bottom, top + 0.05 * (top - bottom))
        ax.axhline(d_eq, color="tab:red", linestyle=":", linewidth=1)
        ax.axhline(g_eq, color="tab:blue", linestyle=":", linewidth=1)
        ax.set_ylabel(f"{self.loss_} loss")
        return "Losses (dotted: values at equilibrium)"


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

    def _draw(self, ax):
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
        return title
