"""What each column of a table is, and how to give its values back in its own dtype.

The helpers behind :class:`ganbalance.tabular.TableEncoder`: one function reads a column's
dtype into a plain, savable description (:func:`describe_column`), the others check its cells
and rebuild decoded values in that dtype. numpy and pandas columns are handled alike: numbers,
bools, pandas' nullable ``Int*``/``Float*``/``boolean``, ``category``, ``object``, ``string``
and pandas 3's ``str``, ``ArrowDtype`` numbers, strings and bools, and datetimes and
timedeltas, naive or tz-aware, which are encoded as numbers in their own unit. Period,
interval and other extension dtypes are refused with a TypeError that names the column.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_numbers", "check_categories", "describe_column", "exact_integers",
           "integer_dtype", "integer_offset", "integer_range", "is_missing", "missing_marker",
           "missing_mask", "pandas_dtype", "rebuild_numpy", "rebuild_pandas"]

# Arrow types a column may hold (pyarrow.types predicates), and the kind each becomes.
_ARROW_KINDS = (("is_boolean", "b"), ("is_signed_integer", "i"),
                ("is_unsigned_integer", "u"), ("is_floating", "f"), ("is_string", "O"),
                ("is_large_string", "O"))


def _is_pandas(values) -> bool:
    return hasattr(values, "dtype") and hasattr(values, "iloc")


def describe_column(values, label):
    """``(kind, spec)`` of a column: its kind character and what rebuilds its dtype.

    ``kind`` is ``'b'``, ``'i'``, ``'u'``, ``'f'``, ``'M'`` (datetime), ``'m'`` (timedelta) or
    ``'O'`` (categories). ``spec`` is a dict of plain values (it is saved with the model).
    """
    dtype = values.dtype
    if not _is_pandas(values):
        if dtype.kind == "O":
            return _object_kind(values, label), {"library": "numpy", "dtype": "O"}
        kind = "O" if dtype.kind in "US" else dtype.kind
        _check_supported_kind(kind, label, str(dtype))
        return kind, {"library": "numpy", "dtype": dtype.str}
    return _pandas_kind(values, dtype, label)


def _pandas_kind(values, dtype, label):
    import pandas as pd

    name = str(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        return "O", {"library": "pandas", "dtype": "category",
                     "categories": list(dtype.categories), "ordered": bool(dtype.ordered)}
    if isinstance(dtype, pd.StringDtype):
        nan_missing = _string_na_is_nan(dtype)
        return "O", {"library": "pandas", "dtype": "string", "storage": dtype.storage,
                     "na_nan": nan_missing}
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "M", {"library": "pandas", "dtype": name}
    if type(dtype).__name__ == "ArrowDtype":
        return _arrow_kind(dtype, label)
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O":
            return "O", {"library": "pandas", "dtype": "O"}
        _check_supported_kind(dtype.kind, label, name)
        return dtype.kind, {"library": "pandas", "dtype": dtype.str}
    inner = getattr(dtype, "numpy_dtype", None)  # nullable Int64, Float64, boolean
    if inner is None or name.startswith(("Sparse", "period", "interval")):
        raise TypeError(f"X column {label} has dtype {name}, which ganbalance cannot "
                        f"generate. {_CONVERT_HINT}")
    return np.dtype(inner).kind, {"library": "pandas", "dtype": name}


_CONVERT_HINT = ("Convert it to numbers, strings or a category first (a period column with "
                 ".dt.to_timestamp(), an interval column with .astype(str)).")


def _string_na_is_nan(dtype) -> bool:
    na_value = getattr(dtype, "na_value", None)
    return isinstance(na_value, float)  # pandas 3's 'str' dtype: NaN; 'string': pd.NA


def _arrow_kind(dtype, label):
    import pyarrow as pa

    arrow = dtype.pyarrow_dtype
    for predicate, kind in _ARROW_KINDS:
        if getattr(pa.types, predicate)(arrow):
            return kind, {"library": "pandas", "dtype": "arrow", "arrow": str(arrow)}
    raise TypeError(f"X column {label} has dtype {dtype}; ganbalance takes Arrow columns of "
                    f"integers, floats, strings and bools. {_CONVERT_HINT}")


def _check_supported_kind(kind, label, name):
    if kind == "c":
        raise ValueError(f"X column {label} is complex: not supported.")
    if kind not in "biufMmO":
        raise TypeError(f"X column {label} has dtype {name}, which ganbalance cannot "
                        f"generate. {_CONVERT_HINT}")


def _object_kind(values, label):
    """A numpy object column: numbers (``'i'``/``'f'``) when every present cell is a number,
    otherwise categories (checked by :func:`check_categories`)."""
    items = [v for v in values.tolist() if not is_missing(v)]
    if items and all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                     for v in items):
        return "i" if all(isinstance(v, numbers.Integral) for v in items) else "f"
    return "O"


def is_missing(value) -> bool:
    """Whether one cell is a missing value: None, NaN, NaT or ``pd.NA``."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return value != value
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(value))
    return type(value).__name__ in ("NAType", "NaTType")


