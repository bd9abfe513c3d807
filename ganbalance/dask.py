"""Over-sample a Dask DataFrame: fit on a stratified sample, generate chunk by chunk.

A GAN's fit does not need the whole table (a table GAN keeps at most 5,000 rows per class as
references), but the missing rows of a large table may not fit in one machine's memory. This
module splits the work the way dask-ml's ``ParallelPostFit`` does: fit in memory on a sample,
then generate in parallel, partition by partition.

1. :func:`count_classes`: one pass over ``y`` counts every class, partition by partition;
   :func:`sampling_targets` turns ``sampling_strategy`` and those full counts into the number
   of new rows per class, as imbalanced-learn would on the whole data.
2. :func:`stratified_sample`: a fraction of each class, capped, drawn into memory (pandas).
3. :func:`fit_on_sample`: the usual :class:`~ganbalance.GANOverSampler`, fitted on the sample.
4. :func:`sample_partitions`: the missing rows, one chunk per Dask partition, generated on the
   workers; ``dask.dataframe.concat`` puts them after the original partitions.

:class:`ParallelOverSampler` does the four steps in one ``fit_resample(X, y)``.

Every chunk draws from its own random stream, derived from the seed and the chunk's index
(``numpy.random.SeedSequence(seed, spawn_key=(chunk,))``), never from the worker or the task:
the same ``random_state`` gives the same rows with any number of workers, any partitioning of
the input and after a task is retried, and the same rows as the in-memory :func:`sample_chunks`
taken in chunk order (which is also how to do it with Spark; see the user guide).

Needs the ``dask`` extra (``pip install "ganbalance[dask]"``). Only the functions that build
or compute Dask collections import dask; :func:`sample_chunk`, :func:`sample_chunks`,
:func:`n_chunks`, :func:`sampling_targets`, :func:`fit_on_sample` and :func:`torch_threads`
work without it.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import threading
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone

from ._logging import logger
from ._optional import import_optional
from ._random import child_seed, draw_seed
from ._references import MAX_REFERENCES_PER_CLASS
from ._validation import check_float, check_int

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ParallelOverSampler",
    "chunk_seed",
    "count_classes",
    "fit_on_sample",
    "n_chunks",
    "sample_chunk",
    "sample_chunks",
    "sample_partitions",
    "sampling_targets",
    "stratified_sample",
    "torch_threads",
]

#: Rows per chunk (one Dask partition of new rows, one task): a worker's memory grows with it,
#: not with the number of rows generated.
DEFAULT_CHUNK_SIZE = 100_000

#: New rows per class that :func:`fit_on_sample` generates from the sample, for the sampler's
#: collapse check (which looks at no more than 1,000 rows per class).
_FIT_CHECK_ROWS = 1_000

_INSTALL = 'This needs dask: pip install "ganbalance[dask]" (dask[dataframe] and distributed).'
_STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")


def _dask():
    """``(dask, dask.dataframe)``, or an ImportError that says how to install them."""
    return import_optional("dask", _INSTALL), import_optional("dask.dataframe", _INSTALL)


# ---------------------------------------------------------------------- torch threads
class _ThreadLimit:
    """Process-wide state of :func:`torch_threads`: how many blocks are open, and the torch
    thread count to restore when the last one closes."""

    lock = threading.Lock()
    depth = 0
    saved = None


@contextlib.contextmanager
def torch_threads(n=1):
    """Run the block with ``n`` torch threads, and restore the previous count after it.

    Dask runs one task per worker thread; a task that also used every core for torch would
    oversubscribe the machine. The setting is process-wide: blocks open at the same time in
    several threads share the first block's setting, and the count from before the first
    block is restored when the last one closes.

    Parameters
    ----------
    n : int, default=1
        torch threads inside the block.

    Examples
    --------
    >>> import torch
    >>> from ganbalance.dask import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    n = check_int(n, "n")
    with _ThreadLimit.lock:
        if _ThreadLimit.depth == 0:
            _ThreadLimit.saved = torch.get_num_threads()
            torch.set_num_threads(n)
        _ThreadLimit.depth += 1
    try:
        yield
    finally:
        with _ThreadLimit.lock:
            _ThreadLimit.depth -= 1
            if _ThreadLimit.depth == 0:
                torch.set_num_threads(_ThreadLimit.saved)


# ---------------------------------------------------------------------- 1. counts and targets
def count_classes(y):
    """Count the rows of each class of a Dask Series, partition by partition, in one pass.

    Parameters
    ----------
    y : dask.dataframe.Series
        The labels. Missing labels are refused.

    Returns
    -------
    counts : pandas.DataFrame of shape (y.npartitions, n_classes)
        Row ``p`` holds the number of rows of each class in partition ``p`` (int64); the columns
        are the classes, sorted as ``numpy.unique`` sorts them. ``counts.sum()`` is the count of
        each class in the whole Series.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd  # doctest: +SKIP
    >>> from ganbalance.dask import count_classes
    >>> y = dd.from_pandas(pd.Series([0, 0, 1, 0, 0, 2]), npartitions=2)  # doctest: +SKIP
    >>> count_classes(y)  # doctest: +SKIP
       0  1  2
    0  2  1  0
    1  2  0  1
    """
    dask, dd = _dask()
    _check_collection(y, dd.Series, "y", "a Dask Series")
    parts = dask.compute(*[dask.delayed(_partition_counts)(p) for p in y.to_delayed()])
    return _counts_frame(parts)


