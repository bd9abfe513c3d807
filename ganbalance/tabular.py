"""Tables of mixed column types, encoded for the networks and decoded back exactly.

:class:`TableEncoder` is the tabular counterpart of CTGAN's ``DataTransformer``, without its
global random state and with a rank-based normalisation instead of a Gaussian mixture:

* **continuous** columns (float, and integer columns that are not one-hot) go through a
  quantile transform to a standard normal, so several modes, heavy tails and magnitudes near
  ``1e300`` all become well-behaved features; decoding interpolates between the quantiles seen
  in ``fit``, so every value lies in the range seen, and integer columns are rounded;
* **categorical** columns (pandas ``category``, ``object``, ``string`` and ``bool`` columns,
  numpy string, object and bool columns, or any column named in ``categorical_features``) are
  one-hot encoded; decoding takes the most likely category, so every value is one seen in fit;
* **one-hot groups**, such as ``pd.get_dummies`` writes them (adjacent 0/1 or bool columns that
  sum to exactly one on every row), are encoded as one categorical and decoded with exactly one
  column set.

The decoded table has the input's container, columns, order and dtypes, pandas nullable dtypes
included. Missing values are refused with an error that names the column.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["TableEncoder", "ColumnSpan"]

_N_QUANTILES = 1000
_EPS = 1e-7  # keeps the normal scores finite: ndtri(1 - 1e-7) is about 5.2


@dataclass(frozen=True)
class ColumnSpan:
    """Where one encoded variable sits in the encoded matrix.

    ``kind`` is ``'continuous'`` (one column) or ``'categorical'`` (``stop - start`` one-hot
    columns); ``columns`` are the positions of the input columns it encodes (several for a
    one-hot group).
    """

    kind: str
    start: int
    stop: int
    columns: tuple


class TableEncoder:
    """Encode a table of mixed column types as float32 features, and decode it back.

    Parameters
    ----------
    categorical_features : 'auto', array-like of int, str or bool, default='auto'
        The categorical columns, as imbalanced-learn's ``SMOTENC`` takes them: indices, column
        names, or a boolean mask. ``'auto'`` treats pandas ``category``, ``object``, ``string``
        and ``bool`` columns (numpy string, object and bool arrays) as categorical. Adjacent
        binary columns that form a one-hot group are detected in both cases.

    Attributes
    ----------
    spans_ : list of ColumnSpan
        The encoded variables, in order.
    n_encoded_ : int
        Width of the encoded matrix.
    n_features_in_ : int
        Number of input columns.
    columns_ : list or None
        The input's column labels (a DataFrame), or None (an array).

    Examples
    --------
    >>> import pandas as pd
    >>> from ganbalance.tabular import TableEncoder
    >>> X = pd.DataFrame({"age": [23, 41, 35], "city": ["Oslo", "Rome", "Oslo"],
    ...                   "member": [True, False, True]})
    >>> enc = TableEncoder().fit(X)
    >>> [span.kind for span in enc.spans_]
    ['continuous', 'categorical', 'categorical']
    >>> enc.inverse_transform(enc.transform(X)).equals(X)
    True
    """

    def __init__(self, categorical_features="auto"):
        self.categorical_features = categorical_features

    # ------------------------------------------------------------------ fit
    def fit(self, X):
        """Learn the column kinds, categories and quantiles of ``X``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            The table. Missing values are refused.

        Returns
        -------
        self : TableEncoder
        """
        columns, names, self.container_ = _columns_of(X)
        self.columns_ = None if names is None else list(names)
        self.n_features_in_ = len(columns)
        labels = [repr(n) for n in names] if names is not None else [str(i) for i in
                                                                   range(len(columns))]
        declared = _declared_categorical(self.categorical_features, names, len(columns))
        for values, label in zip(columns, labels, strict=True):
            _check_no_missing(values, label)
        self.dtypes_ = [_dtype_spec(values) for values in columns]
        self.kinds_ = [_kind_of(values) for values in columns]
        self.variables_ = _plan_variables(columns, self.kinds_, declared,
                                          self.categorical_features == "auto", labels)
        self.spans_, self.params_, start = [], [], 0
        for kind, cols in self.variables_:
            if kind == "continuous":
                params = _fit_quantiles(_as_float(columns[cols[0]], labels[cols[0]]))
                width = 1
            elif kind == "group":
                params, width = {"levels": None}, len(cols)
            else:
                levels = _levels(columns[cols[0]], self.dtypes_[cols[0]])
                params, width = {"levels": levels}, len(levels)
            span_kind = "continuous" if kind == "continuous" else "categorical"
            self.spans_.append(ColumnSpan(span_kind, start, start + width, tuple(cols)))
            self.params_.append(params)
            start += width
        self.n_encoded_ = start
        return self

    # ------------------------------------------------------------------ transform
    def transform(self, X):
        """Encode ``X`` (columns as in ``fit``) as a float32 matrix of width ``n_encoded_``.

        A category not seen in ``fit`` raises a ValueError naming the column.
        """
        columns, _, _ = _columns_of(X)
        if len(columns) != self.n_features_in_:
            raise ValueError(f"X has {len(columns)} columns; the encoder was fitted on "
                             f"{self.n_features_in_}.")
        out = np.zeros((_n_rows(columns), self.n_encoded_), dtype=np.float32)
        for (kind, cols), span, params in zip(self.variables_, self.spans_, self.params_,
                                              strict=True):
            if kind == "continuous":
                out[:, span.start] = _quantile_scores(_as_float(columns[cols[0]], ""), params)
            elif kind == "group":
                out[:, span.start:span.stop] = np.stack(
                    [np.asarray(columns[c], dtype=np.float64) for c in cols], axis=1)
            else:
                codes = _codes(columns[cols[0]], params["levels"], self._label(cols[0]))
                out[np.arange(len(codes)), span.start + codes] = 1.0
        return out

    def _label(self, col):
        return repr(self.columns_[col]) if self.columns_ is not None else str(col)

    # ------------------------------------------------------------------ inverse
    def inverse_transform(self, Z):
        """Decode an encoded matrix into a table like the one given to ``fit``.

        Continuous values are mapped back through the quantiles seen (so they lie in the range
        seen, integer columns rounded); each categorical variable takes its largest entry.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_encoded_)

        Returns
        -------
        X : pandas.DataFrame or ndarray
            The same container, columns and dtypes as the ``X`` given to ``fit``.
        """
        Z = np.asarray(Z, dtype=np.float64)
        columns = [None] * self.n_features_in_
        for (kind, cols), span, params in zip(self.variables_, self.spans_, self.params_,
                                              strict=True):
            block = Z[:, span.start:span.stop]
            if kind == "continuous":
                values = _inverse_quantiles(block[:, 0], params)
                integer = self.kinds_[cols[0]] in "iu"
                columns[cols[0]] = np.rint(values).astype(np.int64) if integer else values
            elif kind == "group":
                hot = np.argmax(block, axis=1)
                for j, c in enumerate(cols):
                    columns[c] = (hot == j).astype(np.int64)
            else:
                levels = params["levels"]
                columns[cols[0]] = np.asarray(levels, dtype=object)[np.argmax(block, axis=1)]
        return _assemble(columns, self.dtypes_, self.columns_, self.container_, len(Z))


# ---------------------------------------------------------------------- input handling
def _columns_of(X):
    """The columns of ``X`` as a list (pandas Series or 1-D arrays), the names, the container."""
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return [X.iloc[:, j] for j in range(X.shape[1])], list(X.columns), "dataframe"
    arr = X if isinstance(X, np.ndarray) else np.asarray(X)
    if arr.dtype.kind in "US" and not isinstance(X, np.ndarray):
        arr = np.asarray(X, dtype=object)  # a list mixing strings and numbers keeps both
    if arr.ndim != 2:
        raise ValueError(f"X must be two-dimensional; got an array of shape {arr.shape}.")
    if arr.dtype.kind == "c":
        raise ValueError("Complex data not supported: X must hold real numbers or categories.")
    return [arr[:, j] for j in range(arr.shape[1])], None, "ndarray"


def _n_rows(columns):
    return len(columns[0]) if columns else 0


def _is_pandas(values):
    return hasattr(values, "dtype") and hasattr(values, "iloc")


def _check_no_missing(values, label):
    if _is_pandas(values):
        missing = bool(values.isna().any())
    elif values.dtype.kind == "f":
        missing = bool(np.isnan(values).any())
    elif values.dtype.kind == "O":
        missing = any(v is None or (isinstance(v, float) and v != v) for v in values)
    else:
        missing = False
    if missing:
        raise ValueError(
            f"X column {label} has missing values (NaN or None). ganbalance does not impute: "
            "fill or drop them first (for example with sklearn.impute.SimpleImputer)."
        )


def _dtype_spec(values):
    """What it takes to rebuild a column's dtype: a plain dict (it is saved with the model)."""
    dtype = values.dtype
    if not _is_pandas(values):
        return {"library": "numpy", "dtype": dtype.str if dtype.kind != "O" else "O"}
    name = str(dtype)
    if name == "category":
        return {"library": "pandas", "dtype": "category",
                "categories": list(dtype.categories), "ordered": bool(dtype.ordered)}
    if isinstance(dtype, np.dtype):
        return {"library": "pandas", "dtype": dtype.str if dtype.kind != "O" else "O"}
    return {"library": "pandas", "dtype": name}