def missing_mask(values):
    """Boolean mask of the missing cells of a numpy or pandas column."""
    if _is_pandas(values):
        return np.asarray(values.isna(), dtype=bool)
    kind = values.dtype.kind
    if kind == "f":
        return np.isnan(values)
    if kind in "Mm":
        return np.isnat(values)
    if kind == "O":
        return np.fromiter((is_missing(v) for v in values.tolist()), dtype=bool,
                           count=len(values))
    return np.zeros(len(values), dtype=bool)


def missing_marker(values, mask):
    """How the output writes a missing cell of an object column: the marker seen first."""
    if not mask.any() or values.dtype != object:
        return None
    first = np.asarray(values, dtype=object)[np.argmax(mask)]
    return "nan" if isinstance(first, float) else type(first).__name__ if first is not None \
        else None


def check_categories(items, label):
    """Refuse cells that cannot be a category: unhashable ones, and columns mixing types."""
    groups = {}
    for v in items:
        try:
            hash(v)
        except TypeError:
            raise TypeError(
                f"X column {label} holds a {type(v).__name__} value ({_short(v)}); a "
                "categorical column must hold strings, numbers or booleans."
            ) from None
        groups.setdefault(_type_group(v), v)
    if len(groups) > 1:
        shown = ", ".join(f"{g} ({_short(v)})" for g, v in groups.items())
        raise TypeError(
            f"X column {label} mixes value types: {shown}. A categorical column must hold one "
            f"type; convert it first, for example with .astype(str)."
        )


def _type_group(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (str, np.str_)):
        return "str"
    if isinstance(value, numbers.Number):
        return "number"
    return type(value).__name__


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def as_numbers(values, kind, label, offset=0):
    """A numeric column's present values as float64 (datetimes as counts of their unit), less
    ``offset``, and the mask of its missing cells. Infinity is refused.

    An integer column whose values a float64 cannot hold exactly (beyond 2**53) is encoded as
    its distance from its smallest value (``offset``), exactly, so decoding does not overflow.
    """
    mask = missing_mask(values)
    if kind in "Mm" or (kind in "iu" and offset):
        ints = _int_view(values) if kind in "Mm" else values
        out = _from_offset(ints, mask, offset)
    elif values.dtype == object:  # a numpy object column of numbers
        out = np.array([float(v) for v in np.asarray(values)[~mask]], dtype=np.float64)
    else:
        out = np.asarray(values[~mask] if mask.any() else values, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"X column {label} has infinity values; every number must be finite.")
    return out, mask


def _from_offset(ints, mask, offset):
    """``ints - offset`` as float64, computed without overflow."""
    arr = np.asarray(ints.array if _is_pandas(ints) else ints)
    if arr.dtype == object or getattr(arr.dtype, "kind", "O") not in "iu":
        return np.array([float(int(v) - offset) for v in np.asarray(arr, dtype=object)[~mask]],
                        dtype=np.float64)
    wide = arr[~mask].astype(np.uint64) - np.uint64(offset % 2**64)  # modulo 2**64, exact
    return wide.astype(np.float64)


def integer_offset(low_high):
    """The offset :func:`as_numbers` subtracts: the smallest value, where a float64 cannot
    hold the column's values exactly; otherwise 0 (the values as they are)."""
    if low_high is None:
        return 0
    low, high = low_high
    return low if max(abs(low), abs(high)) >= 2**53 else 0


def _int_view(values):
    """Datetimes or timedeltas as int64 counts of their unit (UTC for tz-aware ones)."""
    if _is_pandas(values):
        return np.asarray(values.array.asi8)
    return np.asarray(values).view(np.int64)


