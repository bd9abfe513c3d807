"""Raw-space statistics: copy rate, variety and the collapse check, measured on the rows
themselves (standardised; see the package notes on the two spaces), with no classifier."""

from __future__ import annotations

import math

import numpy as np

from .._random import child_seed
from .._validation import check_int
from ._inputs import (
    _SEED_SUBSAMPLE,
    _check_collapse_thresholds,
    _check_quantile,
    _check_random_state,
    _Data,
    _Standardizer,
)
from ._neighbours import _mean_pairwise, _nearest, _subsample_index, _within

__all__ = ["MIN_REFERENCE_ROWS", "copy_rate", "detect_collapse", "variety"]

#: A class with fewer real rows than this is measured, for the copy threshold and for variety,
#: against the within-class reference of the classes that have at least this many.
MIN_REFERENCE_ROWS = 20


def _raw_stats(data: _Data, quantile: float, max_samples: int, seed: int,
               synth_rows=None) -> dict:
    """Copy rate, its baseline and variety per class, in the standardised raw space.

    See :func:`copy_rate` and :func:`variety` for the definitions. ``synth_rows`` (a boolean
    mask) restricts the synthetic rows used, e.g. to the finite ones.
    """
    rng = np.random.default_rng(child_seed(seed, _SEED_SUBSAMPLE))
    if data.image_shape is None:
        scaler = _Standardizer(None).fit(data.X_real)

        def space(X):
            return scaler.transform(X)
    else:
        # One global shift and scale changes every distance by the same factor, which
        # thresholds and ratios do not see: plain pixel values give the same results.
        def space(X):
            return np.asarray(X, dtype=np.float64)
    keep = np.ones(len(data.X_synth), bool) if synth_rows is None else synth_rows

    real = {c: space(data.X_real[_subsample_index(data.real(c), max_samples, rng)])
            for c in data.labels}
    synth = {c: space(data.X_synth[_subsample_index(data.synth(c) & keep, max_samples, rng)])
             for c in data.labels}
    within = {c: _within(R) for c, R in real.items() if len(R) >= 2}
    loo = {c: w[0] for c, w in within.items()}
    spread = {c: w[1] for c, w in within.items()}
    reference = [c for c in loo if len(real[c]) >= MIN_REFERENCE_ROWS] or list(loo)
    if reference:
        pooled_loo = np.concatenate([loo[c] for c in reference])
        pooled_spread = float(np.mean([spread[c] for c in reference]))
    elif len(data.X_real) >= 2:  # every class has one row: use all real rows as one group
        group = space(data.X_real[_subsample_index(np.ones(len(data.X_real), bool),
                                                   max_samples, rng)])
        pooled_loo, pooled_spread = _within(group)
    else:
        pooled_loo, pooled_spread = np.zeros(0), float("nan")
    pooled_tau = float(np.quantile(pooled_loo, quantile)) if len(pooled_loo) else 0.0
    # An absolute tolerance so that float32 round trips of a real row still count as copies.
    used = np.concatenate(list(real.values()))
    atol = 1e-6 * math.sqrt(float(np.mean(np.einsum("ij,ij->i", used, used))))

    stats = {}
    for c in data.labels:
        R, S = real[c], synth[c]
        own = len(R) >= MIN_REFERENCE_ROWS
        tau = float(np.quantile(loo[c], quantile)) if own else pooled_tau
        if len(R) >= 2:
            baseline = float(np.mean(loo[c] <= tau + atol))
        elif len(pooled_loo):
            baseline = float(np.mean(pooled_loo <= tau + atol))
        else:
            baseline = float("nan")
        ref_spread = spread[c] if own else pooled_spread
        rate = vary = float("nan")
        if len(S):
            rate = float(np.mean(_nearest(S, R, 1)[:, 0] <= tau + atol))
        if len(S) >= 2:
            synth_spread = _mean_pairwise(S)
            if ref_spread > 0:
                vary = synth_spread / ref_spread
            elif ref_spread == 0:
                vary = 0.0 if synth_spread == 0 else float("inf")
        stats[c] = {"copy_rate": rate, "copy_rate_baseline": baseline, "variety": vary,
                    "own_reference": own, "threshold": tau}
    return stats