def _partition_counts(part):
    if bool(part.isna().any()):
        raise ValueError("y has missing labels (NaN or None); drop or fill those rows first.")
    counts = part.value_counts(sort=False)
    return counts[counts > 0]  # a categorical y lists its unused categories too


def _counts_frame(parts):
    import pandas as pd

    labels = sorted(set().union(*[p.index.tolist() for p in parts]))
    table = np.zeros((len(parts), len(labels)), dtype=np.int64)
    position = {label: j for j, label in enumerate(labels)}
    for i, part in enumerate(parts):
        for label, n in zip(part.index.tolist(), part.to_numpy(), strict=True):
            table[i, position[label]] = n
    return pd.DataFrame(table, columns=pd.Index(labels, dtype=object))


def _totals(counts):
    """Each class's count in the whole data, sorted by class: from :func:`count_classes`'s
    DataFrame (summed over partitions), a pandas Series or a dict."""
    if hasattr(counts, "columns"):
        counts = counts.sum(axis=0)
    if hasattr(counts, "items") and not isinstance(counts, Mapping):
        counts = dict(counts.items())
    if not isinstance(counts, Mapping):
        raise TypeError("counts must be count_classes(y)'s DataFrame, a pandas Series or a "
                        f"dict mapping each class to its count; got {type(counts).__name__}.")
    totals = OrderedDict()
    for label in sorted(counts):
        totals[label] = check_int(counts[label], f"counts[{label!r}]", minimum=0)
    return totals


def sampling_targets(sampling_strategy, counts, y=None):
    """New rows per class: ``sampling_strategy`` applied to the counts of the whole data.

    The same rules as imbalanced-learn's over-samplers (``check_sampling_strategy``), computed
    from the class counts instead of an in-memory ``y``, so a Dask DataFrame gets exactly the
    rows imbalanced-learn would add to the same data in memory.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable
        As for any imbalanced-learn over-sampler: ``'auto'`` (``'not majority'``),
        ``'minority'``, ``'not minority'``, ``'all'``; a float (two classes only), the wanted
        ratio of each minority class to the majority; a dict mapping classes to their wanted
        total counts; or a callable, called with ``y``, that returns such a dict.
    counts : pandas.DataFrame, pandas.Series or dict
        The class counts of the whole data: :func:`count_classes`'s result (summed over its
        partitions), or a Series or dict mapping each class to its count.
    y : object, default=None
        What a callable ``sampling_strategy`` is called with (for
        :class:`ParallelOverSampler`, the Dask Series); needed only then.

    Returns
    -------
    targets : OrderedDict
        Each class mapped to the number of rows to generate for it, sorted by class.

    Examples
    --------
    >>> from ganbalance.dask import sampling_targets
    >>> dict(sampling_targets("auto", {"a": 1000, "b": 10, "c": 400}))
    {'b': 990, 'c': 600}
    >>> dict(sampling_targets(0.5, {0: 1000, 1: 10}))
    {1: 490}
    """
    totals = _totals(counts)
    if len(totals) < 2:
        raise ValueError(f"y needs more than 1 class to over-sample; got {len(totals)} class.")
    strategy = sampling_strategy
    if callable(strategy) and not isinstance(strategy, (str, Mapping)):
        if y is None:
            raise TypeError("sampling_strategy is a callable: pass y, which it is called with.")
        strategy = strategy(y)
        if not isinstance(strategy, Mapping):
            raise TypeError("A callable sampling_strategy must return a dict of class counts; "
                            f"got {type(strategy).__name__}.")
    if isinstance(strategy, str):
        targets = _targets_from_name(strategy, totals)
    elif isinstance(strategy, Mapping):
        targets = _targets_from_dict(strategy, totals)
    elif isinstance(strategy, numbers.Real) and not isinstance(strategy, (bool, np.bool_)):
        targets = _targets_from_ratio(float(strategy), totals)
    else:
        raise TypeError("sampling_strategy must be a float, a str, a dict or a callable; got "
                        f"{type(sampling_strategy).__name__}.")
    return OrderedDict(sorted(targets.items()))


def _targets_from_name(name, totals):
    majority, minority = max(totals, key=totals.get), min(totals, key=totals.get)
    n_max = totals[majority]
    if name == "majority":
        raise ValueError("sampling_strategy='majority' cannot be used with an over-sampler.")
    if name not in _STRATEGIES:
        raise ValueError(f"sampling_strategy must be one of {list(_STRATEGIES)} when it is a "
                         f"str; got {name!r}.")
    keep = {"minority": lambda c: c == minority, "not minority": lambda c: c != minority,
            "not majority": lambda c: c != majority, "auto": lambda c: c != majority,
            "all": lambda c: True}[name]
    return {c: n_max - n for c, n in totals.items() if keep(c)}


