"""Reliability of the predicted probabilities: no resampling, the GAN at 1:1, and
``OverSampledClassifierCV`` around the GAN.

Over-sampling to 1:1 teaches a classifier that the minority class is half the world, so its
probabilities overstate the minority's risk. ``OverSampledClassifierCV`` corrects them back to
the class frequencies of the data it was given. This script shows it on the four KEEL
development sets with the most minority rows (``pima``, ``vehicle3``, ``vowel0``, ``ecoli1``;
development sets of ``benchmarks/keel/data.py``), with HistGradientBoosting: out-of-fold
probabilities from stratified 5-fold CV, pooled per set, in a reliability diagram (10 bins of
predicted probability; the observed share of the minority class in each), with the Brier score
and log-loss of each row.

Run ``python benchmarks/calibration.py`` (a few minutes on 2 CPU cores). It writes the
committed ``benchmarks/results/calibration/`` (``calibration.json``, ``calibration.md``,
``reliability.png``), which the user guide's page on ``OverSampledClassifierCV`` shows;
``--quick`` (one set, 2 folds) writes to the git-ignored ``benchmarks/results/quick/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from keel import data  # noqa: E402

_spec = importlib.util.spec_from_file_location("_ganbalance_results",
                                               HERE.parent / "examples" / "_results.py")
results_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(results_io)

SETS = ["pima", "vehicle3", "vowel0", "ecoli1"]
ROWS = ["no resampling", "GANOverSampler (1:1)", "OverSampledClassifierCV(GANOverSampler)"]
N_BINS = 10


def make_row(name, seed):
    from imblearn.pipeline import make_pipeline
    from sklearn.ensemble import HistGradientBoostingClassifier

    from ganbalance import GANOverSampler, OverSampledClassifierCV

    hgb = HistGradientBoostingClassifier(random_state=seed)
    if name == "no resampling":
        return hgb
    if name == "GANOverSampler (1:1)":
        return make_pipeline(GANOverSampler(random_state=seed, device="cpu"), hgb)
    return OverSampledClassifierCV(hgb, sampler=GANOverSampler(device="cpu"), random_state=seed)


def out_of_fold(name, X, y, n_splits):
    """Out-of-fold minority-class probabilities of row ``name`` (fold ``i`` seeded ``i``)."""
    from sklearn.model_selection import StratifiedKFold

    proba = np.empty(len(y))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=0)
    for i, (train, test) in enumerate(folds.split(X, y)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make_row(name, i).fit(X.iloc[train], y[train])
        proba[test] = model.predict_proba(X.iloc[test])[:, 1]
    return proba


def reliability(y, proba):
    """Per bin of predicted probability: its mean prediction, observed rate and count."""
    edges = np.linspace(0, 1, N_BINS + 1)
    which = np.clip(np.digitize(proba, edges[1:-1]), 0, N_BINS - 1)
    bins = []
    for b in range(N_BINS):
        inside = which == b
        if inside.any():
            bins.append({"mean_predicted": float(proba[inside].mean()),
                         "observed": float(y[inside].mean()), "count": int(inside.sum())})
    return bins


def scores(y, proba):
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    return {"brier": round(float(brier_score_loss(y, proba)), 4),
            "log_loss": round(float(log_loss(y, np.clip(proba, 1e-15, 1 - 1e-15))), 4),
            "roc_auc": round(float(roc_auc_score(y, proba)), 4),
            "mean_predicted": round(float(proba.mean()), 4),
            "base_rate": round(float(y.mean()), 4)}


def figure(result, path, quick):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(result["sets"])
    fig, axes = plt.subplots(1, len(sets), figsize=(3.2 * len(sets), 3.4), squeeze=False)
    for ax, name in zip(axes[0], sets, strict=True):
        ax.plot([0, 1], [0, 1], color="0.7", lw=1)
        for row in ROWS:
            bins = result["sets"][name][row]["bins"]
            ax.plot([b["mean_predicted"] for b in bins], [b["observed"] for b in bins],
                    marker="o", ms=3, label=row)
        ax.set(title=name, xlabel="predicted probability", xlim=(0, 1), ylim=(0, 1))
    axes[0][0].set_ylabel("observed minority share")
    axes[0][0].legend(fontsize=7, loc="upper left")
    if quick:
        fig.suptitle(results_io.QUICK_NOTE)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(result, header):
    lines = [header, "", "| set | row | Brier | log-loss | ROC AUC | mean predicted (base rate) |",
             "|---|---|---|---|---|---|"]
    for name, rows in result["sets"].items():
        for row in ROWS:
            s = rows[row]["scores"]
            lines.append(f"| {name} | {row} | {s['brier']:.4f} | {s['log_loss']:.4f} | "
                         f"{s['roc_auc']:.4f} | {s['mean_predicted']:.3f} "
                         f"({s['base_rate']:.3f}) |")
    lines += ["", "![Reliability diagrams](reliability.png)"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    clock = results_io.Clock()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one set, 2 folds; writes to benchmarks/results/quick/")
    parser.add_argument("--out", default=None, help="output folder (default: by mode)")
    args = parser.parse_args(argv)
    out_dir, why = results_io.output_path(HERE / "results" / "calibration", full=True,
                                          quick=args.quick, source="idx", out=args.out)
    sets, n_splits = (SETS[:1], 2) if args.quick else (SETS, 5)
    result = {"sets": {}, "rows": ROWS, "n_splits": n_splits, "quick": args.quick}
    for name in sets:
        X, y = data.load_set(name)
        y = np.asarray(y)
        result["sets"][name] = {}
        for row in ROWS:
            proba = out_of_fold(row, X, y, n_splits)
            result["sets"][name][row] = {"scores": scores(y, proba),
                                         "bins": reliability(y, proba)}
    machine = results_io.machine()
    result.update(wall_seconds=clock.seconds, machine=machine)
    header = (results_io.run_line(clock.seconds, machine, args.quick) + "\n\n"
              f"HistGradientBoosting, out-of-fold probabilities of stratified {n_splits}-fold "
              f"CV pooled per set, on {len(sets)} KEEL development set(s).")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "calibration.json").write_text(json.dumps(result, indent=1) + "\n")
    (out_dir / "calibration.md").write_text(markdown(result, header))
    figure(result, out_dir / "reliability.png", args.quick)
    print(why)
    return result


if __name__ == "__main__":
    main()