def _collapse_reasons(stats: dict, min_variety: float, max_copy_rate: float) -> list[str]:
    reasons = []
    if stats["variety"] < min_variety:
        reasons.append(
            f"variety {stats['variety']:.2f} < {min_variety:g}: the generated rows are nearly "
            "identical to each other"
        )
    baseline = stats["copy_rate_baseline"]
    if stats["copy_rate"] >= max_copy_rate and not baseline >= 0.5:
        reasons.append(
            f"copy rate {stats['copy_rate']:.2f} >= {max_copy_rate:g}: the generated rows are "
            "near-copies of real rows"
        )
    return reasons


# ---------------------------------------------------------------------- public metrics


def copy_rate(X_real, y_real, X_synth, y_synth, *, image_shape=None, copy_quantile=0.05,
              max_samples=1000, return_baseline=False, random_state=0):
    """Share of each class's generated rows that are near-copies of a real row of the class.

    Computed in the standardised raw space (see the module notes), because a copy is a
    statement about the rows themselves. For a class ``c``:

    1. each real row's distance to its nearest *other* real row of ``c`` is measured (the
       leave-one-out nearest-neighbour distances);
    2. the copy threshold ``t_c`` is their ``copy_quantile`` quantile (default the 5th
       percentile). A class with fewer than ``MIN_REFERENCE_ROWS`` (20) real rows has too
       few distances for a quantile: it uses the distances of all classes with at least 20
       rows pooled (failing that, of all classes with 2 or more, and failing that, of all real
       rows regardless of class);
    3. a generated row of ``c`` is a *copy* when its distance to the nearest real row of ``c``
       is at most ``t_c``: it is closer to a real row than 95% of real rows are to their
       nearest real neighbour.

    The *baseline* is the same statistic for real rows held out one at a time: the share of
    the class's leave-one-out distances at most ``t_c`` (about ``copy_quantile`` for a class
    with its own threshold; for a class with one real row, the pooled distances are used). A
    generator that draws fresh rows from the class's distribution scores near the baseline;
    exact or near-exact replays of real rows (a GAN replaying a one-shot class's only image)
    score 1.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image: the rows are then standardised with one global mean and scale
        (pixel distances), instead of per feature.
    copy_quantile : float in (0, 1), default=0.05
        Quantile of the real nearest-neighbour distances that sets the threshold.
    max_samples : int, default=1000
        At most this many real and generated rows per class are used, drawn at random (both
        the distances to real rows and the baseline use the same real subsample).
    return_baseline : bool, default=False
        Also return the baselines.
    random_state : int, RandomState, Generator or None, default=0
        Draws the subsamples (only used for classes above ``max_samples``).

    Returns
    -------
    rate : dict
        Each class of ``y_real`` mapped to its copy rate; NaN without generated rows.
    baseline : dict
        Only with ``return_baseline``: the held-out real baseline of each class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import copy_rate
    >>> X, y = make_blobs(n_samples=400, centers=2, n_features=5, random_state=0)
    >>> copies = np.repeat(X[:1], 50, axis=0)  # the same real row, replayed
    >>> copy_rate(X, y, copies, np.full(50, y[0]))[int(y[0])]
    1.0
    >>> fresh, base = copy_rate(X[:200], y[:200], X[200:], y[200:], return_baseline=True)
    >>> all(abs(fresh[c] - base[c]) < 0.1 for c in fresh)
    True
    """
    if not isinstance(return_baseline, (bool, np.bool_)):
        raise TypeError(
            f"return_baseline must be a bool; got {type(return_baseline).__name__}."
        )
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    copy_quantile = _check_quantile(copy_quantile)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    stats = _raw_stats(data, copy_quantile, max_samples, _check_random_state(random_state))
    rate = {c: s["copy_rate"] for c, s in stats.items()}
    if return_baseline:
        return rate, {c: s["copy_rate_baseline"] for c, s in stats.items()}
    return rate


