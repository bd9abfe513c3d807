"""Tables of mixed column types, encoded for the networks and decoded back exactly.

:class:`TableEncoder` is the tabular counterpart of CTGAN's ``DataTransformer``, without its
global random state and with a rank-based normalisation instead of a Gaussian mixture:

* **continuous** columns (float, integer columns that are not one-hot, datetimes and
  timedeltas) go through a quantile transform to a standard normal, so several modes, heavy
  tails and magnitudes near ``1e300`` all become well-behaved features; decoding interpolates
  between the quantiles seen in ``fit``, so every value lies in the range seen, and integer,
  datetime and timedelta columns are rounded exactly, without a float overflow;
* **categorical** columns (pandas ``category``, ``object``, ``string``, ``str`` and ``bool``
  columns, numpy string, object and bool columns, or any column named in
  ``categorical_features``) are one-hot encoded; decoding takes the most likely category, so
  every value is one seen in fit. A column with more than ``max_categories`` distinct values
  keeps its most frequent ones and groups the rest, which decode to one of them drawn at its
  frequency; a column that is near-unique per row (an identifier, free text) is refused;
* **one-hot groups**, such as ``pd.get_dummies`` writes them (adjacent 0/1 or bool columns that
  sum to exactly one on every row), are encoded as one categorical and decoded with exactly one
  column set;
* **missing values** (``NaN``, ``None``, ``pd.NA``, ``NaT``) are part of the data: a numeric
  column with missing values gets a missingness indicator (a two-level categorical variable),
  and in a categorical column "missing" is one more category. Decoded rows are missing where
  the generator says so, written as the column writes missing values. Nothing is imputed.

The decoded table has the input's container, columns, order and dtypes, pandas nullable and
Arrow dtypes included.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from ._columns import (
    as_numbers,
    check_categories,
    describe_column,
    exact_integers,
    integer_dtype,
    integer_offset,
    integer_range,
    missing_marker,
    missing_mask,
    rebuild_numpy,
    rebuild_pandas,
)
from ._validation import check_not_polars

__all__ = ["TableEncoder", "ColumnSpan", "MAX_CATEGORIES"]

_N_QUANTILES = 1000
_EPS = 1e-7  # keeps the normal scores finite: ndtri(1 - 1e-7) is about 5.2
#: Default ``max_categories``: distinct values one categorical column keeps one-hot.
MAX_CATEGORIES = 50
#: A categorical column with more than ``max_categories`` values, at least this share of them
#: distinct, is an identifier or free text: refused.
_UNIQUE_SHARE = 0.9


@dataclass(frozen=True)
class ColumnSpan:
    """Where one encoded variable sits in the encoded matrix.

    ``kind`` is ``'continuous'`` (one column) or ``'categorical'`` (``stop - start`` one-hot
    columns, a missingness indicator included); ``columns`` are the positions of the input
    columns it encodes (several for a one-hot group).
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
        names, or a boolean mask. ``'auto'`` treats pandas ``category``, ``object``,
        ``string``/``str`` and ``bool`` columns (numpy string, object and bool arrays) as
        categorical. Adjacent binary columns that form a one-hot group are detected in both
        cases.
    handle_missing : {'generate', 'error'}, default='generate'
        ``'generate'``: missing values are data (see the module's description). ``'error'``:
        refuse them with a ValueError that names the column.
    max_categories : int, default=50
        Distinct values a categorical column keeps as one-hot columns; the rarer ones share one
        column (so the cost stays bounded). A column with more distinct values than this, of
        which at least 90% are unique per row, is an identifier or free text and is refused.

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

    def __init__(self, categorical_features="auto", handle_missing="generate",
                 max_categories=MAX_CATEGORIES):
        self.categorical_features = categorical_features
        self.handle_missing = handle_missing
        self.max_categories = max_categories

    # ------------------------------------------------------------------ fit
    def fit(self, X):
        """Learn the column kinds, categories, quantiles and missing values of ``X``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            The table.

        Returns
        -------
        self : TableEncoder
        """
        _check_options(self.handle_missing, self.max_categories)
        columns, names, self.container_ = _columns_of(X)
        self.columns_ = None if names is None else list(names)
        self.n_features_in_ = len(columns)
        labels = [self._label(j) for j in range(len(columns))]
        declared = _declared_categorical(self.categorical_features, names, len(columns))
        described = [describe_column(v, label) for v, label in zip(columns, labels, strict=True)]
        self.kinds_ = [kind for kind, _ in described]
        self.dtypes_ = [spec for _, spec in described]
        masks = [missing_mask(v) for v in columns]
        if self.handle_missing == "error":
            _refuse_missing(masks, labels)
        self.markers_ = [missing_marker(v, m) for v, m in zip(columns, masks, strict=True)]
        self.variables_ = _plan_variables(columns, self.kinds_, declared,
                                          self.categorical_features == "auto", labels, masks)
        self.spans_, self.params_, start = [], [], 0
        for kind, cols in self.variables_:
            j = cols[0]
            params, width = _fit_variable(kind, columns[j], self.kinds_[j], self.dtypes_[j],
                                          masks[j], labels[j], len(cols), self.max_categories)
            span_kind = "continuous" if kind == "continuous" else "categorical"
            self.spans_.append(ColumnSpan(span_kind, start, start + width, tuple(cols)))
            self.params_.append(params)
            start += width
        self.n_encoded_ = start
        return self

    def __setstate__(self, state):
        # Encoders saved before missing values, grouped categories and exact large integers:
        # the same encoding, written with today's parameters.
        state.setdefault("handle_missing", "error")
        state.setdefault("max_categories", None)
        for (kind, _), params in zip(state.get("variables_", ()), state.get("params_", ()),
                                     strict=True):
            if kind == "continuous":
                params.setdefault("range", None)
                params.setdefault("offset", 0)
                params.setdefault("missing", False)
            elif kind == "categorical":
                params.setdefault("rare", [])
                params.setdefault("rare_p", None)
        if "dtypes_" in state:
            state.setdefault("markers_", [None] * len(state["dtypes_"]))
        self.__dict__.update(state)

    def _label(self, col):
        return repr(self.columns_[col]) if self.columns_ is not None else str(col)

    # ------------------------------------------------------------------ transform
    def transform(self, X):
        """Encode ``X`` (columns as in ``fit``) as a float32 matrix of width ``n_encoded_``.

        A category not seen in ``fit``, or a missing value in a column that had none, raises a
        ValueError naming the column.
        """
        columns, _, _ = _columns_of(X)
        if len(columns) != self.n_features_in_:
            raise ValueError(f"X has {len(columns)} columns; the encoder was fitted on "
                             f"{self.n_features_in_}.")
        out = np.zeros((_n_rows(columns), self.n_encoded_), dtype=np.float32)
        masks = {}
        for (kind, cols), span, params in zip(self.variables_, self.spans_, self.params_,
                                              strict=True):
            j = cols[0]
            if j not in masks:
                masks[j] = missing_mask(columns[j])
            block = out[:, span.start:span.stop]
            _transform_variable(kind, [columns[c] for c in cols], masks[j], params,
                                self.kinds_[j], self._label(j), block)
        return out

    # ------------------------------------------------------------------ inverse
    def inverse_transform(self, Z, random_state=None):
        """Decode an encoded matrix into a table like the one given to ``fit``.

        Continuous values are mapped back through the quantiles seen (so they lie in the range
        seen; integer, datetime and timedelta columns rounded exactly); each categorical
        variable takes its largest entry; a missingness indicator sets the cell missing.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, ``n_encoded_``)
            The encoded rows.
        random_state : int, Generator or None, default=None
            Draws the value of a grouped rare category (only columns with more than
            ``max_categories`` values have one).

        Returns
        -------
        X : pandas.DataFrame or ndarray
            The same container, columns and dtypes as the ``X`` given to ``fit``.
        """
        Z = np.asarray(Z, dtype=np.float64)
        rng = np.random.default_rng(random_state)
        values = [None] * self.n_features_in_
        masks = [None] * self.n_features_in_
        for (kind, cols), span, params in zip(self.variables_, self.spans_, self.params_,
                                              strict=True):
            block = Z[:, span.start:span.stop]
            j = cols[0]
            if kind == "missing":
                masks[j] = np.argmax(block, axis=1) == 1
            elif kind == "group":
                hot = np.argmax(block, axis=1)
                for i, c in enumerate(cols):
                    values[c] = (hot == i).astype(np.int64)
            elif kind == "continuous":
                values[j] = _decode_numbers(block[:, 0], params, self.kinds_[j],
                                            self.dtypes_[j])
            else:
                values[j], masks[j] = _decode_levels(block, params, rng)
        return _assemble(values, masks, self.dtypes_, self.markers_, self.columns_,
                         self.container_, len(Z))


# ---------------------------------------------------------------------- input handling
def _check_options(handle_missing, max_categories):
    if handle_missing not in ("generate", "error"):
        raise ValueError("handle_missing must be 'generate' or 'error'; got "
                         f"{handle_missing!r}.")
    if isinstance(max_categories, bool) or not isinstance(max_categories, numbers.Integral) \
            or max_categories < 2:
        raise ValueError(f"max_categories must be an int >= 2; got {max_categories!r}.")


def _columns_of(X):
    """The columns of ``X`` as a list (pandas Series or 1-D arrays), the names, the container."""
    check_not_polars(X)
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


def _refuse_missing(masks, labels):
    for mask, label in zip(masks, labels, strict=True):
        if mask.any():
            raise ValueError(
                f"X column {label} has missing values (NaN, None, pd.NA or NaT), and "
                "handle_missing='error'. Fill or drop them first, or use "
                "handle_missing='generate' to generate them like the other values."
            )


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


def _plan_variables(columns, kinds, declared, auto, labels, masks):
    """``(kind, column positions)`` per variable: continuous (then a 'missing' indicator if the
    column has missing values), categorical, or one-hot group."""
    for j, kind in enumerate(kinds):
        if kind == "O" and j not in declared and not auto:
            raise TypeError(
                f"X column {labels[j]} holds strings or categories, but categorical_features "
                "does not list it. Add it, or use categorical_features='auto'."
            )
        if kind in "Mm" and j in declared:
            raise TypeError(f"X column {labels[j]} holds datetimes or timedeltas, which are "
                            "generated as numbers; remove it from categorical_features.")
    binary = [j not in declared and not masks[j].any() and _is_binary(columns[j], kinds[j])
              for j in range(len(columns))]
    groups = _one_hot_groups(columns, binary)
    variables, j = [], 0
    while j < len(columns):
        if j in groups:
            variables.append(("group", tuple(range(j, groups[j]))))
            j = groups[j]
            continue
        if j in declared or kinds[j] in "Ob":
            variables.append(("categorical", (j,)))
        else:
            variables.append(("continuous", (j,)))
            if masks[j].any():
                variables.append(("missing", (j,)))
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


# ---------------------------------------------------------------------- one variable
def _fit_variable(kind, values, column_kind, spec, mask, label, n_columns, max_categories):
    """The parameters of one variable and its encoded width."""
    if kind == "group":
        return {"levels": None}, n_columns
    if kind == "missing":
        return {"levels": [False, True]}, 2
    if kind == "continuous":
        low_high = integer_range(values, column_kind)
        offset = integer_offset(low_high)
        params = _fit_quantiles(as_numbers(values, column_kind, label, offset)[0])
        params.update(range=low_high, offset=offset, missing=bool(mask.any()))
        return params, 1
    params = _fit_levels(values, spec, mask, label, max_categories)
    return params, len(params["levels"]) + bool(params["rare"])


def _fit_levels(values, spec, mask, label, max_categories):
    """The levels of a categorical column (None for missing), the rare ones grouped."""
    items = np.asarray(values, dtype=object)[~mask].tolist()
    check_categories(items, label)
    seen, counts = _count_levels(items, spec)
    if len(seen) > max_categories and len(seen) >= _UNIQUE_SHARE * len(items):
        raise ValueError(
            f"X column {label} looks like an identifier or free text: {len(seen):,} distinct "
            f"values in {len(items):,} rows. New rows would copy its real values verbatim, "
            "and it cannot help a classifier: drop it before over-sampling. If it is a real "
            f"category, raise max_categories above {len(seen):,} to keep every value."
        )
    rare = []
    if len(seen) > max_categories:
        keep = set(np.argsort(-counts, kind="stable")[:max_categories - 1].tolist())
        rare = [(v, int(c)) for i, (v, c) in enumerate(zip(seen, counts, strict=True))
                if i not in keep]
        seen = [v for i, v in enumerate(seen) if i in keep]
    levels = seen + ([None] if mask.any() else [])
    total = sum(c for _, c in rare)
    return {"levels": levels, "rare": [v for v, _ in rare],
            "rare_p": np.array([c / total for _, c in rare]) if rare else None}


def _count_levels(items, spec):
    """The distinct values of a column in a stable order, and how often each occurs."""
    counts = {}
    for v in items:
        counts[v] = counts.get(v, 0) + 1
    seen = list(counts)
    if spec.get("dtype") == "category":
        order = {c: i for i, c in enumerate(spec["categories"])}
        seen.sort(key=lambda v: order[v])
    else:
        try:
            seen.sort()
        except TypeError:  # incomparable values of one type: keep the order of appearance
            pass
    return seen, np.array([counts[v] for v in seen], dtype=np.int64)


def _transform_variable(kind, columns, mask, params, column_kind, label, block):
    """Write one variable's encoding of ``columns`` into ``block`` (a view of the output)."""
    if kind == "group":
        block[:] = np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=1)
        return
    if kind == "missing":
        block[np.arange(len(mask)), mask.astype(np.int64)] = 1.0
        return
    has_missing = params["missing"] if kind == "continuous" else None in params["levels"]
    if mask.any() and not has_missing:
        raise ValueError(f"X column {label} has missing values, but it had none in fit.")
    if kind == "continuous":
        present, _ = as_numbers(columns[0], column_kind, label, params["offset"])
        block[~mask, 0] = _quantile_scores(present, params)
        return  # missing cells: 0, the median's score; the indicator says they are missing
    codes = _codes(columns[0], mask, params, label)
    block[np.arange(len(codes)), codes] = 1.0


