"""Pieces shared by the torch estimators: training bookkeeping and pickling."""

from __future__ import annotations

import math

import torch

from .exceptions import TrainingDivergedError


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


def load_device(device: str) -> str:
    """The device to rebuild unpickled modules on: ``device``, or 'cpu' where CUDA is gone."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        return "cpu"
    return device
