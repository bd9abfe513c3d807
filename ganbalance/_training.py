"""Pieces shared by the torch estimators: the training loop's bookkeeping, pickling and
transactional fits.

:func:`run_steps` is the one step loop of :class:`~ganbalance.ConditionalGAN` and
:class:`~ganbalance.ReferenceDenoiser`, in the manner of skorch's ``NeuralNet.run_single_epoch``
and ``notify``: the estimator brings a step function (its own math: draw a batch, update the
networks, return the step's losses), and the loop does everything around it, the same for both
(the progress bar, the history, the divergence checks and the callbacks).
"""

from __future__ import annotations

import contextlib
import math

import torch
from tqdm.auto import tqdm

from ._device import load_device
from ._random import torch_rng_scope
from .exceptions import TrainingDivergedError

__all__ = ["DIVERGED_HINT", "MAX_LOSS", "ModuleStateMixin", "TransactionalSamplerMixin",
           "check_loss_range", "load_device", "modules_as_state_dicts", "notify",
           "record_step", "restore_on_error", "run_steps", "tensors_to_cpu"]

#: Steps between two updates of the progress bar's losses (and the last step).
POSTFIX_EVERY = 25


def run_steps(estimator, step, n_steps, history, *, hint, desc, postfix, callbacks=(),
              bounded=()):
    """Run ``step(i)`` for ``i = 1 .. n_steps`` with the bookkeeping every estimator shares.

    After each step, in this order: its logs are appended to ``history``
    (:func:`record_step`, which raises on a value that is not finite), the logs named in
    ``bounded`` are checked to stay in range (:func:`check_loss_range`), the progress bar shows
    the ``postfix`` losses (every :data:`POSTFIX_EVERY` steps and at the last), and every
    callback's ``on_step_end(estimator, i, logs)`` is called (:func:`notify`). None of it draws
    random numbers: what training gives for a seed is up to the step function alone. The
    progress bar is closed however the loop ends.

    Parameters
    ----------
    estimator : object
        The estimator being trained: its ``verbose`` shows the progress bar, and callbacks
        receive it.
    step : callable
        ``step(i) -> logs``: one optimisation step, number ``i`` (from 1); ``logs`` maps names
        to floats.
    n_steps : int
        Steps to run.
    history : dict of list
        Where the logs go: a list per log name, and ``'step'``.
    hint : str
        What to try, appended to a divergence error.
    desc : str
        The progress bar's label.
    postfix : dict of str
        The progress bar's values: label to a format string over the logs, such as
        ``{'d': '{d_loss:.3f}'}``.
    callbacks : sequence of Callback, default=()
        Notified after every step.
    bounded : tuple of str, default=()
        Logs that must stay within ``[-MAX_LOSS, MAX_LOSS]``.

    Raises
    ------
    TrainingDivergedError
        When a log is not finite, or a ``bounded`` one leaves its range.

    Examples
    --------
    >>> history = {"step": [], "loss": []}
    >>> class Quiet:
    ...     verbose = 0
    >>> run_steps(Quiet(), lambda i: {"loss": 1.0 / i}, 3, history, hint="", desc="demo",
    ...           postfix={"l": "{loss:.2f}"})
    >>> history
    {'step': [1, 2, 3], 'loss': [1.0, 0.5, 0.3333333333333333]}
    """
    bar = tqdm(range(1, n_steps + 1), disable=not estimator.verbose, desc=desc, leave=False)
    try:
        for i in bar:
            logs = step(i)
            record_step(history, logs, i, n_steps, hint)
            check_loss_range(logs, i, n_steps, hint, names=bounded)
            if estimator.verbose and (i % POSTFIX_EVERY == 0 or i == n_steps):
                bar.set_postfix(**{label: template.format(**logs)
                                   for label, template in postfix.items()})
            notify(callbacks, "on_step_end", estimator, i, logs)
    finally:
        bar.close()


def notify(callbacks, hook, *args) -> None:
    """Call one hook of every callback, in order.

    Parameters
    ----------
    callbacks : sequence of Callback
        The callbacks, as :func:`ganbalance.callbacks.as_callbacks` returns them.
    hook : {'on_train_begin', 'on_step_end', 'on_train_end'}
        The method to call.
    *args
        Its arguments: ``(estimator,)``, or ``(estimator, step, logs)`` for ``on_step_end``.
    """
    for callback in callbacks:
        getattr(callback, hook)(*args)


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


class ModuleStateMixin:
    """Pickles an estimator's torch modules as CPU state dicts and rebuilds them on load.

    Pickling and :func:`ganbalance.save` take ``__getstate__``: a copy of the attributes in
    which the modules named in ``_module_attributes`` are state dicts
    (:func:`modules_as_state_dicts`). ``__setstate__`` (unpickling and :func:`ganbalance.load`)
    puts the attributes back and, when the estimator was fitted (its first module attribute
    is a state dict), moves ``device_`` to a device this machine has (:func:`load_device`) and
    calls the estimator's ``_load_modules(state, device)``, which builds the modules, loads
    their state dicts and sets them; under a fixed torch seed, so that loading draws nothing
    from the global random state.

    Put it before :class:`sklearn.base.BaseEstimator`, whose methods it replaces.
    """

    #: The attributes that hold torch modules (None where a module is absent).
    _module_attributes: tuple = ()

    def __getstate__(self):
        """The attributes, with every module a CPU state dict."""
        return modules_as_state_dicts(self.__dict__.copy(), self._module_attributes)

    def __setstate__(self, state):
        """Restore the attributes and rebuild the modules of a fitted estimator."""
        self.__dict__.update(state)
        fitted = isinstance(state.get(self._module_attributes[0]), dict)
        if fitted:
            self.device_ = load_device(self.device_, type(self).__name__)
            with torch_rng_scope(0):
                self._load_modules(state, self.device_)


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
        X, y : array-like
            The data and its labels, as in :meth:`fit`.
        **params : dict
            Passed on to the base class's ``fit_resample``.

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


def check_loss_range(logs, step, n_steps, hint="", names=("d_loss", "g_loss")):
    """Raise :class:`TrainingDivergedError` when one of the losses ``names`` leaves
    ``[-MAX_LOSS, MAX_LOSS]``."""
    for name in names:
        if abs(logs[name]) > MAX_LOSS:
            raise TrainingDivergedError(
                f"{name} reached {logs[name]:.3g} at step {step} of {n_steps}: training "
                f"diverged. {hint}"
            )