def variety(X_real, y_real, X_synth, y_synth, *, image_shape=None, max_samples=1000,
            random_state=0) -> dict:
    """Spread of each class's generated rows relative to the real spread.

    variety = (mean distance between two generated rows of the class) / (mean distance between
    two real rows of the class), in the standardised raw space of :func:`copy_rate`. About 1 for
    rows as varied as the real ones, near 0 when the generator collapsed to (nearly) one output.
    A class with fewer than ``MIN_REFERENCE_ROWS`` (20) real rows is compared with the mean
    within-class spread of the classes that have at least 20 (with one real row there is no
    spread to compare with), so for a few-shot class it reads "as varied as a class of this
    data set usually is".

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image (global instead of per-feature standardisation).
    max_samples : int, default=1000
        At most this many real and generated rows per class are used, drawn at random.
    random_state : int, RandomState, Generator or None, default=0
        Draws the subsamples.

    Returns
    -------
    variety : dict
        Each class of ``y_real`` mapped to its variety; NaN for a class with fewer than 2
        generated rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import variety
    >>> X, y = make_blobs(n_samples=200, centers=2, n_features=3, random_state=0)
    >>> collapsed = np.repeat(X[:1], 20, axis=0) + 1e-3
    >>> variety(X, y, collapsed, np.full(20, y[0]))[int(y[0])] < 0.01
    True
    """
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    stats = _raw_stats(data, 0.05, max_samples, _check_random_state(random_state))
    return {c: s["variety"] for c, s in stats.items()}


def detect_collapse(X_real, y_real, X_synth, y_synth, *, image_shape=None, min_variety=0.1,
                    max_copy_rate=0.9, copy_quantile=0.05, max_samples=1000,
                    random_state=0) -> dict:
    """Classes whose generated rows show clear collapse, with the reason; cheap (no training).

    A class is flagged when its generated rows

    - hold NaN or infinite values;
    - have :func:`variety` below ``min_variety`` (the generator draws nearly one output); or
    - have a :func:`copy_rate` of at least ``max_copy_rate`` (near-copies of real rows), unless
      the real rows of the class are themselves that close to each other (a copy-rate baseline
      of 0.5 or more, as for data with many duplicate rows).

    It is meant for the end of ``fit`` (``GANOverSampler`` raises
    :class:`~ganbalance.exceptions.GANCollapseWarning` with these reasons) and costs a few
    nearest-neighbour searches on at most ``max_samples`` rows per class.

    Parameters
    ----------
    X_real, y_real, X_synth, y_synth : array-like
        Real and generated rows and their labels, as in :func:`class_consistency`.
        ``X_synth`` may hold non-finite values (they are reported).
    image_shape : tuple of int (C, H, W) or None, default=None
        Shape of one image (global instead of per-feature standardisation).
    min_variety : float, default=0.1
        Flag a class whose variety is below this.
    max_copy_rate : float in (0, 1], default=0.9
        Flag a class whose copy rate is at least this.
    copy_quantile : float in (0, 1), default=0.05
        Sets the copy threshold, as in :func:`copy_rate`.
    max_samples : int, default=1000
        At most this many real and generated rows per class are used.
    random_state : int, RandomState, Generator or None, default=0
        Draws the subsamples.

    Returns
    -------
    collapsed : dict
        The flagged classes mapped to a sentence giving the reasons; empty when nothing
        collapsed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from ganbalance.metrics import detect_collapse
    >>> X, y = make_blobs(n_samples=200, centers=2, n_features=3, random_state=0)
    >>> detect_collapse(X[:100], y[:100], X[100:], y[100:])  # fresh real rows: fine
    {}
    >>> replay = np.repeat(X[:1], 30, axis=0)  # one real row, replayed 30 times
    >>> reasons = detect_collapse(X, y, replay, np.full(30, y[0]))
    >>> list(reasons) == [y[0]], "copy rate" in reasons[y[0]]
    (True, True)
    """
    data = _Data(X_real, y_real, X_synth, y_synth, image_shape, synth_finite=False)
    min_variety, max_copy_rate = _check_collapse_thresholds(min_variety, max_copy_rate)
    copy_quantile = _check_quantile(copy_quantile)
    max_samples = check_int(max_samples, "max_samples", minimum=2)
    finite = np.all(np.isfinite(data.X_synth), axis=1)
    stats = _raw_stats(data, copy_quantile, max_samples, _check_random_state(random_state),
                       synth_rows=finite)
    collapsed = {}
    for c in data.labels:
        mask = data.synth(c)
        reasons = []
        n_bad = int(np.sum(mask & ~finite))
        if n_bad:
            reasons.append(f"{n_bad} of {int(mask.sum())} generated rows are not finite")
        reasons += _collapse_reasons(stats[c], min_variety, max_copy_rate)
        if reasons:
            collapsed[c] = "; ".join(reasons) + "."
    return collapsed