def _targets_from_dict(strategy, totals):
    unknown = [c for c in strategy if c not in totals]
    if unknown:
        raise ValueError(f"sampling_strategy names classes that y does not have: {unknown}.")
    targets = {}
    for c, wanted in strategy.items():
        wanted = check_int(wanted, f"sampling_strategy[{c!r}]", minimum=0)
        if wanted < totals[c]:
            raise ValueError(
                f"sampling_strategy[{c!r}] = {wanted} is less than the {totals[c]} rows class "
                f"{c!r} has: an over-sampler can only add rows.")
        targets[c] = wanted - totals[c]
    return targets


def _targets_from_ratio(ratio, totals):
    if len(totals) != 2:
        raise ValueError("sampling_strategy can be a float only when y has two classes; use a "
                         "dict for more.")
    if not 0 < ratio <= 1:
        raise ValueError(f"sampling_strategy as a float must be in (0, 1]; got {ratio}.")
    majority = max(totals, key=totals.get)
    targets = {c: int(totals[majority] * ratio - n) for c, n in totals.items() if c != majority}
    if any(n <= 0 for n in targets.values()):
        raise ValueError(f"sampling_strategy={ratio} asks for fewer minority rows than y has; "
                         "increase it.")
    return targets


# ---------------------------------------------------------------------- 2. stratified sample
def stratified_sample(X, y, *, fraction=1.0, max_per_class=MAX_REFERENCES_PER_CLASS,
                      counts=None, random_state=None):
    """Draw a stratified sample of a Dask DataFrame into memory, to fit a sampler on.

    Of each class, ``ceil(fraction * n)`` of its ``n`` rows, at most ``max_per_class``, drawn
    uniformly without replacement. The draw picks rows by their rank within their class over
    the whole data, so the sample (rows and order) is the same for any partitioning of ``X``.

    Parameters
    ----------
    X : dask.dataframe.DataFrame
        The table.
    y : dask.dataframe.Series
        Its labels, partitioned like ``X`` (same number of partitions and rows in each).
    fraction : float in (0, 1], default=1.0
        The share of each class to draw, before the cap.
    max_per_class : int or None, default=5000
        The most rows of one class to draw; ``None`` for no cap. The default is the number of
        rows per class that a table GAN keeps as references anyway.
    counts : pandas.DataFrame, default=None
        :func:`count_classes`'s result for ``y``, if already computed; ``None`` counts.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the draw.

    Returns
    -------
    X_sample : pandas.DataFrame
        The rows drawn, in the order they have in ``X``, with their index.
    y_sample : pandas.Series
        Their labels.

    Examples
    --------
    >>> import pandas as pd
    >>> import dask.dataframe as dd  # doctest: +SKIP
    >>> from ganbalance.dask import stratified_sample
    >>> df = pd.DataFrame({"x": range(12), "label": [0] * 10 + [1] * 2})
    >>> X = dd.from_pandas(df[["x"]], npartitions=3)  # doctest: +SKIP
    >>> y = dd.from_pandas(df["label"], npartitions=3)  # doctest: +SKIP
    >>> X_s, y_s = stratified_sample(X, y, max_per_class=4, random_state=0)  # doctest: +SKIP
    >>> y_s.value_counts().sort_index().tolist()  # doctest: +SKIP
    [4, 2]
    """
    dask, dd = _dask()
    _check_inputs(X, y, dd)
    fraction = check_float(fraction, "fraction", low=0.0, high=1.0, low_inclusive=False)
    if max_per_class is not None:
        max_per_class = check_int(max_per_class, "max_per_class")
    seed = draw_seed(random_state)
    counts = count_classes(y) if counts is None else _check_counts(counts, y.npartitions)
    ranks = _draw_ranks(counts.sum(axis=0), fraction, max_per_class, seed)
    starts = counts.cumsum(axis=0) - counts
    tasks = [dask.delayed(_take_partition)(x_part, y_part, p, counts.iloc[p],
                                           _local_ranks(ranks, starts.iloc[p], counts.iloc[p]))
             for p, (x_part, y_part) in enumerate(zip(X.to_delayed(), y.to_delayed(),
                                                      strict=True))]
    parts = dask.compute(*tasks)
    import pandas as pd

    X_sample = pd.concat([x for x, _ in parts])
    y_sample = pd.concat([labels for _, labels in parts])
    logger.info("stratified_sample: %d rows drawn from %d.", len(y_sample),
                int(counts.to_numpy().sum()))
    return X_sample, y_sample


def _check_counts(counts, n_partitions):
    if not hasattr(counts, "columns") or len(counts) != n_partitions:
        raise ValueError(f"counts must be count_classes(y)'s DataFrame, one row per partition "
                         f"of y ({n_partitions}); got {type(counts).__name__}.")
    return counts


