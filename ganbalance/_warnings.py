"""Warnings that point at the caller's code, not at the library frames in between."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import imblearn
import joblib
import sklearn

_LIBRARY_DIRS = tuple(
    str(Path(path).resolve().parent) + os.sep
    for path in (__file__, imblearn.__file__, sklearn.__file__, joblib.__file__)
)


def _is_library(filename: str) -> bool:
    return str(Path(filename).resolve()).startswith(_LIBRARY_DIRS)


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` with the stack level of the first frame outside ganbalance,
    imbalanced-learn, scikit-learn and joblib, so the warning names the user's line whichever
    wrappers (``fit_resample``, a Pipeline and its joblib cache, ``_fit_context``) sit in
    between."""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and _is_library(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