def _codes(values, mask, params, label):
    levels, rare = params["levels"], params["rare"]
    index = {v: i for i, v in enumerate(levels) if v is not None}
    bucket = len(levels) if rare else None
    rare_set = set(rare)
    codes = np.empty(len(mask), dtype=np.int64)
    for i, (v, missing) in enumerate(zip(np.asarray(values, dtype=object).tolist(),
                                         mask.tolist(), strict=True)):
        if missing:
            codes[i] = levels.index(None)
        elif v in index:
            codes[i] = index[v]
        elif v in rare_set:
            codes[i] = bucket
        else:
            raise ValueError(f"X column {label} has category {v!r}, not seen in fit.")
    return codes


def _decode_numbers(scores, params, kind, spec):
    values = _inverse_quantiles(scores, params)
    if kind not in "iuMm":
        return values
    low, high = params["range"] or (-2**63, 2**63 - 1)  # an encoder saved without it
    return exact_integers(values, low, high, integer_dtype(spec), params["offset"])


def _decode_levels(block, params, rng):
    """Levels of a categorical block (rare ones drawn), and the mask of missing cells."""
    levels = np.empty(len(params["levels"]) + bool(params["rare"]), dtype=object)
    levels[:len(params["levels"])] = params["levels"]
    values = levels[np.argmax(block, axis=1)]
    if params["rare"]:
        bucket = np.argmax(block, axis=1) == len(params["levels"])
        rare = np.empty(len(params["rare"]), dtype=object)
        rare[:] = params["rare"]
        values[bucket] = rare[rng.choice(len(rare), size=int(bucket.sum()),
                                         p=params["rare_p"])]
    mask = np.array([v is None for v in values.tolist()], dtype=bool)
    return values, (mask if None in params["levels"] else None)


