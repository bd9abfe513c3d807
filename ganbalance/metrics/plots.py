"""Drawing a quality report: :func:`plot_quality_report`."""

from __future__ import annotations

import numbers

import numpy as np

from .._optional import import_optional
from .report import _REPORT_COLUMNS

__all__ = ["plot_quality_report"]


def plot_quality_report(report, ax=None):
    """Draw a :func:`quality_report` as grouped bars, one group per class with generated rows.

    Bars show consistency, density, coverage, copy rate and variety; a black tick on each copy
    rate bar marks its baseline; dashed lines mark 1 and the ``min_variety`` threshold. A metric
    that is NaN for a class (density and coverage need two real rows) gets no bar but an "n/a"
    in its place, a bar too short to see has its value written instead, and a metric that is
    NaN for every class shown gets no legend entry. The
    x-axis labels give the class, its real and generated row counts and the Fréchet distance
    (FD); collapsed classes are labelled in red. The x-axis title says what FD is measured in
    and when consistency means something.

    Parameters
    ----------
    report : pandas.DataFrame
        The output of :func:`quality_report` (rows may be filtered).
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; None makes a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ganbalance.metrics import plot_quality_report
    >>> report = pd.DataFrame({"class": [0, 1], "n_real": [50, 3], "n_synthetic": [0, 47],
    ...     "consistency": [float("nan"), 0.9], "frechet_distance": [float("nan"), 2.0],
    ...     "density": [float("nan"), 0.8], "coverage": [float("nan"), 0.7],
    ...     "copy_rate": [float("nan"), 0.1], "copy_rate_baseline": [float("nan"), 0.0],
    ...     "variety": [float("nan"), 0.6], "collapse": [False, False], "note": ["", ""]})
    >>> fig = plot_quality_report(report)
    >>> len(fig.axes)
    1
    """
    missing = [c for c in _REPORT_COLUMNS if c not in getattr(report, "columns", [])]
    if missing:
        raise ValueError(
            f"report must be a DataFrame from quality_report; it lacks the columns {missing}."
        )
    plt = import_optional("matplotlib.pyplot", "plot_quality_report needs matplotlib: pip "
                          "install matplotlib (or ganbalance[examples]).")
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(6.5, 1.4 * len(report) + 4.0), 4.4))
    else:
        fig = ax.figure
    shown = report[report["n_synthetic"] > 0]
    if shown.empty:
        ax.text(0.5, 0.5, "no synthetic rows", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", [None] * len(_METRICS))
    x, top = _draw_bars(ax, shown, colors)
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    min_variety = report.attrs.get("min_variety")
    if isinstance(min_variety, numbers.Real):
        ax.axhline(float(min_variety), color="tab:red", lw=0.8, ls=":",
                   label="collapse below this variety")
    _label_classes(ax, shown, x)
    ax.set_ylim(0, top)
    ax.set_ylabel("score (0 to 1; variety is a ratio)")
    ax.set_xlabel(_QUALITY_EXPLANATION, fontsize=7)
    ax.set_title("Quality of the generated rows, per class")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


# The bars of each class: report column and legend label.
_METRICS = [("consistency", "consistency"), ("density", "density"),
            ("coverage", "coverage"), ("copy_rate", "copy rate"), ("variety", "variety")]


def _draw_bars(ax, shown, colors):
    """One group of bars per class of ``shown``; return the group centres and the y-axis top."""
    n_metrics = len(_METRICS)
    width = 0.8 / n_metrics
    x = np.arange(len(shown))
    top = np.nanmax(shown[[m for m, _ in _METRICS]].to_numpy(dtype=float))
    top = max(1.1, float(top) * 1.05) if np.isfinite(top) else 1.1
    for i, (column, label) in enumerate(_METRICS):
        values = shown[column].to_numpy(dtype=float)
        where = x + (i - (n_metrics - 1) / 2) * width
        finite = np.isfinite(values)
        if finite.any():  # a legend entry only for a metric that has a bar
            ax.bar(where[finite], values[finite], width, label=label,
                   color=colors[i % len(colors)])
        # No bar to see: say so where it would be (NaN), or give the value (zero or tiny).
        for xi, value in zip(where, values, strict=True):
            if not np.isfinite(value) or value < 0.02 * top:
                text = f"{label}: n/a" if not np.isfinite(value) else f"{label}: {value:.2g}"
                ax.text(xi, 0.01 * top, text, ha="center", va="bottom", fontsize=7,
                        rotation=90, color="dimgrey")
        if column == "copy_rate":
            base = shown["copy_rate_baseline"].to_numpy(dtype=float)
            if np.isfinite(base).any():
                ax.scatter(where, base, marker="_", s=120, color="black", zorder=3,
                           label="copy rate of held-out real rows")
    return x, top


def _label_classes(ax, shown, x):
    """Tick labels with each class's row counts and Fréchet distance; collapsed ones in red."""
    labels = []
    for _, row in shown.iterrows():
        fd = row["frechet_distance"]
        fd_text = "FD n/a" if not np.isfinite(fd) else f"FD {fd:.3g}"
        labels.append(f"class {row['class']}\n{row['n_real']} real, {row['n_synthetic']} new\n"
                      f"{fd_text}")
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=8)
    for tick, collapsed in zip(ax.get_xticklabels(), shown["collapse"].to_numpy(), strict=True):
        if collapsed:
            tick.set_color("tab:red")


#: What the numbers of a quality report mean, for figures and result pages.
_QUALITY_EXPLANATION = (
    "FD: Fréchet distance between real and generated rows in the penultimate layer (64 units by\n"
    "default) of a classifier trained on the real data; squared feature units, no absolute\n"
    "scale: compare only under the same classifier and row counts, lower is closer.\n"
    "Consistency: share of generated rows that classifier assigns to their class; it says\n"
    "little for a class with a few real rows, which the classifier knows only from them."
)
