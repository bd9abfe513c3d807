"""Ranks and tests over data sets (Demšar 2006; Benavoli, Corani and Mangili 2016).

The unit is a data set: each row's score on a set is its mean over the folds. Tables are
DataFrames with one line per set and one column per row; NaN where a row did not run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def ranks(table, lower_is_better=False):
    """Rank the rows on each set, 1 the best; ties share the mean of their ranks."""
    return table.rank(axis=1, ascending=lower_is_better, method="average")


def friedman(table):
    """The Friedman test's p-value that all columns of ``table`` (complete lines only) rank
    alike; NaN with fewer than 2 sets or 3 rows, and 1.0 when every set ranks them alike."""
    table = table.dropna()
    if table.shape[0] < 2 or table.shape[1] < 3:
        return float("nan")
    if (table.nunique(axis=1) <= 1).all():
        return 1.0
    return float(stats.friedmanchisquare(*(table[c].to_numpy() for c in table.columns)).pvalue)


def wilcoxon(a, b):
    """The two-sided Wilcoxon signed-rank p-value of the paired values ``a`` and ``b`` (NaN
    pairs dropped); zero differences are split between the signs (Demšar's advice). NaN with
    no pair; 1.0 when every difference is zero."""
    pairs = pd.concat([pd.Series(a), pd.Series(b)], axis=1).dropna().to_numpy()
    if len(pairs) == 0:
        return float("nan")
    if np.all(pairs[:, 0] == pairs[:, 1]):
        return 1.0
    return float(stats.wilcoxon(pairs[:, 0], pairs[:, 1], zero_method="zsplit").pvalue)


def holm(pvalues):
    """Holm's step-down correction of a family of p-values (a dict); NaN stays NaN and is not
    counted in the family."""
    items = sorted(((p, k) for k, p in pvalues.items() if not np.isnan(p)))
    adjusted, running = {k: float("nan") for k in pvalues}, 0.0
    for i, (p, k) in enumerate(items):
        running = max(running, min(1.0, (len(items) - i) * p))
        adjusted[k] = running
    return adjusted


def win_tie_loss(a, b, lower_is_better=False):
    """``[wins, ties, losses]`` of ``a`` against ``b`` over the sets where both ran; a tie is
    an equal mean score (to 1e-12)."""
    pairs = pd.concat([pd.Series(a), pd.Series(b)], axis=1).dropna().to_numpy()
    diff = pairs[:, 0] - pairs[:, 1]
    if lower_is_better:
        diff = -diff
    tie = np.abs(diff) <= 1e-12
    return [int(np.sum((diff > 0) & ~tie)), int(np.sum(tie)), int(np.sum((diff < 0) & ~tie))]


def compare(pairs, lower_is_better=False):
    """The reference against each other row: ``pairs`` maps a row to ``(reference's values,
    the row's values)`` over sets. Win/tie/loss counts of the reference, and the Wilcoxon
    p-values, raw and Holm-corrected over the family of all the rows."""
    raw = {row: wilcoxon(a, b) for row, (a, b) in pairs.items()}
    return {"wtl": {row: win_tie_loss(a, b, lower_is_better) for row, (a, b) in pairs.items()},
            "p_holm": holm(raw), "p_raw": raw}


def nemenyi_cd(n_rows, n_sets, alpha=0.05):
    """Nemenyi's critical difference of mean ranks (Demšar 2006, eq. 2)."""
    q = stats.studentized_range.ppf(1 - alpha, n_rows, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(n_rows * (n_rows + 1) / (6.0 * n_sets)))