def _draw_ranks(totals, fraction, max_per_class, seed):
    """Each class's drawn rows, as sorted ranks among that class's rows in the whole data."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    ranks = {}
    for label, n in totals.items():
        n = int(n)
        take = min(n, math.ceil(fraction * n), max_per_class or n)
        ranks[label] = (np.arange(n) if take == n
                        else np.sort(rng.choice(n, size=take, replace=False)))
    return ranks


def _local_ranks(ranks, starts, counts):
    """The drawn ranks that fall into one partition, relative to its first row of each class."""
    local = {}
    for label, drawn in ranks.items():
        lo, hi = np.searchsorted(drawn, [starts[label], starts[label] + counts[label]])
        local[label] = drawn[lo:hi] - starts[label]
    return local


def _take_partition(x_part, y_part, number, expected, local):
    """The drawn rows of one partition (a task): those of each class at the ranks drawn."""
    if len(x_part) != len(y_part):
        raise ValueError(f"X and y must have the same rows in every partition; partition "
                         f"{number} has {len(x_part)} rows in X and {len(y_part)} in y.")
    if len(y_part) != int(expected.sum()):
        raise ValueError(f"Partition {number} of y has {len(y_part)} rows, but "
                         f"{int(expected.sum())} were counted: y changed since it was counted.")
    rows = []
    for label, ranks in local.items():
        where = np.flatnonzero(np.asarray(y_part == label, dtype=bool))
        if len(where) != int(expected[label]):
            raise ValueError(f"Partition {number} of y has {len(where)} rows of class "
                             f"{label!r}, but {int(expected[label])} were counted: y changed "
                             "since it was counted.")
        rows.append(where[ranks])
    rows = np.sort(np.concatenate(rows)) if rows else np.empty(0, dtype=np.int64)
    return x_part.iloc[rows], y_part.iloc[rows]


# ---------------------------------------------------------------------- 3. fit
def fit_on_sample(estimator, X_sample, y_sample, targets, *, random_state=None):
    """Fit a copy of an over-sampler on an in-memory sample, ready to generate ``targets``.

    The copy is fitted with ``fit_resample`` on the sample, with its ``sampling_strategy``
    replaced by one that over-samples exactly the classes of ``targets`` that need rows (so that
    ``mode='per_class'`` trains a GAN for each of them), by at most 1,000 rows each: enough
    for the sampler's collapse check, which warns when they are near-copies or lack variety.

    Parameters
    ----------
    estimator : GANOverSampler
        The over-sampler to copy (``sklearn.base.clone``); it is not modified. Any sampler with
        ``fit_resample(X, y)`` and ``sample(n_samples, y=..., random_state=...)`` works.
    X_sample : pandas.DataFrame
        The sample, e.g. from :func:`stratified_sample`.
    y_sample : pandas.Series or array-like
        Its labels.
    targets : dict
        New rows per class for the whole data, from :func:`sampling_targets`.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the training when the estimator's own ``random_state`` is None (a seed derived
        from it, so it differs from the stream of the chunks); the estimator's own wins.

    Returns
    -------
    sampler : GANOverSampler
        The fitted copy. Its ``sampling_strategy_`` describes the sample's fit, not ``targets``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ganbalance import GANOverSampler
    >>> from ganbalance.dask import fit_on_sample
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=60), "kind": rng.choice(["a", "b"], 60)})
    >>> y = pd.Series([0] * 50 + [1] * 10)
    >>> sampler = fit_on_sample(GANOverSampler(n_steps=10, device="cpu"), X, y,
    ...                         {1: 5_000_000}, random_state=0)
    >>> sampler.sample(3, y=1, random_state=0).dtypes.equals(X.dtypes)
    True
    """
    if not (hasattr(estimator, "fit_resample") and hasattr(estimator, "sample")):
        raise TypeError("estimator must be an over-sampler with fit_resample and sample, such "
                        f"as GANOverSampler; got {type(estimator).__name__}.")
    if not isinstance(targets, Mapping):
        raise TypeError(f"targets must be a dict of new rows per class; got "
                        f"{type(targets).__name__}.")
    labels = np.asarray(y_sample)
    present = dict(zip(*np.unique(labels, return_counts=True), strict=True))
    missing = [c for c, n in targets.items() if n > 0 and present.get(c, 0) == 0]
    if missing:
        raise ValueError(f"The sample has no row of classes {missing}, which targets asks to "
                         "over-sample; draw the sample with stratified_sample.")
    sampler = clone(estimator)
    if getattr(sampler, "random_state", 0) is None and random_state is not None:
        sampler.set_params(random_state=child_seed(draw_seed(random_state), 1))
    strategy = {c: int(present[c]) + min(int(n), _FIT_CHECK_ROWS)
                for c, n in targets.items() if n > 0}
    sampler.set_params(sampling_strategy=strategy)
    sampler.fit_resample(X_sample, y_sample)
    return sampler


# ---------------------------------------------------------------------- 4. in-memory chunks
def _check_targets(targets):
    if not isinstance(targets, Mapping):
        raise TypeError(f"counts must be a dict mapping each class to its number of new rows; "
                        f"got {type(targets).__name__}.")
    return OrderedDict((label, check_int(n, f"counts[{label!r}]", minimum=0))
                       for label, n in targets.items())


def _chunk_plan(targets, chunk_size):
    """``(label, first row, rows)`` of every chunk, class after class in ``targets``' order."""
    plan, start = [], 0
    for label, n in _check_targets(targets).items():
        for lo in range(0, n, chunk_size):
            size = min(chunk_size, n - lo)
            plan.append((label, start, size))
            start += size
    return plan


