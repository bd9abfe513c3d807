"""The KEEL benchmark's results: the analysis of each scope, JSON, Markdown and CD diagrams.

Each (set, classifier, row) cell is the mean over the folds kept (those of the repeats that are
complete); a cell that misses a fold (the row raised there) is left out. Per classifier, the
rows that ran on every set of the scope are ranked and Friedman-tested. Overall, the per-set
ranks among the *core* rows (those that ran on every set with every classifier) are averaged
over the classifiers, and those averages are ranked and Friedman-tested over the sets. A row
that ran on some sets or with some classifiers only (class_weight: not 5-NN; SMOTENC, SMOTEN:
their kinds of set; CTGAN: the sets its budget reached) is ranked among the core rows plus
itself on those sets and classifiers, next to the GAN's rank in the same company. The GAN is
compared with every other row by the Wilcoxon signed-rank test over sets (on the scores per
classifier; on the averaged ranks overall), Holm-corrected over the rows.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from . import stats
from .rows import CLASSIFIERS, ROWS
from .run import LOWER_IS_BETTER, METRICS

REFERENCE = "GAN"


def cell_means(runs, folds):
    """Per metric, a DataFrame of fold means indexed by (dataset, classifier), one column per
    row; NaN where a row lacks the score of one of ``folds`` (it raised, or did not run)."""
    frame = pd.DataFrame([
        {"dataset": r["dataset"], "row": r["row"], "classifier": clf, **vals}
        for r in runs if r["fold"] in folds for clf, vals in r["scores"].items()])
    grouped = frame.groupby(["dataset", "classifier", "row"])
    complete = grouped.size() == len(folds)
    return {m: grouped[m].mean()[complete].unstack("row") for m in METRICS}


def averaged_ranks(means, rows, lower):
    """Sets x ``rows``: each set's rank of each row among ``rows``, averaged over the
    classifiers that ran every one of them there."""
    tables = [stats.ranks(means.xs(c, level="classifier")[rows].dropna(), lower)
              for c in CLASSIFIERS if c in means.index.get_level_values("classifier")]
    tables = [t for t in tables if len(t)]
    return pd.concat(tables).groupby(level=0).mean() if tables else pd.DataFrame(columns=rows)


def per_classifier(means, lower):
    """Means, mean ranks, Friedman p and the GAN's comparisons, for each classifier."""
    out = {"mean_per_classifier": {}, "rank_per_classifier": {},
           "friedman_p_per_classifier": {}, "vs_GAN_per_classifier": {}}
    for clf in CLASSIFIERS:
        if clf not in means.index.get_level_values("classifier"):
            continue
        table = means.xs(clf, level="classifier").dropna(axis=1, how="all")
        complete = [r for r in table.columns if table[r].notna().all()]
        out["mean_per_classifier"][clf] = _rounded(table.mean(), 4)
        out["rank_per_classifier"][clf] = _rounded(stats.ranks(table[complete], lower).mean(),
                                                   3)
        out["friedman_p_per_classifier"][clf] = stats.friedman(table[complete])
        if REFERENCE in table.columns:
            out["vs_GAN_per_classifier"][clf] = stats.compare(
                {r: (table[REFERENCE], table[r]) for r in table.columns if r != REFERENCE},
                lower)
    return out


def overall(means, lower):
    """The mean ranks over classifiers, the Friedman p over sets, the partial rows in their
    company and the GAN's Holm-Wilcoxon comparisons on the averaged ranks."""
    core = [r for r in means.columns if means[r].notna().all()]
    averaged = averaged_ranks(means, core, lower)
    out = {"core_rows": core, "mean_rank": _rounded(averaged.mean(), 3),
           "friedman_p": stats.friedman(averaged), "partial": {}}
    pairs = {r: (averaged[REFERENCE], averaged[r]) for r in core if r != REFERENCE}
    for row in (r for r in means.columns if r not in core):
        cells = means[row].dropna()
        company = averaged_ranks(means.loc[cells.index], core + [row], lower)
        out["partial"][row] = {
            "sets": int(len(company)), "classifiers": sorted(set(
                cells.index.get_level_values("classifier")), key=CLASSIFIERS.index),
            "mean_rank": _round(company[row].mean(), 3),
            "GAN_mean_rank": _round(company[REFERENCE].mean(), 3)
            if REFERENCE in company else None}
        if REFERENCE in company:
            pairs[row] = (company[REFERENCE], company[row])
    out["vs_GAN"] = stats.compare(pairs, lower_is_better=True) if REFERENCE in core else {}
    return out


def analyse(means, lower):
    """The whole analysis of one metric on one scope."""
    return {**overall(means, lower), **per_classifier(means, lower)}


def scope_summary(runs, sets, folds):
    """The analysis of every metric, the fit times and the failure counts on ``sets``; and the
    cell means it came from (for the figures)."""
    runs = [r for r in runs if r["dataset"] in sets and r["fold"] in folds]
    means = cell_means(runs, folds)
    frame = pd.DataFrame(runs)
    fits = pd.DataFrame([{"row": r["row"], "seconds": s} for r in runs
                         for s in r["fit_seconds"].values()])
    budgeted = [n for n, r in ROWS.items() if r.budgeted]
    return {
        "sets": sorted(sets), "n_sets": len(sets),
        "budgeted_sets": {row: sorted(set(means[METRICS[0]][row].dropna().index
                                          .get_level_values("dataset")))
                          for row in budgeted if row in means[METRICS[0]]},
        "metrics": {m: analyse(means[m], m in LOWER_IS_BETTER) for m in METRICS},
        "fit_seconds": _rounded(frame.groupby("row")["sampler_seconds"].median(), 4),
        "fit_seconds_total": _rounded(fits.groupby("row")["seconds"].median(), 4),
        "failures": frame.groupby("row")["failed_fits"].apply(lambda s: int((s > 0).sum()))
        .to_dict(),
        "threshold_fallbacks": frame.groupby("row")["threshold_fallback"].apply(
            lambda s: int(sum(len(v) for v in s))).to_dict(),
        "errors": frame.groupby("row")["errors"].apply(
            lambda s: int(sum(len(v) for v in s))).to_dict(),
    }, means


def _round(value, digits):
    return None if value is None or pd.isna(value) else round(float(value), digits)


def _rounded(series, digits):
    return {k: _round(v, digits) for k, v in series.items()}


def write_json(result, path):
    path.write_text(json.dumps(result, indent=1, default=_jsonable))


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))
