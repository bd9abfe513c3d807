"""Critical-difference diagrams of the KEEL benchmark (scikit-posthocs, when installed)."""

from __future__ import annotations

from .markdown import NAMES
from .report import averaged_ranks
from .rows import ROWS
from .run import LOWER_IS_BETTER, METRICS


def cd_diagram(means, scope, path, title):
    """One panel per metric: the core rows at their mean rank (averaged over classifiers),
    those the Nemenyi post-hoc test of the averaged ranks cannot tell apart (alpha 0.05)
    joined by a bar. Returns False, drawing nothing, without scikit-posthocs or with fewer
    than 2 sets."""
    try:
        import scikit_posthocs as sp
    except ImportError:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if scope["n_sets"] < 2:
        return False
    fig, axes = plt.subplots(len(METRICS), 1, figsize=(11, 3.0 * len(METRICS)))
    for ax, metric in zip(axes, METRICS, strict=True):
        block = scope["metrics"][metric]
        core = block["core_rows"]
        averaged = averaged_ranks(means[metric], core, metric in LOWER_IS_BETTER)
        sig = sp.posthoc_nemenyi_friedman(averaged[core].to_numpy())
        labels = [ROWS[r].label if r in ROWS else r for r in core]
        sig.index = sig.columns = labels
        ranks = {lab: block["mean_rank"][r] for lab, r in zip(labels, core, strict=True)}
        sp.critical_difference_diagram(ranks, sig, ax=ax, label_props={"fontsize": 8})
        ax.set_title(NAMES[metric], fontsize=9)
    fig.suptitle(f"{title}: mean rank over {scope['n_sets']} sets (1 is best); bars join rows "
                 "Nemenyi's test cannot separate (alpha 0.05)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
