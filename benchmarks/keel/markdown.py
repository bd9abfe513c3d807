"""The Markdown tables of the KEEL benchmark's results (``keel_tabular.md``)."""

from __future__ import annotations

import math

from .rows import CLASSIFIERS, ROWS
from .run import LOWER_IS_BETTER, METRICS

TITLES = {"dev": "Development sets", "heldout": "Held-out sets", "all": "The whole collection"}
NAMES = {"balanced_accuracy": "balanced accuracy", "roc_auc": "ROC AUC", "g_mean": "G-mean",
         "f1": "F1 (minority)", "brier": "Brier score", "log_loss": "log-loss"}


def _p(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.2g}" if value >= 0.001 else f"{value:.0e}"


def _num(value, digits):
    return "–" if value is None else f"{value:.{digits}f}"


def label(row):
    return ROWS[row].label if row in ROWS else row


def friedman_table(scope):
    lines = ["Friedman test p-values (all rows rank alike; overall: on the ranks averaged over "
             "the classifiers):", "",
             "| metric | overall | " + " | ".join(CLASSIFIERS) + " |",
             "|---|---|" + "---|" * len(CLASSIFIERS)]
    for metric in METRICS:
        block = scope["metrics"][metric]
        cells = [_p(block["friedman_p_per_classifier"].get(c)) for c in CLASSIFIERS]
        lines.append(f"| {NAMES[metric]} | {_p(block['friedman_p'])} | " + " | ".join(cells)
                     + " |")
    return lines + [""]


def row_order(block):
    """The core rows by mean rank, then the partial ones by name."""
    return (sorted(block["mean_rank"], key=lambda r: block["mean_rank"][r])
            + sorted(block["partial"]))


def means_table(metric, block):
    """Mean rank and mean score per classifier; core rows by mean rank, then the others with
    their rank among the core rows on their sets (and the GAN's there)."""
    better = "lower" if metric in LOWER_IS_BETTER else "higher"
    lines = [f"### {NAMES[metric]} ({better} is better)", "",
             "| row | mean rank | " + " | ".join(CLASSIFIERS) + " |",
             "|---|---|" + "---|" * len(CLASSIFIERS)]
    means = block["mean_per_classifier"]
    for row in row_order(block):
        if row in block["partial"]:
            part = block["partial"][row]
            rank = (f"{_num(part['mean_rank'], 2)} (GAN {_num(part['GAN_mean_rank'], 2)}; "
                    f"{part['sets']} sets)")
        else:
            rank = _num(block["mean_rank"][row], 2)
        cells = [_num(means.get(c, {}).get(row), 4) for c in CLASSIFIERS]
        lines.append(f"| {label(row)} | {rank} | " + " | ".join(cells) + " |")
    return lines + [""]


def versus_table(metric, block):
    """The GAN's wins/ties/losses over sets and the Holm-corrected Wilcoxon p, per row."""
    if not block["vs_GAN"]:
        return []
    lines = [f"GAN against each row on {NAMES[metric]}: wins/ties/losses of the GAN over the "
             "sets, Holm-corrected Wilcoxon p (overall: on the averaged ranks).", "",
             "| row | overall | " + " | ".join(CLASSIFIERS) + " |",
             "|---|---|" + "---|" * len(CLASSIFIERS)]
    per = block["vs_GAN_per_classifier"]
    for row in (r for r in row_order(block) if r in block["vs_GAN"]["wtl"]):
        cells = [_versus(per.get(c), row) for c in CLASSIFIERS]
        lines.append(f"| {label(row)} | {_versus(block['vs_GAN'], row)} | "
                     + " | ".join(cells) + " |")
    return lines + [""]


def _versus(comparison, row):
    if not comparison or row not in comparison["wtl"]:
        return "–"
    wins, ties, losses = comparison["wtl"][row]
    return f"{wins}/{ties}/{losses} (p {_p(comparison['p_holm'][row])})"


def cost_table(scope):
    lines = ["Cost: the median seconds of the resampling per training fold (every sampler fit "
             "the row made, inner folds included; 0 for a row whose estimator resamples inside "
             "itself, such as `OverSampledClassifierCV`: see its fit), and of a whole fit per "
             "classifier, as if each row ran alone; the set-folds where a sampler failed (the "
             "fold stays as it was); the fits where `TunedThresholdClassifierCV` refused "
             "(constant predictions) and the plain classifier stood in; the fits that raised "
             "(left out of the tables).", "",
             "| row | resample s | fit s | failed sampler folds | threshold fallbacks | "
             "errors |", "|---|---|---|---|---|---|"]
    for row in sorted(scope["fit_seconds"], key=lambda r: list(ROWS).index(r)
                      if r in ROWS else len(ROWS)):
        lines.append(f"| {label(row)} | {_num(scope['fit_seconds'][row], 3)} | "
                     f"{_num(scope['fit_seconds_total'].get(row), 3)} | "
                     f"{scope['failures'][row]} | {scope['threshold_fallbacks'][row]} | "
                     f"{scope['errors'][row]} |")
    return lines + [""]


def scope_markdown(name, scope):
    lines = [f"## {TITLES.get(name, name)}: {scope['n_sets']} sets", ""]
    for row, sets in scope["budgeted_sets"].items():
        lines += [f"{label(row)} ran on {len(sets)} of them (its time budget): "
                  f"{', '.join(sets)}.", ""]
    lines += friedman_table(scope)
    for metric in METRICS:
        lines += means_table(metric, scope["metrics"][metric])
        lines += versus_table(metric, scope["metrics"][metric])
    return lines + cost_table(scope)


def markdown(result):
    lines = [result["header"], ""]
    if result.get("unavailable"):
        lines += ["Rows not run because their code is missing: "
                  + ", ".join(result["unavailable"]) + ".", ""]
    for name, scope in result["scopes"].items():
        lines += scope_markdown(name, scope)
    return "\n".join(lines) + "\n"
