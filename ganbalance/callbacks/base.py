"""The callback interface: :class:`Callback`, and :func:`as_callbacks`, which validates the
``callbacks`` parameter of :class:`~ganbalance.ConditionalGAN`."""

from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = ["Callback", "as_callbacks"]

# One logger for the whole package, named as when it was one module (``ganbalance.callbacks``).
logger = logging.getLogger("ganbalance.callbacks")

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


def _check_path(path, name):
    """None, or a str / os.PathLike turned into a Path."""
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be None, a str or a path; got {type(path).__name__}.")
    return Path(path)