def _kind_of(values):
    """'b', 'i', 'u', 'f', or 'O' (categories) for a numpy or pandas column."""
    dtype = values.dtype
    name = str(dtype)
    if name in ("category", "string") or name.startswith("string"):
        return "O"
    if name == "boolean":
        return "b"
    inner = getattr(dtype, "numpy_dtype", None)  # pandas nullable Int64, Float64, ...
    kind = np.dtype(inner if inner is not None else dtype).kind if name != "object" else "O"
    if kind == "O" and not _is_pandas(values):  # a numpy object column may hold numbers only
        items = values.tolist()
        if items and all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                         for v in items):
            return "i" if all(isinstance(v, numbers.Integral) for v in items) else "f"
    return "O" if kind in "OUSMm" else kind


def _declared_categorical(spec, names, n_columns):
    """Column positions the user declared categorical (an empty set for 'auto')."""
    if isinstance(spec, str) and spec == "auto":
        return set()
    if spec is None:
        return set()
    items = list(np.asarray(spec, dtype=object).ravel()) if not isinstance(spec, str) else [spec]
    if items and all(isinstance(v, (bool, np.bool_)) for v in items):
        if len(items) != n_columns:
            raise ValueError(f"categorical_features as a boolean mask must have {n_columns} "
                             f"entries, one per column of X; got {len(items)}.")
        return {j for j, v in enumerate(items) if v}
    positions = set()
    for v in items:
        if isinstance(v, numbers.Integral):
            if not -n_columns <= v < n_columns:
                raise ValueError(f"categorical_features has index {v}, but X has "
                                 f"{n_columns} columns.")
            positions.add(int(v) % n_columns)
        elif isinstance(v, str):
            if names is None or v not in names:
                raise ValueError(f"categorical_features names column {v!r}, which X does not "
                                 "have (column names need a DataFrame).")
            positions.add(names.index(v))
        else:
            raise TypeError("categorical_features must be 'auto', or indices, column names or a "
                            f"boolean mask; got an entry {v!r}.")
    return positions