def chunk_seed(seed, chunk):
    """The seed of one chunk's stream: ``SeedSequence(seed, spawn_key=(chunk,))``'s first word.

    It depends only on the seed and the chunk's index: not on the worker, the task or the
    order in which chunks run.
    """
    return int(np.random.SeedSequence(seed, spawn_key=(chunk,)).generate_state(1)[0])


def n_chunks(counts, chunk_size=DEFAULT_CHUNK_SIZE):
    """The number of chunks :func:`sample_chunks` splits ``counts`` into.

    Each class's rows are cut into chunks of ``chunk_size`` rows (the last one shorter), class
    after class in the order of ``counts``; a chunk never mixes classes.

    Parameters
    ----------
    counts : dict
        Each class mapped to its number of new rows (e.g. :func:`sampling_targets`'s result).
    chunk_size : int, default=100000
        Rows per chunk.

    Returns
    -------
    n : int

    Examples
    --------
    >>> from ganbalance.dask import n_chunks
    >>> n_chunks({1: 250_000, 2: 10}, chunk_size=100_000)
    4
    """
    return len(_chunk_plan(counts, check_int(chunk_size, "chunk_size")))


def _chunk_rows(sampler, label, size, seed):
    return sampler.sample(size, y=label, random_state=seed)


def sample_chunk(sampler, counts, chunk, *, chunk_size=DEFAULT_CHUNK_SIZE, random_state):
    """Generate one chunk of new rows in memory: the unit of work of every parallel backend.

    Chunk ``k`` holds rows of one class; its stream is seeded by :func:`chunk_seed` from
    ``random_state`` and ``k`` alone, so any process that generates chunk ``k`` gets the same
    rows (a Dask task, its retry, a Spark task).

    Parameters
    ----------
    sampler : GANOverSampler
        A fitted over-sampler.
    counts : dict
        Each class mapped to its number of new rows, in the order they are generated.
    chunk : int
        The chunk's index, from 0 to ``n_chunks(counts, chunk_size) - 1``.
    chunk_size : int, default=100000
        Rows per chunk.
    random_state : int
        The seed shared by all chunks (an int in [0, 2**32 - 1], so that every process derives
        the same streams from it).

    Returns
    -------
    X_chunk : pandas.DataFrame or ndarray
        The chunk's rows, as the sampler's ``sample`` returns them.
    y_chunk : ndarray
        Their class.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ganbalance import GANOverSampler
    >>> from ganbalance.dask import sample_chunk
    >>> X = pd.DataFrame({"x": np.arange(40.0), "big": np.arange(40) > 30})
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> sampler = GANOverSampler(n_steps=10, device="cpu", random_state=0)
    >>> _ = sampler.fit_resample(X, y)
    >>> X_2, y_2 = sample_chunk(sampler, {1: 250}, 2, chunk_size=100, random_state=7)
    >>> len(X_2), y_2[:3]
    (50, array([1, 1, 1]))
    """
    plan = _chunk_plan(counts, check_int(chunk_size, "chunk_size"))
    chunk = check_int(chunk, "chunk", minimum=0)
    if chunk >= len(plan):
        raise ValueError(f"chunk must be less than the {len(plan)} chunks of counts; got "
                         f"{chunk}.")
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError("random_state must be an int: every chunk derives its stream from it and "
                        f"its own index; got {type(random_state).__name__}.")
    seed = draw_seed(random_state)
    label, _, size = plan[chunk]
    return _chunk_rows(sampler, label, size, chunk_seed(seed, chunk)), np.full(size, label)


def sample_chunks(sampler, counts, *, chunk_size=DEFAULT_CHUNK_SIZE, random_state=None):
    """Generate the new rows in memory, chunk after chunk: what the Dask version computes.

    Parameters
    ----------
    sampler : GANOverSampler
        A fitted over-sampler.
    counts : dict
        Each class mapped to its number of new rows.
    chunk_size : int, default=100000
        Rows per chunk.
    random_state : int, RandomState, Generator or None, default=None
        The seed of all chunks; the same int as :func:`sample_partitions` gives the same rows.

    Returns
    -------
    chunks : iterator of (X_chunk, y_chunk)
        One pair per chunk, in chunk order, as :func:`sample_chunk` returns them; one chunk
        is in memory at a time unless the caller keeps them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ganbalance import GANOverSampler
    >>> from ganbalance.dask import sample_chunks
    >>> X = pd.DataFrame({"x": np.arange(40.0), "n": np.arange(40) % 3})
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> sampler = GANOverSampler(n_steps=10, device="cpu", random_state=0)
    >>> _ = sampler.fit_resample(X, y)
    >>> sizes = [len(X_k) for X_k, y_k in sample_chunks(sampler, {1: 250}, chunk_size=100,
    ...                                                 random_state=0)]
    >>> sizes
    [100, 100, 50]
    """
    plan = _chunk_plan(counts, check_int(chunk_size, "chunk_size"))
    seed = draw_seed(random_state)
    return ((_chunk_rows(sampler, label, size, chunk_seed(seed, k)), np.full(size, label))
            for k, (label, _, size) in enumerate(plan))


