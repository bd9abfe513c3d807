"""The quality-report figure explains its numbers and has no legend entry without a bar."""

import numpy as np
import pytest

from ganbalance.metrics import plot_quality_report

pd = pytest.importorskip("pandas")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def one_image_report(consistency=0.59):
    """What the main example reports for a class with one real image: no density/coverage."""
    report = pd.DataFrame({
        "class": [1, 2], "n_real": [1, 300], "n_synthetic": [299, 0],
        "consistency": [consistency, np.nan], "frechet_distance": [270.8, np.nan],
        "density": [np.nan, np.nan], "coverage": [np.nan, np.nan],
        "copy_rate": [0.14, np.nan], "copy_rate_baseline": [0.052, 0.053],
        "variety": [0.76, np.nan], "collapse": [False, False], "note": ["", ""]})
    report.attrs["min_variety"] = 0.1
    return report


def legend_labels(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_no_legend_entry_for_a_metric_without_bars():
    import matplotlib.pyplot as plt

    fig = plot_quality_report(one_image_report())
    labels = legend_labels(fig)
    assert "density" not in labels and "coverage" not in labels
    assert {"consistency", "copy rate", "variety"} <= set(labels)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "density: n/a" in texts and "coverage: n/a" in texts
    plt.close(fig)


def test_a_zero_bar_has_its_value_written():
    import matplotlib.pyplot as plt

    fig = plot_quality_report(one_image_report(consistency=0.0))
    assert "consistency: 0" in [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)


def test_the_figure_explains_fd_and_consistency():
    import matplotlib.pyplot as plt

    fig = plot_quality_report(one_image_report())
    ax = fig.axes[0]
    explanation = ax.get_xlabel()
    assert "Fréchet distance" in explanation and "penultimate layer" in explanation
    assert "Consistency" in explanation and "few real rows" in explanation
    assert ax.get_xticklabels()[0].get_text().startswith("class 1\n1 real, 299 new\nFD 271")
    plt.close(fig)