def _plan_variables(columns, kinds, declared, auto, labels):
    """``(kind, column positions)`` per variable: continuous, categorical or one-hot group."""
    for j, kind in enumerate(kinds):
        if kind == "c":
            raise ValueError(f"X column {labels[j]} is complex: not supported.")
        if kind == "O" and j not in declared and not auto:
            raise TypeError(
                f"X column {labels[j]} holds strings or categories, but categorical_features "
                "does not list it. Add it, or use categorical_features='auto'."
            )
    binary = [j not in declared and _is_binary(columns[j], kinds[j]) for j in range(len(columns))]
    groups = _one_hot_groups(columns, binary)
    variables, j = [], 0
    while j < len(columns):
        if j in groups:
            variables.append(("group", tuple(range(j, groups[j]))))
            j = groups[j]
            continue
        categorical = j in declared or kinds[j] in "Ob"
        variables.append(("categorical" if categorical else "continuous", (j,)))
        j += 1
    return variables


def _is_binary(values, kind):
    if kind == "b":
        return True
    if kind not in "iuf":
        return False
    arr = np.asarray(values, dtype=np.float64)
    return bool(np.all((arr == 0) | (arr == 1)))


def _one_hot_groups(columns, binary):
    """``{first: stop}`` for runs of adjacent binary columns whose row sums are exactly 1."""
    groups, j, n = {}, 0, len(columns)
    while j < n:
        if not binary[j]:
            j += 1
            continue
        total = np.asarray(columns[j], dtype=np.int64).copy()
        k = j + 1
        while k < n and binary[k] and total.max() <= 1:
            total += np.asarray(columns[k], dtype=np.int64)
            k += 1
            if np.all(total == 1):
                groups[j] = k
                break
        j = groups.get(j, j + 1)
    return groups


