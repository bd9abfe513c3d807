"""Input checks shared by the estimators. Each raises a ValueError or TypeError naming what
was wrong, before any training starts."""

from __future__ import annotations

import numbers
import os

import numpy as np


def check_numeric_dtype(X, name: str = "X") -> None:
    """Reject object, string and complex data before scikit-learn would coerce it.

    scikit-learn silently converts an object array of numbers to float; ganbalance refuses it so
    that a column of strings that happens to parse is never treated as a feature by accident.
    """
    dtypes = getattr(X, "dtypes", None)  # pandas DataFrame
    if dtypes is not None and not isinstance(dtypes, np.dtype):
        kinds = {_kind(dt) for dt in dtypes}
    else:
        dtype = getattr(X, "dtype", None)
        kinds = {_kind(np.asarray(X).dtype if dtype is None else dtype)}
    if kinds & {"O", "U", "S"}:
        raise TypeError(
            f"{name} must hold real numbers (int or float); got object or string data. "
            "Encode categorical columns numerically first."
        )
    if "c" in kinds:
        raise ValueError(f"Complex data not supported: {name} must hold real numbers.")


def _kind(dtype) -> str:
    """numpy's kind character of a numpy or pandas dtype ('O' when it has none)."""
    for attr in ("subtype", "numpy_dtype"):  # pandas sparse and nullable dtypes
        inner = getattr(dtype, attr, None)
        if inner is not None:
            dtype = inner
            break
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return "O"


def check_not_polars(X, name: str = "X") -> None:
    """A polars DataFrame gets a TypeError that says how to convert it."""
    if type(X).__module__.split(".")[0] == "polars":
        raise TypeError(f"{name} is a polars {type(X).__name__}; ganbalance takes pandas "
                        f"DataFrames and numpy arrays. Convert it with {name}.to_pandas() (and "
                        "the output back with polars.from_pandas).")


def check_table_shape(X, name: str = "X") -> None:
    """A table: two-dimensional, at least one row and one column, not sparse."""
    if hasattr(X, "sparse") and hasattr(X, "columns"):
        pass  # a DataFrame: its columns are checked one by one by the encoder
    elif hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(f"{name} must be dense; sparse matrices are not supported.")
    shape = getattr(X, "shape", None)
    if shape is None:
        shape = np.shape(np.asarray(X, dtype=object))
    if len(shape) != 2:
        raise ValueError(f"Expected a 2-D table for {name} (rows, columns); got shape {shape}.")
    if shape[0] < 1:
        raise ValueError(f"Found {name} with 0 sample(s) (shape={tuple(shape)}) while a minimum "
                         "of 1 is required.")
    if shape[1] < 1:
        raise ValueError(f"Found {name} with 0 feature(s) (shape={tuple(shape)}) while a "
                         "minimum of 1 is required.")


def check_same_length(X, y, x_name: str = "X", y_name: str = "y") -> None:
    """Raise if X and y have different numbers of rows (a missing y is left to later checks)."""
    if y is None:
        return
    n_x, n_y = _num_rows(X), _num_rows(y)
    if n_x != n_y:
        raise ValueError(
            f"{x_name} and {y_name} must have the same number of rows; got {n_x} and {n_y}."
        )


def _num_rows(a) -> int:
    shape = getattr(a, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(a)


def check_image_shape(image_shape, n_features: int | None = None, name: str = "image_shape"):
    """Validate ``(C, H, W)`` and, when ``n_features`` is given, that ``C*H*W == n_features``.

    Returns the shape as a tuple of ints, or None when ``image_shape`` is None.
    """
    if image_shape is None:
        return None
    if isinstance(image_shape, (str, bytes)) or not hasattr(image_shape, "__len__"):
        raise TypeError(f"{name} must be None or a tuple (C, H, W); got {image_shape!r}.")
    shape = tuple(image_shape)
    if len(shape) != 3 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape
    ):
        raise ValueError(f"{name} must be a tuple of three ints (C, H, W); got {image_shape!r}.")
    if any(s <= 0 for s in shape):
        raise ValueError(f"{name} must have every dimension > 0; got {image_shape!r}.")
    shape = tuple(int(s) for s in shape)
    if n_features is not None and int(np.prod(shape)) != n_features:
        raise ValueError(
            f"{name}={shape} has {int(np.prod(shape))} values per sample, but X has "
            f"{n_features} features."
        )
    return shape


def check_int(value, name: str, minimum: int = 1) -> int:
    """An integer parameter that must be at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def check_verbose(value) -> int:
    """``verbose``: a non-negative int, or a bool (True is 1), as in scikit-learn."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    return check_int(value, "verbose", minimum=0)


def check_float(value, name: str, low: float = 0.0, high: float | None = None,
                low_inclusive: bool = True) -> float:
    """A real parameter in ``[low, high]`` (``(low, high]`` when ``low_inclusive`` is False)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}.")
    if value < low or (value == low and not low_inclusive):
        bound = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {bound} {low}; got {value}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}; got {value}.")
    return value


def check_output_size(n_samples, n_features, itemsize=8):
    """Refuse, before any work, an output that cannot fit in this machine's memory."""
    need = n_samples * n_features * (itemsize + 4)  # the output and the float32 buffer
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not on this platform: no check
        return
    if need > total:
        raise ValueError(
            f"n_samples={n_samples} rows of {n_features} features need about "
            f"{need / 2**30:.1f} GiB, more than this machine's {total / 2**30:.1f} GiB of "
            "memory; ask for fewer rows, in several calls."
        )


def check_sampling_counts(counts, sampling_strategy) -> None:
    """Refuse new-sample counts that are not whole numbers (a dict or a callable's values such
    as ``12.5`` or ``nan``), before any training: imbalanced-learn passes them through."""
    for label, n in counts.items():
        whole = isinstance(n, numbers.Integral) and not isinstance(n, bool)
        if not whole and not (isinstance(n, numbers.Real) and float(n).is_integer()):
            shown = sampling_strategy if not callable(sampling_strategy) else "its result"
            raise ValueError(
                f"sampling_strategy must give whole numbers of samples per class; {shown!r} "
                f"asks for {n!r} new samples of class {label!r}."
            )
