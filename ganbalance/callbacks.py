"""Training callbacks for :class:`~ganbalance.ConditionalGAN`.

A callback is any object with some of the methods of :class:`Callback`. Plain functions are
accepted too and are called as ``fn(gan, step, logs)`` after every step.
"""

from __future__ import annotations

__all__ = ["Callback"]


class Callback:
    """Base class: override the hooks you need.

    ``logs`` holds the step's scalar values: ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake``
    (the discriminator's mean logit on real and on generated samples) and ``diversity``.
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


def as_callbacks(callbacks):
    """Validate the ``callbacks`` parameter and wrap plain functions."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            f"callbacks must be None, a Callback, a function or a list of them; "
            f"got {type(callbacks).__name__}."
        )
    out = []
    for cb in callbacks:
        if isinstance(cb, Callback):
            out.append(cb)
        elif callable(cb):
            out.append(_FunctionCallback(cb))
        else:
            raise TypeError(f"each callback must be a Callback or a function; got {cb!r}.")
    return out