def _as_float(values, label):
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"X column {label} has infinity values; every number must be finite.")
    return arr


def _levels(values, spec):
    """The categories of a column seen in fit, in a stable order."""
    seen = list(dict.fromkeys(np.asarray(values, dtype=object).tolist()))
    if spec.get("dtype") == "category":
        order = {c: i for i, c in enumerate(spec["categories"])}
        return sorted(seen, key=lambda v: order[v])
    try:
        return sorted(seen)
    except TypeError:  # mixed types in an object column: keep the order of appearance
        return seen


def _codes(values, levels, label):
    index = {v: i for i, v in enumerate(levels)}
    try:
        return np.array([index[v] for v in np.asarray(values, dtype=object).tolist()],
                        dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"X column {label} has category {exc.args[0]!r}, not seen in fit.") \
            from None


# ---------------------------------------------------------------------- quantile transform
def _fit_quantiles(values):
    """Quantiles of a column, scaled by its largest magnitude so that nothing overflows."""
    scale = float(np.max(np.abs(values))) or 1.0
    references = np.linspace(0.0, 1.0, min(_N_QUANTILES, len(values)))
    quantiles = np.quantile(values / scale, references)
    quantiles = np.maximum.accumulate(quantiles)
    return {"quantiles": quantiles, "references": references, "scale": scale}


def _quantile_scores(values, params):
    """Normal scores of ``values``; ties get the mean of their ranks, as scikit-learn does."""
    q, r = params["quantiles"], params["references"]
    x = values / params["scale"]
    if len(q) == 1 or q[-1] == q[0]:
        return np.zeros(len(x))
    u = 0.5 * (np.interp(x, q, r) - np.interp(-x, -q[::-1], -r[::-1]))
    return ndtri(np.clip(u, _EPS, 1 - _EPS))


def _inverse_quantiles(scores, params):
    q, r = params["quantiles"], params["references"]
    if len(q) == 1 or q[-1] == q[0]:
        return np.full(len(scores), q[0] * params["scale"])
    x = np.interp(ndtr(np.nan_to_num(scores)), r, q)
    return x * params["scale"]


# ---------------------------------------------------------------------- output
def _assemble(columns, dtypes, names, container, n_rows):
    """Cast decoded columns to their dtypes and build the DataFrame or array."""
    if container == "dataframe":
        import pandas as pd

        data = {}
        for j, (values, spec) in enumerate(zip(columns, dtypes, strict=True)):
            data[j] = _to_pandas(values, spec, pd)
        frame = pd.DataFrame(data, index=pd.RangeIndex(n_rows))
        frame.columns = names
        return frame
    dtype = np.dtype(dtypes[0]["dtype"])  # an array has one dtype
    out = np.empty((n_rows, len(columns)), dtype=dtype)
    for j, (values, spec) in enumerate(zip(columns, dtypes, strict=True)):
        out[:, j] = _to_numpy(values, np.dtype(spec["dtype"]))
    return out


def _to_numpy(values, dtype):
    if dtype.kind in "iu":
        return np.rint(np.asarray(values, dtype=np.float64)).astype(dtype)
    if dtype.kind == "b":
        return np.asarray(values).astype(bool)
    if dtype.kind == "f":
        return np.asarray(values, dtype=np.float64).astype(dtype)
    return np.asarray(values, dtype=object).astype(dtype)


def _to_pandas(values, spec, pd):
    name = spec["dtype"]
    if name == "category":
        dtype = pd.CategoricalDtype(spec["categories"], ordered=spec["ordered"])
        return pd.Categorical(list(values), dtype=dtype)
    if spec.get("library") == "pandas" and name not in ("O",) and not name.startswith(("<", "|",
                                                                                        ">")):
        dtype = pd.api.types.pandas_dtype(name)
        kind = getattr(dtype, "numpy_dtype", np.dtype(object)).kind
        if kind in "iu":
            values = np.rint(np.asarray(values, dtype=np.float64)).astype(np.int64)
        elif kind == "b":
            values = np.asarray(values).astype(bool)
        return pd.array(values if kind in "iubf" else list(values), dtype=dtype)
    return _to_numpy(values, np.dtype(name))