# ---------------------------------------------------------------------- quantile transform
def _fit_quantiles(values):
    """Quantiles of a column, scaled by its largest magnitude so that nothing overflows."""
    if len(values) == 0:  # a column with no value present: its cells are all missing
        return {"quantiles": np.zeros(1), "references": np.zeros(1), "scale": 1.0}
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
def _assemble(values, masks, dtypes, markers, names, container, n_rows):
    """Cast decoded columns to their dtypes and build the DataFrame or array."""
    if container == "dataframe":
        import pandas as pd

        data = {}
        for j, (v, m, spec, marker) in enumerate(zip(values, masks, dtypes, markers,
                                                     strict=True)):
            column = rebuild_pandas(v, m, spec, marker)
            # An object column stays object (pandas 3 would infer 'str' from strings).
            data[j] = pd.Series(column, dtype=object) if spec["dtype"] == "O" else column
        frame = pd.DataFrame(data, index=pd.RangeIndex(n_rows))
        frame.columns = names
        return frame
    dtype = np.dtype(dtypes[0]["dtype"])  # an array has one dtype
    out = np.empty((n_rows, len(values)), dtype=dtype)
    for j, (v, m, marker) in enumerate(zip(values, masks, markers, strict=True)):
        out[:, j] = rebuild_numpy(v, m, dtype, marker)
    return out
