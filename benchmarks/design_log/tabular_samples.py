"""How faithful are the new table rows? Precision, recall and class overlap, beside SMOTE.

For each development set and seed, the minority class is over-sampled to 1:1 on the whole set
and the new rows are compared with the real ones in the encoded space of a TableEncoder fitted
on the set (normal scores of the quantile transform; one-hot categories):

- precision: share of new rows inside the 5-NN ball of some real minority row (Kynkaanniemi
  et al. 2019); recall: share of real minority rows inside the 5-NN ball of some new row;
- majority-nearer: share of new rows whose nearest real row is a majority row; the real
  baseline is the same share for the real minority rows, each left out in turn.

Writes logs/tabular_samples.md and samples_tables.png (two sets, two columns each).

    python benchmarks/design_log/tabular_samples.py
"""

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import keel_tabular as k  # noqa: E402
import tabular_dev  # noqa: E402

SETS = ["abalone9_18", "ecoli4", "glass2", "yeast_1_vs_7", "winequality_red_4",
        "page_blocks_1_3_vs_4", "new_thyroid1", "car_good", "vowel0"]
ROWS = ["SMOTE", "interp-lr1e-3", "interp-lr1e-3-local", "interp-lr1e-3-local-tanh"]
SEEDS = [0, 1, 2]


def nearest(reference, query, k=1):
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=k).fit(reference).kneighbors(query)


def scores(real, majority, new):
    radius = nearest(real, real, 6)[0][:, -1]
    d, i = nearest(real, new)
    precision = np.mean(d[:, 0] <= radius[i[:, 0]])
    new_radius = nearest(new, new, 6)[0][:, -1]
    d, i = nearest(new, real)
    recall = np.mean(d[:, 0] <= new_radius[i[:, 0]])
    to_min, to_maj = nearest(real, new)[0][:, 0], nearest(majority, new)[0][:, 0]
    return precision, recall, np.mean(to_maj < to_min)


def baseline(real, majority):
    to_min = nearest(real, real, 2)[0][:, 1]
    return np.mean(nearest(majority, real)[0][:, 0] < to_min)


def sampler(name, seed):
    if name == "SMOTE":
        from imblearn.over_sampling import SMOTE

        return SMOTE(random_state=seed)
    return tabular_dev.make(name, seed, [])


def main():
    import torch

    from ganbalance.tabular import TableEncoder

    torch.set_num_threads(1)
    table = {name: [] for name in ROWS}
    base = []
    for data_set in SETS:
        X, y = k.load(data_set)
        enc = TableEncoder().fit(X)
        real, majority = enc.transform(X[y == 1]), enc.transform(X[y == 0])
        base.append(baseline(real, majority))
        for name in ROWS:
            for seed in SEEDS:
                X_res, _ = sampler(name, seed).fit_resample(X, y)
                table[name].append(scores(real, majority, enc.transform(X_res.iloc[len(X):])))
        print(data_set, flush=True)
    lines = ["Written by `tabular_samples.py`: means over "
             f"{len(SETS)} sets x {len(SEEDS)} seeds ({', '.join(SETS)}).", "",
             "| rows | precision | recall | nearer a majority row |", "|---|---|---|---|",
             f"| real minority rows (left out in turn) | | | {np.mean(base):.3f} |"]
    for name in ROWS:
        p, r, m = np.mean(table[name], axis=0)
        lines.append(f"| {name} | {p:.3f} | {r:.3f} | {m:.3f} |")
    (HERE / "logs" / "tabular_samples.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    figure()


def figure():
    """Two columns of two sets: the real rows, SMOTE's new rows and the default's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganbalance import GANOverSampler
    from ganbalance.tabular_networks import InterpolationGenerator

    InterpolationGenerator.forward = InterpolationGenerator._shipped_forward
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.5))
    for row, (data_set, (a, b)) in enumerate([("ecoli4", (0, 1)), ("abalone9_18", (1, 5))]):
        X, y = k.load(data_set)
        for ax, name in zip(axes[row], ["real rows", "SMOTE", "GANOverSampler (default)"],
                            strict=True):
            x, z = X.columns[a], X.columns[b]
            ax.scatter(X[x][y == 0], X[z][y == 0], s=4, c="lightgray", label="majority")
            ax.scatter(X[x][y == 1], X[z][y == 1], s=12, c="black", label="minority")
            if name != "real rows":
                made = sampler("SMOTE", 0) if name == "SMOTE" else GANOverSampler(random_state=0)
                new = made.fit_resample(X, y)[0].iloc[len(X):]
                ax.scatter(new[x], new[z], s=4, c="tab:red", alpha=0.5, label="new minority")
            ax.set_title(f"{data_set}: {name}")
            ax.set_xlabel(f"column {x}")
            ax.set_ylabel(f"column {z}")
    axes[0, 0].legend(loc="lower left")
    axes[0, 1].legend(*axes[0, 2].get_legend_handles_labels(), loc="lower left")
    fig.tight_layout()
    fig.savefig(HERE / "samples_tables.png", dpi=80)


if __name__ == "__main__":
    main()