def integer_range(values, kind):
    """The smallest and largest present value of an integer column, exactly (Python ints)."""
    if kind not in "iuMm":
        return None
    mask = missing_mask(values)
    ints = _int_view(values) if kind in "Mm" else np.asarray(values, dtype=object)
    present = [int(v) for v in ints[~mask]]
    return (min(present), max(present)) if present else (0, 0)


def exact_integers(values, low, high, dtype, offset=0):
    """Round floats (``value - offset``) to integers in ``[low, high]`` without overflow
    (``dtype`` None: Python ints in an object array, for values beyond 64 bits)."""
    values = np.rint(np.asarray(values, dtype=np.float64))
    if dtype is None:
        return np.array([min(max(int(v) + offset, low), high) for v in values], dtype=object)
    if offset:
        span = high - low  # below 2**64 for a 64-bit column
        at_high = values >= float(span)
        wide = np.clip(values, 0, None)
        wide[at_high] = 0
        wide = wide.astype(np.uint64)
        wide[at_high] = span
        return (wide + np.uint64(offset % 2**64)).view(np.int64 if dtype.kind == "i" else
                                                       np.uint64).astype(dtype)
    at_low, at_high = values <= float(low), values >= float(high)
    middle = ~(at_low | at_high)
    out = np.empty(len(values), dtype=dtype)
    out[middle] = values[middle].astype(dtype)
    out[at_low], out[at_high] = low, high
    return out


# ---------------------------------------------------------------------- output
def integer_dtype(spec):
    """The numpy integer dtype that holds a decoded integer column of ``spec`` exactly (None:
    Python ints, for a numpy object column)."""
    name = spec["dtype"]
    if name == "O":
        return None
    if name == "arrow":
        import pyarrow as pa

        return np.dtype(pa.type_for_alias(spec["arrow"]).to_pandas_dtype())
    if spec["library"] == "pandas" and not name.startswith(("<", ">", "|")):
        inner = getattr(pandas_dtype(spec), "numpy_dtype", None)  # None: tz-aware datetimes
        return np.dtype(np.int64) if inner is None else np.dtype(inner)
    dtype = np.dtype(name)
    return np.dtype(np.int64) if dtype.kind in "Mm" else dtype


def rebuild_numpy(values, mask, dtype, marker):
    """A decoded column in numpy ``dtype``, missing cells where ``mask`` says."""
    if dtype.kind in "Mm":
        out = np.asarray(values, dtype=np.int64).view(dtype)
    elif dtype.kind == "O":
        out = np.asarray(values, dtype=object)
    else:
        out = np.asarray(values).astype(dtype)
    if mask is not None and mask.any():
        out = out.copy()
        out[mask] = _numpy_missing(dtype, marker)
    return out


def _numpy_missing(dtype, marker):
    if dtype.kind in "Mm":
        return np.array("NaT", dtype=dtype)
    if dtype.kind == "f":
        return np.nan
    if marker == "nan":
        return np.nan
    if marker in ("NAType", "NaTType"):
        import pandas as pd

        return pd.NA if marker == "NAType" else pd.NaT
    return None


def rebuild_pandas(values, mask, spec, marker):
    """A decoded column as a pandas column of the dtype ``spec`` describes."""
    import pandas as pd

    name = spec["dtype"]
    if spec["library"] == "numpy" or name == "O" or name.startswith(("<", ">", "|")):
        return rebuild_numpy(values, mask, np.dtype(name), marker)
    dtype = pandas_dtype(spec)
    if isinstance(dtype, pd.DatetimeTZDtype):
        raw = rebuild_numpy(values, mask, np.dtype(f"M8[{dtype.unit}]"), None)
        return pd.array(raw).tz_localize("UTC").tz_convert(dtype.tz)
    out = pd.array(values, dtype=dtype)
    if mask is not None and mask.any():
        out[mask] = None
    return out


def pandas_dtype(spec):
    """The pandas dtype that a ``spec`` of :func:`describe_column` describes."""
    import pandas as pd

    name = spec["dtype"]
    if name == "category":
        return pd.CategoricalDtype(spec["categories"], ordered=spec["ordered"])
    if name == "string":
        storage = spec.get("storage")
        if spec.get("na_nan") and storage != "pyarrow_numpy":  # pyarrow_numpy: pandas 2.1-2.2
            return pd.StringDtype(storage=storage, na_value=np.nan)
        return pd.StringDtype(storage=storage)
    if name == "arrow":
        import pyarrow as pa

        return pd.ArrowDtype(pa.type_for_alias(spec["arrow"]))
    return pd.api.types.pandas_dtype(name)