# ---------------------------------------------------------------------- 4. Dask partitions
def sample_partitions(sampler, counts, *, meta=None, y_meta=None, chunk_size=DEFAULT_CHUNK_SIZE,
                      random_state=None, start=0):
    """Generate the new rows as Dask collections: one partition per chunk, built on the workers.

    Nothing is generated until the result is computed or written (``to_parquet``): each task
    generates one chunk, with one torch thread, from the fitted sampler, which the graph holds
    once (``dask.delayed(sampler)``) whatever the number of partitions. Partition ``k`` equals
    :func:`sample_chunk` ``(sampler, counts, k, ...)``, cast to ``meta``'s dtypes.

    Parameters
    ----------
    sampler : GANOverSampler
        A fitted over-sampler (e.g. from :func:`fit_on_sample`).
    counts : dict
        Each class mapped to its number of new rows (e.g. :func:`sampling_targets`).
    meta : pandas.DataFrame, default=None
        An empty frame with the output's columns and dtypes, usually ``X._meta`` of the Dask
        DataFrame the sampler learnt from. ``None``: those of the sampler's own output.
    y_meta : pandas.Series, default=None
        An empty Series with the labels' name and dtype, usually ``y._meta``. ``None``: no name,
        the labels' numpy dtype.
    chunk_size : int, default=100000
        Rows per chunk (per partition). A worker's memory grows with it.
    random_state : int, RandomState, Generator or None, default=None
        The seed of all chunks.
    start : int, default=0
        The index of the first new row; the new rows are numbered on from it, in chunk order.
        :class:`ParallelOverSampler` starts after the last original row (``len(X)``).

    Returns
    -------
    X_new : dask.dataframe.DataFrame
        The new rows, with ``meta``'s columns and dtypes and known divisions.
    y_new : dask.dataframe.Series
        Their labels, partitioned like ``X_new``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ganbalance import GANOverSampler
    >>> from ganbalance.dask import sample_partitions
    >>> X = pd.DataFrame({"x": np.arange(40.0), "n": np.arange(40) % 3})
    >>> y = np.array([0] * 30 + [1] * 10)
    >>> sampler = GANOverSampler(n_steps=10, device="cpu", random_state=0)
    >>> _ = sampler.fit_resample(X, y)
    >>> X_new, y_new = sample_partitions(sampler, {1: 250}, chunk_size=100,
    ...                                  random_state=0)  # doctest: +SKIP
    >>> X_new.npartitions, len(X_new.compute())  # doctest: +SKIP
    (3, 250)
    """
    dask, dd = _dask()
    plan = _chunk_plan(counts, check_int(chunk_size, "chunk_size"))
    start = check_int(start, "start", minimum=0)
    seed = draw_seed(random_state)
    meta = _output_meta(sampler, plan, meta)
    y_meta = _labels_meta(plan, y_meta)
    if not plan:  # nothing to generate: one empty partition
        return (dd.from_pandas(meta, npartitions=1, sort=False),
                dd.from_pandas(y_meta, npartitions=1, sort=False))
    shared = dask.delayed(sampler, pure=True)  # one key: sent once, not once per partition
    X_parts = [dask.delayed(_generate_partition, pure=True)(
        shared, label, size, chunk_seed(seed, k), start + first, meta)
        for k, (label, first, size) in enumerate(plan)]
    y_parts = [dask.delayed(_label_partition, pure=True)(label, size, start + first, y_meta)
               for label, first, size in plan]
    total = sum(size for _, _, size in plan)
    divisions = tuple(start + first for _, first, _ in plan) + (start + total - 1,)
    return (dd.from_delayed(X_parts, meta=meta, divisions=divisions, verify_meta=True),
            dd.from_delayed(y_parts, meta=y_meta, divisions=divisions, verify_meta=True))


