"""Pieces shared by the training loops of the estimators."""

from __future__ import annotations

import math

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
