"""Pieces shared by the torch estimators: training bookkeeping and pickling."""

from __future__ import annotations

import contextlib
import math

import torch

from ._device import load_device
from .exceptions import TrainingDivergedError

__all__ = ["DIVERGED_HINT", "MAX_LOSS", "TransactionalSamplerMixin", "check_loss_range",
           "load_device", "modules_as_state_dicts", "record_step", "restore_on_error",
           "tensors_to_cpu"]


def record_step(history: dict, logs: dict, step: int, n_steps: int, hint: str) -> None:
    """Append one step's ``logs`` (name -> float) and ``step`` to ``history``.

    Raises :class:`TrainingDivergedError` naming the value and the step when one is not
    finite; ``hint`` says what to try.
    """
    for name, value in logs.items():
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"{name} became {value} at step {step} of {n_steps}. {hint}"
            )
        history[name].append(value)
    history["step"].append(step)


def modules_as_state_dicts(state: dict, names) -> dict:
    """Replace the modules ``state[name]`` (those not None) by CPU state dicts, for pickling.

    Spectral norm's parametrisation cannot be pickled whole, and CPU tensors let a model
    trained on CUDA load on a CPU-only machine; the estimator rebuilds the modules on load.
    """
    for name in names:
        if state.get(name) is not None:
            state[name] = {k: v.detach().cpu() for k, v in state[name].state_dict().items()}
    return state


@contextlib.contextmanager
def restore_on_error(estimator):
    """Put ``estimator.__dict__`` back as it was if the block raises anything.

    The guard behind "a failed fit changes nothing": whatever the block raises (a validation
    error, divergence, a callback's exception, ``MemoryError``, ``KeyboardInterrupt``), every
    attribute is restored, including those that input validation sets (``n_features_in_``,
    ``feature_names_in_``) and those it deletes. The snapshot is shallow, so the block must
    build new objects (a new module, a new history list) rather than change the old ones in
    place; the estimators train on locals and assign them only at the end.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def tensors_to_cpu(tree):
    """A copy of ``tree`` (nested dicts, lists and tuples, as in a module's or an optimizer's
    state dict) with every tensor detached and moved to the CPU."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu()
    if isinstance(tree, dict):
        return {key: tensors_to_cpu(value) for key, value in tree.items()}
    if type(tree) in (list, tuple):
        return type(tree)(tensors_to_cpu(value) for value in tree)
    return tree



class TransactionalSamplerMixin:
    """Makes an imbalanced-learn sampler's ``fit`` and ``fit_resample`` change nothing when
    they raise: every attribute is put back as it was (see :func:`restore_on_error`).

    Put it before the imbalanced-learn base class: ``class S(TransactionalSamplerMixin,
    BaseOverSampler)``.
    """

    def fit(self, X, y, **params):
        """Check the inputs and compute ``sampling_strategy_``; change nothing on failure.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.
        y : array-like of shape (n_samples,)
            The labels.
        **params : dict
            Passed on to the base class.

        Returns
        -------
        self : object
            The sampler.
        """
        with restore_on_error(self):
            return super().fit(X, y, **params)

    def fit_resample(self, X, y, **params):
        """Resample ``X, y``; if it raises, the sampler is left exactly as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.
        y : array-like of shape (n_samples,)
            The labels.
        **params : dict
            Passed on to the base class.

        Returns
        -------
        X_resampled : array-like of shape (n_samples_new, n_features)
            The original rows followed by the new ones.
        y_resampled : array-like of shape (n_samples_new,)
            Their labels.
        """
        with restore_on_error(self):
            return super().fit_resample(X, y, **params)


#: What to try when a GAN diverges.
DIVERGED_HINT = "Try a lower learning_rate, loss='hinge' or spectral_norm=True."

#: Losses beyond this size mean training has left any sane range (hinge and BCE losses of a
#: working GAN stay within a few units).
MAX_LOSS = 1e4


def check_loss_range(logs, step, n_steps, hint=""):
    """Raise :class:`TrainingDivergedError` when a loss leaves ``[-MAX_LOSS, MAX_LOSS]``."""
    for name in ("d_loss", "g_loss"):
        if abs(logs[name]) > MAX_LOSS:
            raise TrainingDivergedError(
                f"{name} reached {logs[name]:.3g} at step {step} of {n_steps}: training "
                f"diverged. {hint}"
            )