def _output_meta(sampler, plan, meta):
    """The empty frame every partition must match: ``meta``, checked against the sampler."""
    import pandas as pd

    if meta is None:
        if not plan:
            raise ValueError("meta is needed when counts asks for no rows.")
        meta = _as_frame(_chunk_rows(sampler, plan[0][0], 0, 0), None).iloc[:0]
    if not isinstance(meta, pd.DataFrame):
        raise TypeError(f"meta must be an empty pandas DataFrame such as X._meta; got "
                        f"{type(meta).__name__}.")
    names = getattr(sampler, "feature_names_in_", None)
    n_features = getattr(sampler, "n_features_in_", None)
    if names is not None and list(names) != list(meta.columns):
        raise ValueError(f"meta's columns {list(meta.columns)} are not those the sampler was "
                         f"fitted on: {list(names)}.")
    if n_features is not None and n_features != len(meta.columns):
        raise ValueError(f"meta has {len(meta.columns)} columns; the sampler was fitted on "
                         f"{n_features}.")
    return meta.iloc[:0]


def _labels_meta(plan, y_meta):
    import pandas as pd

    if y_meta is None:
        return pd.Series(np.asarray([label for label, _, _ in plan])[:0])
    if not isinstance(y_meta, pd.Series):
        raise TypeError(f"y_meta must be an empty pandas Series such as y._meta; got "
                        f"{type(y_meta).__name__}.")
    return y_meta.iloc[:0]


def _as_frame(rows, meta):
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        return rows
    return pd.DataFrame(rows, columns=None if meta is None else meta.columns)


def _generate_partition(sampler, label, size, seed, first, meta):
    """One partition of new rows (a task): the chunk's rows, indexed and cast to ``meta``."""
    import pandas as pd

    with torch_threads(1):
        rows = _as_frame(_chunk_rows(sampler, label, size, seed), meta)
    rows.index = pd.RangeIndex(first, first + size)
    for name, dtype in meta.dtypes.items():
        if rows[name].dtype != dtype:  # e.g. str columns that Dask holds as string[pyarrow]
            rows[name] = rows[name].astype(dtype)
    return rows


def _label_partition(label, size, first, y_meta):
    """One partition of labels (a task)."""
    import pandas as pd

    return pd.Series(label, index=pd.RangeIndex(first, first + size), dtype=y_meta.dtype,
                     name=y_meta.name)


# ---------------------------------------------------------------------- input checks
def _check_collection(obj, kind, name, what):
    if not isinstance(obj, kind):
        raise TypeError(f"{name} must be {what}; got {type(obj).__name__}. For data in memory "
                        "use GANOverSampler.fit_resample, or dask.dataframe.from_pandas.")


def _check_inputs(X, y, dd):
    """X a Dask DataFrame with known categories, y a Dask Series, partitioned alike."""
    _check_collection(X, dd.DataFrame, "X", "a Dask DataFrame")
    _check_collection(y, dd.Series, "y", "a Dask Series")
    if len(X.columns) == 0:
        raise ValueError("X has no columns.")
    if X.npartitions != y.npartitions:
        raise ValueError(f"X and y must have the same partitions; got {X.npartitions} and "
                         f"{y.npartitions} (take y from the same DataFrame, e.g. "
                         "y = df['label'] and X = df.drop(columns='label')).")
    if X.known_divisions and y.known_divisions and X.divisions != y.divisions:
        raise ValueError("X and y must have the same partitions; their divisions differ.")
    columns = [(f"X column {c!r}", X, c) for c in X.columns] + [("y", y, None)]
    for name, frame, column in columns:
        series = frame if column is None else frame[column]
        if str(series.dtype) == "category" and not series.cat.known:
            raise ValueError(f"{name} is categorical with unknown categories; make them known "
                             "first (one pass: X = X.categorize(), y = y.cat.as_known()), so "
                             "that the new rows get the same dtype.")


# ---------------------------------------------------------------------- the meta-estimator
class ParallelOverSampler(BaseEstimator):
    """Over-sample a Dask DataFrame: fit on a stratified sample, generate on the workers.

    The pattern of dask-ml's ``ParallelPostFit`` for an over-sampler: ``fit_resample(X, y)``
    counts the classes of ``y`` in one pass, draws a stratified sample into memory
    (:func:`stratified_sample`), fits a copy of ``estimator`` on it (:func:`fit_on_sample`),
    and returns Dask collections in which the original partitions are followed by the new
    rows, generated chunk by chunk on the workers when computed (:func:`sample_partitions`).

    **What** ``sampling_strategy`` **means.** It is the estimator's, with imbalanced-learn's
    meaning, applied to the class counts of the *whole* Dask DataFrame: ``'auto'`` adds to
    every class the rows it lacks to match the majority class of the full data. The sampler is
    fitted on the sample, but the number of new rows per class comes from the full counts
    (``sampling_strategy_``), not from the sample's. A callable ``sampling_strategy`` is called
    with the Dask Series ``y``.

    Parameters
    ----------
    estimator : GANOverSampler, default=None
        The over-sampler to fit on the sample (copied, never modified). ``None``:
        ``GANOverSampler()``. For tables: the sampler sees the sample as a pandas DataFrame.
    fraction : float in (0, 1], default=1.0
        The share of each class to draw into the sample, before ``max_per_class``.
    max_per_class : int or None, default=5000
        The most rows of one class in the sample; ``None`` for no cap.
    chunk_size : int, default=100000
        New rows per partition (per task). A worker's peak memory grows with it, not with the
        number of rows generated.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the sample's draw, each chunk's stream (from the seed and the chunk's index alone)
        and, when the estimator's own ``random_state`` is None, its training. The same int
        gives the same rows with any number of workers and any partitioning of ``X``.

    Attributes
    ----------
    estimator_ : GANOverSampler
        The copy of ``estimator`` fitted on the sample.
    class_counts_ : OrderedDict
        Each class's count in the whole of ``y``.
    sampling_strategy_ : OrderedDict
        New rows per class, from ``sampling_strategy`` and ``class_counts_``.
    sample_counts_ : OrderedDict
        Each class's count in the sample the estimator was fitted on.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        The columns of ``X``.

    See Also
    --------
    ganbalance.GANOverSampler : The in-memory over-sampler this one fits.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import dask.dataframe as dd  # doctest: +SKIP
    >>> from ganbalance import GANOverSampler
    >>> from ganbalance.dask import ParallelOverSampler
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"amount": rng.gamma(2.0, 50.0, 1000),
    ...                    "kind": pd.Categorical(rng.choice(["card", "cash"], 1000)),
    ...                    "fraud": (rng.random(1000) < 0.05).astype(int)})
    >>> ddf = dd.from_pandas(df, npartitions=4)  # doctest: +SKIP
    >>> sampler = ParallelOverSampler(GANOverSampler(n_steps=20, device="cpu"),
    ...                               chunk_size=200, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(ddf.drop(columns="fraud"),
    ...                                     ddf["fraud"])  # doctest: +SKIP
    >>> y_res.value_counts().compute().sort_index().tolist()  # doctest: +SKIP
    [953, 953]
    >>> X_res.dtypes.equals(ddf.drop(columns="fraud").dtypes)  # doctest: +SKIP
    True
    """

    def __init__(self, estimator=None, *, fraction=1.0, max_per_class=MAX_REFERENCES_PER_CLASS,
                 chunk_size=DEFAULT_CHUNK_SIZE, random_state=None):
        self.estimator = estimator
        self.fraction = fraction
        self.max_per_class = max_per_class
        self.chunk_size = chunk_size
        self.random_state = random_state

    def fit(self, X, y):
        """Count the classes, draw the sample and fit the estimator on it (no new rows yet).

        Parameters
        ----------
        X : dask.dataframe.DataFrame
            The table.
        y : dask.dataframe.Series
            Its labels, partitioned like ``X``.

        Returns
        -------
        self : ParallelOverSampler
        """
        self._fit(X, y)
        return self

    def fit_resample(self, X, y):
        """Fit on a stratified sample, then return the data followed by the new rows, lazily.

        Parameters
        ----------
        X : dask.dataframe.DataFrame
            The table. Categorical columns need known categories.
        y : dask.dataframe.Series
            Its labels, partitioned like ``X``.

        Returns
        -------
        X_resampled : dask.dataframe.DataFrame
            ``X``'s partitions, unchanged, then the new rows in partitions of ``chunk_size``,
            class after class, with ``X``'s columns and dtypes (categories included). The new
            rows are indexed ``len(X)``, ``len(X) + 1``, ... in order.
        y_resampled : dask.dataframe.Series
            ``y``'s partitions, then the labels of the new rows.
        """
        _, dd = _dask()
        seed = self._fit(X, y)
        X_new, y_new = sample_partitions(
            self.estimator_, self.sampling_strategy_, meta=X._meta, y_meta=y._meta,
            chunk_size=self.chunk_size, random_state=seed, start=sum(self.class_counts_.values()))
        return dd.concat([X, X_new]), dd.concat([y, y_new])

    def _fit(self, X, y):
        """Everything but generation; returns the seed the chunks use."""
        from .over_sampler import GANOverSampler

        _, dd = _dask()
        _check_inputs(X, y, dd)
        estimator = GANOverSampler() if self.estimator is None else self.estimator
        if not (hasattr(estimator, "fit_resample") and hasattr(estimator, "sample")):
            raise TypeError("estimator must be an over-sampler with fit_resample and sample, "
                            f"such as GANOverSampler; got {type(estimator).__name__}.")
        check_float(self.fraction, "fraction", low=0.0, high=1.0, low_inclusive=False)
        if self.max_per_class is not None:
            check_int(self.max_per_class, "max_per_class")
        check_int(self.chunk_size, "chunk_size")
        seed = draw_seed(self.random_state)
        counts = count_classes(y)
        targets = sampling_targets(estimator.sampling_strategy, counts, y)
        X_sample, y_sample = stratified_sample(
            X, y, fraction=self.fraction, max_per_class=self.max_per_class, counts=counts,
            random_state=seed)
        self.estimator_ = fit_on_sample(estimator, X_sample, y_sample, targets,
                                        random_state=seed)
        self.class_counts_ = _totals(counts)
        self.sampling_strategy_ = targets
        present = y_sample.value_counts()
        self.sample_counts_ = _totals(present[present > 0])
        self.n_features_in_ = len(X.columns)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return seed
